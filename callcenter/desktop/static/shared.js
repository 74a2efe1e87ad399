// What the agent desktop and the supervisor's wallboard share: the engine's API with the
// session cookie and CSRF token, signing in, and the browser softphone (JsSIP through the engine's /sip,
// registered as the signed-in person's own endpoint: an agent's, or a supervisor's).
"use strict";

const REGISTER_TIMEOUT_MS = 10000;
const SIGNED_OUT = "12345-signed-out";  // why the page was reloaded to its sign-in form

// The page again from its start, with its sign-in form saying ``why``.
function reloadSignedOut(why) {
  sessionStorage.setItem(SIGNED_OUT, why);
  location.reload();
}

// A call of the engine's API; a refusal throws an Error in the page's words (explain) that
// carries the HTTP status.
async function callApi(method, path, body, csrf, explain) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(explain(response.status, data));
    error.status = response.status;
    throw error;
  }
  return data;
}

// The page's sign-in form (#signin-form: #user, #password, #signin-error) and the session it
// may already have: start(me) is given the signed-in person (POST /api/login, or at load
// GET /api/me when the session cookie is still good).
function signIn(api, start) {
  const form = document.getElementById("signin-form");
  const error = document.getElementById("signin-error");
  error.textContent = sessionStorage.getItem(SIGNED_OUT) || "";
  sessionStorage.removeItem(SIGNED_OUT);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await start(await api("POST", "/api/login", {
        user: document.getElementById("user").value,
        password: document.getElementById("password").value }));
    } catch (refused) { error.textContent = refused.message; }
  });
  api("GET", "/api/me").then(start, () => { /* not signed in yet: the form */ });
}

// JsSIP registered as the signed-in person's browser endpoint (/api/me/phone); resolves to the
// registered UA. showState(text) hears how the registration goes, incoming(session) gets each
// call Asterisk offers. A failed registration stops the UA (a retry starts a fresh one).
async function registerPhone(api, showState, incoming) {
  if (typeof JsSIP === "undefined") throw new Error("浏览器软电话组件未安装（请运行安装命令）");
  const phone = await api("GET", "/api/me/phone");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new JsSIP.WebSocketInterface(`${scheme}//${location.host}${phone.ws}`);
  const ua = new JsSIP.UA({ sockets: [socket], uri: phone.uri, password: phone.password,
    register: true, session_timers: false });
  ua.on("registered", () => showState("软电话已注册"));
  ua.on("unregistered", () => showState("软电话未注册"));
  ua.on("registrationFailed", (e) => showState("软电话注册失败：" + e.cause));
  ua.on("newRTCSession", (e) => { if (e.originator === "remote") incoming(e.session); });
  ua.start();
  await new Promise((resolve, reject) => {
    const failed = (why) => { clearTimeout(timer); ua.stop(); reject(new Error(why)); };
    const timer = setTimeout(() => failed("软电话注册超时（无法连接系统）"), REGISTER_TIMEOUT_MS);
    ua.once("registered", () => { clearTimeout(timer); resolve(); });
    ua.once("registrationFailed", (e) => failed("软电话注册失败：" + e.cause));
  });
  return ua;
}
