// What the agent desktop and the supervisor's wallboard share: the engine's API with the
// session cookie and CSRF token, signing in, the glossary's words, local times, and the
// browser softphone (JsSIP through the engine's /sip, registered as the signed-in person's
// own endpoint: an agent's, or a supervisor's). Loaded after /assets/glossary.js.
"use strict";

const REGISTER_TIMEOUT_MS = 10000;
const SIGNED_OUT = "12345-signed-out";  // why the page was reloaded to its sign-in form
const CJK = /[\u3400-\u9fff]/;

// The glossary's word (callcenter/glossary.py); an unknown key as it is.
function word(group, key) {
  const found = (typeof GLOSSARY !== "undefined" && GLOSSARY[group]) || {};
  return found[key] || key;
}

// A moment (ISO 8601, UTC) as people here read it: the browser's local zone, no "Z".
function localTime(iso, withDate = true) {
  const when = new Date(iso);
  if (!iso || Number.isNaN(when.getTime())) return "";
  const two = (n) => String(n).padStart(2, "0");
  const time = `${two(when.getHours())}:${two(when.getMinutes())}`;
  return withDate ? `${when.getMonth() + 1}月${when.getDate()}日 ${time}` : time;
}

// The page again from its start, with its sign-in form saying ``why``.
function reloadSignedOut(why) {
  sessionStorage.setItem(SIGNED_OUT, why);
  location.reload();
}

// A refusal in words a person acts on: the engine's own message when it is in Chinese (its
// refusals say what to do), else what the status means; the error id goes in small print.
function explainProblem(status, data) {
  const why = data && typeof data.error === "string" && CJK.test(data.error) ? data.error : "";
  if (status === 401) return "登录已失效或已在别处退出：请重新登录。";
  if (status === 403) return "无权进行此操作：" + (why || "话务员只能处理本人的签入状态、来电和工单。");
  if (status === 404) return why || "未找到：请刷新页面后重试。";
  if (status === 409) return "当前不能这样做：" + (why || "请稍后再试。");
  if (status === 413) return "提交的内容过长：请缩短后再试。";
  if (status === 429) return why || "操作过于频繁：请稍后再试。";
  if (status === 502) return "电话系统未能执行：" + (why || "请稍后再试。");
  if (status === 503) return "系统暂不可用：" + (why || "请稍后再试。");
  return why || `请求未成功（${status}）：请检查填写的内容后重试。`;
}

// A call of the engine's API; a refusal throws an Error in the page's words (explain,
// explainProblem by default) that carries the HTTP status and the error id.
async function callApi(method, path, body, csrf, explain = explainProblem) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (unreachable) {
    const error = new Error("无法连接系统：请检查网络后重试。");
    error.status = 0;
    throw error;
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(explain(response.status, data));
    error.status = response.status;
    error.errorId = data.error_id || "";
    throw error;
  }
  return data;
}

// Why a sign-in was refused, as the person at the form reads it.
function signInRefusal(refused) {
  if (refused.status === 401) return "用户名或密码不正确：请重新输入（注意大小写）。";
  if (refused.status === 429) return "尝试次数过多，已暂时锁定：请 15 分钟后再试，或请管理员重置密码。";
  return refused.message;
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
    let me;
    try {
      me = await api("POST", "/api/login", {
        user: document.getElementById("user").value,
        password: document.getElementById("password").value });
    } catch (refused) {
      error.textContent = signInRefusal(refused);
      return;
    }
    await start(me);
  });
  api("GET", "/api/me").then(start, () => { /* not signed in yet: the form */ });
}

// JsSIP's causes, as a person reads them
const PHONE_CAUSES = { "Terminated": "本方挂断", "Bye": "对方挂断", "Canceled": "对方已取消",
  "No Answer": "无人接听", "Busy": "忙", "Rejected": "被拒绝", "Unavailable": "不可用",
  "Connection Error": "与系统的连接中断", "Request Timeout": "请求超时",
  "RTP Timeout": "通话声音中断", "WebRTC Error": "浏览器通话组件出错",
  "Authentication Error": "软电话账号认证失败", "Address Incomplete": "号码不完整",
  "SIP Failure Code": "电话系统拒绝", "Internal Error": "浏览器内部错误",
  "User Denied Media Access": "无法打开话筒（请允许本页使用话筒）" };
const phoneCause = (why) => PHONE_CAUSES[why] || "原因不明";

// JsSIP registered as the signed-in person's browser endpoint (/api/me/phone); resolves to the
// registered UA. showState(text, registered) hears how the registration goes, incoming(session)
// gets each call Asterisk offers. A failed registration stops the UA (a retry starts afresh).
async function registerPhone(api, showState, incoming) {
  if (typeof JsSIP === "undefined") throw new Error("浏览器软电话组件未安装：请管理员重新运行系统安装。");
  const phone = await api("GET", "/api/me/phone");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new JsSIP.WebSocketInterface(`${scheme}//${location.host}${phone.ws}`);
  const ua = new JsSIP.UA({ sockets: [socket], uri: phone.uri, password: phone.password,
    register: true, session_timers: false });
  ua.on("registered", () => showState("软电话已注册", true));
  ua.on("unregistered", () => showState("软电话未注册", false));
  ua.on("disconnected", () => showState("软电话与系统的连接中断，正在重连…", false));
  ua.on("registrationFailed", (e) => showState("软电话注册失败：" + phoneCause(e.cause), false));
  ua.on("newRTCSession", (e) => { if (e.originator === "remote") incoming(e.session); });
  ua.start();
  await new Promise((resolve, reject) => {
    const failed = (why) => { clearTimeout(timer); ua.stop(); reject(new Error(why)); };
    const timer = setTimeout(() => failed("软电话注册超时：无法连接系统，请检查网络。"), REGISTER_TIMEOUT_MS);
    ua.once("registered", () => { clearTimeout(timer); resolve(); });
    ua.once("registrationFailed", (e) => failed("软电话注册失败：" + phoneCause(e.cause) + "。"));
  });
  return ua;
}
