// 12345 agent desktop: one page, no reload during a call. Talks only to the engine's API
// (session cookie + CSRF token). This file: the page's state, messages, the agent's state and
// its buttons; desk-phone.js the softphone and ringing, desk-ticket.js the ticket,
// desk-side.js transfers, callbacks and the knowledge base, desk-start.js the start.
"use strict";

const $ = (id) => document.getElementById(id);
const desk = { csrf: "", agent: "", name: "", state: "logged_out", device: "", phone: "offline",
  reason: "", pausedBy: "", offlineLogoutS: 0, ringLimit: 0, call: null, ticket: null,
  ticketStream: null, agentStream: null, since: null, wrapupEnds: null, ua: null,
  session: null, muted: false, held: false, transferLive: false, busy: false };

async function api(method, path, body) {
  return callApi(method, path, body, desk.csrf);
}

// -- messages: an error (red, until the next action), a notice (a supervisor's: blue; the
// engine's: amber; until read), a success (green, goes away by itself) ---------------------

let messageTimer = null;

function say(text, kind = "error", errorId = "") {
  const box = $("message");
  clearTimeout(messageTimer);
  $("message-text").textContent = text;
  $("message-id").textContent = errorId ? `（错误编号 ${errorId}）` : "";
  box.className = `message ${kind}`;
  box.dataset.kind = kind;
  box.hidden = !text;
  if (text && kind === "success") messageTimer = setTimeout(() => { box.hidden = true; }, 4000);
}
$("message-close").addEventListener("click", () => say(""));

// Runs a page action: its refusal is shown (an earlier error goes; a notice stays).
async function attempt(action) {
  if ($("message").dataset.kind === "error") say("");
  try {
    return await action();
  } catch (error) {
    say(error.message, "error", error.errorId || "");
    return null;
  }
}

// the engine ends a stream whose session has ended (signed out elsewhere, expired, revoked):
// the page starts afresh (no call card or ticket of the person before), saying why
function signedOut() {
  for (const stream of [desk.agentStream, desk.ticketStream]) if (stream) stream.close();
  if (desk.ua) desk.ua.stop();
  reloadSignedOut("登录已失效或已在别处退出：请重新登录。");
}

// -- the agent's state ----------------------------------------------------------------------

function stateLabel() {
  if (desk.state === "paused") {
    const by = desk.pausedBy ? `班长${desk.pausedBy}：` : "";
    return `${word("agent_state", "paused")}（${by}${desk.reason || "未说明原因"}）`;
  }
  if (desk.state === "available" && desk.phone !== "online") return word("agent_state", "phone_offline");
  return word("agent_state", desk.state);
}

function showState(agent) {
  const before = desk.state;
  desk.state = agent.state;
  desk.device = agent.device || "";
  desk.phone = agent.phone || "offline";
  desk.reason = agent.reason || "";
  desk.pausedBy = agent.paused_by || "";
  if (agent.name) desk.name = agent.name;
  $("who").textContent = `${desk.name || "话务员"} · 工号 ${desk.agent}`;
  const state = $("state");
  const offline = desk.state !== "logged_out" && desk.phone !== "online";
  state.className = `state ${desk.state}${offline ? " offline" : ""}`;
  state.textContent = stateLabel();
  if (desk.device) $("device").value = desk.device;
  desk.since = agent.since ? agent.since * 1000 : Date.now();
  desk.wrapupEnds = agent.wrapup_left_s ? Date.now() + agent.wrapup_left_s * 1000 : null;
  if (before !== "paused" && desk.state === "paused" && desk.reason === "未接" && !desk.pausedBy) {
    say(`连续 ${desk.ringLimit || "多"} 次来电振铃未接听，系统已将您暂停（未接），不再分配来电：准备好后请点“就绪”。`,
        "warning");
  }
  if (before !== "logged_out" && desk.state === "logged_out" && !desk.busy) {
    stopPhone("软电话已注销（已签出）");  // signed out (by anyone): the phone follows
  }
  const silent = !ring.context || ring.context.state !== "running";
  $("sound-hint").hidden = desk.state === "logged_out" || !silent;
  tick();
  updateButtons();
  phoneChanged();
}

// Buttons follow the state: nothing that the state refuses is offered.
function updateButtons() {
  const s = desk.state;
  const onCall = s === "on_call" || s === "ringing";
  $("login").disabled = s !== "logged_out" || desk.busy;
  $("device").disabled = s !== "logged_out";
  $("ready").disabled = s !== "paused" || Boolean(desk.pausedBy) || desk.phone !== "online";
  $("ready").title = desk.pausedBy ? `班长${desk.pausedBy}暂停了您，只有班长可以恢复` : "Alt+R";
  $("pause").disabled = s === "logged_out";
  $("logout").disabled = s === "logged_out" || onCall;
  $("logout").title = onCall ? "通话中不能签出：请先结束通话" : "";
  $("transfer-start").disabled = s !== "on_call" || desk.transferLive;
}

function tick() {
  const seconds = Math.max(0, Math.round((Date.now() - (desk.since || Date.now())) / 1000));
  $("state-time").textContent = `${Math.floor(seconds / 60)}分${seconds % 60}秒`;
  const left = desk.wrapupEnds ? Math.ceil((desk.wrapupEnds - Date.now()) / 1000) : 0;
  $("countdown").textContent = left > 0 ? `话后处理剩余 ${left} 秒` : "";
}

function fillReasons(reasons) {
  const select = $("reason");
  if (select.options.length) return;
  for (const reason of reasons) select.add(new Option(reason, reason));
}

// -- the buttons of the state bar -------------------------------------------------------------

$("login").addEventListener("click", () => attempt(async () => {
  desk.busy = true;
  updateButtons();
  try {
    const device = $("device").value;
    prepareRinging();  // a click: the ringtone and notifications may start from here
    if (device === "webrtc") await startPhone();
    showState(await api("POST", `/api/agents/${desk.agent}/login`, { device }));
    say("已签入：等待来电。", "success");
  } finally {
    desk.busy = false;
    updateButtons();
  }
}));
$("ready").addEventListener("click", () => attempt(async () =>
  showState(await api("POST", `/api/agents/${desk.agent}/unpause`))));
$("pause").addEventListener("click", () => attempt(async () =>
  showState(await api("POST", `/api/agents/${desk.agent}/pause`, { reason: $("reason").value }))));
$("logout").addEventListener("click", () => attempt(async () => {
  showState(await api("POST", `/api/agents/${desk.agent}/logout`));
  stopPhone("软电话已注销（已签出）");
  say("已签出：不再分配来电。", "success");
}));
$("signout").addEventListener("click", async () => {
  if (desk.state === "on_call" && !confirm("正在通话中：退出登录会断开浏览器软电话的通话。仍要退出吗？")) return;
  await attempt(() => api("POST", "/api/logout"));
  if (desk.ua) desk.ua.stop();
  location.reload();
});

// -- keyboard ---------------------------------------------------------------------------------

document.addEventListener("keydown", (e) => {
  if (!e.altKey) return;
  const key = e.key.toLowerCase();
  const buttons = { a: "answer", h: "hangup", r: "ready", p: "pause", s: "confirm" };
  if (!buttons[key]) return;
  e.preventDefault();
  if (!$(buttons[key]).disabled) $(buttons[key]).click();
});
