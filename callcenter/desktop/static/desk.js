// 12345 agent desktop: one page, no reload during a call. Talks only to the engine's API
// (session cookie + CSRF token); the browser softphone registers through the engine's /sip.
"use strict";

const $ = (id) => document.getElementById(id);
const STATES = { logged_out: "未签入", available: "就绪", ringing: "振铃", on_call: "通话中",
  wrapup: "话后处理", paused: "小休" };
const MODES = { conference: "三方通话", attended: "咨询转", blind: "盲转" };
const desk = { csrf: "", agent: "", role: "", ticket: null, ticketStream: null,
  agentStream: null, since: null, wrapupEnds: null, ua: null, session: null,
  muted: false, held: false, phone: null };

// -- the API --------------------------------------------------------------------------------

async function api(method, path, body) {
  return callApi(method, path, body, desk.csrf, explain);
}

function explain(status, data) {
  const why = data.error || "";
  if (status === 401) return "登录已失效，请重新登录。" + (why ? `（${why}）` : "");
  if (status === 403) return `无权进行此操作：话务员只能处理本人的坐席、来电和工单。（${why}）`;
  if (status === 404) return `未找到：${why}`;
  if (status === 409) return `当前状态下不能这样做：${why}`;
  if (status === 429) return `尝试次数过多：${why}`;
  if (status === 503) return `系统暂不可用：${why}`;
  return why || `请求失败（${status}）`;
}

function say(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
}

async function attempt(action) {
  try { say(""); return await action(); } catch (error) { say(error.message); return null; }
}

// -- signing in -----------------------------------------------------------------------------

async function start(me) {
  desk.csrf = me.csrf; desk.agent = me.agent; desk.role = me.role;
  if (me.role !== "agent") {
    $("signin-error").textContent = "此页面供话务员使用（当前角色：" + me.role + "）";
    return;
  }
  $("signin").hidden = true; $("desk").hidden = false;
  $("who").textContent = `${me.user} · 工号 ${me.agent}`;
  watchAgent();
  loadDestinations(); loadCallbacks();
  setInterval(tick, 1000);
}

$("signout").addEventListener("click", async () => {
  await attempt(() => api("POST", "/api/logout"));
  if (desk.ua) desk.ua.stop();
  location.reload();
});

// the engine ends a stream whose session has ended (signed out elsewhere, expired, revoked):
// the page starts afresh (no call card or ticket of the person before), saying why
function signedOut() {
  for (const stream of [desk.agentStream, desk.ticketStream]) if (stream) stream.close();
  if (desk.ua) desk.ua.stop();
  reloadSignedOut("登录已失效，请重新登录。");
}

// -- the agent's state and calls ----------------------------------------------------------

function watchAgent() {
  const stream = new EventSource(`/api/agents/${desk.agent}/events`);
  desk.agentStream = stream;
  stream.addEventListener("agent", (e) => {
    const agent = JSON.parse(e.data);
    fillReasons(agent.pause_reasons || []);
    showState(agent);
    if (agent.call) showCall(agent.call, "通话中");
    if (agent.ticket) openTicket(agent.ticket);
  });
  stream.addEventListener("state", (e) => showState(JSON.parse(e.data)));
  stream.addEventListener("signed_out", signedOut);
  stream.addEventListener("offer", (e) => showCall(JSON.parse(e.data).call, "振铃中"));
  stream.addEventListener("answered", (e) => showCall(JSON.parse(e.data).call, "通话中"));
  stream.addEventListener("ticket", (e) => openTicket(JSON.parse(e.data).ticket));
  stream.addEventListener("missed", () => { $("call-card").textContent = "未接来电"; });
  stream.addEventListener("ended", () => endCall());
  // a supervisor paused, resumed or signed out this agent, or changed their queues: why
  stream.addEventListener("supervisor", (e) => say(JSON.parse(e.data).text));
  stream.onerror = () => { $("phone-state").textContent = "与系统的连接中断，正在重连…"; };
}

function fillReasons(reasons) {
  const select = $("reason");
  if (select.options.length) return;
  for (const reason of reasons) select.add(new Option(reason, reason));
}

function showState(agent) {
  const state = $("state");
  state.className = "state " + agent.state;
  state.textContent = agent.state === "paused" && agent.reason ? agent.reason
    : (STATES[agent.state] || agent.state);
  desk.since = agent.since ? agent.since * 1000 : Date.now();
  desk.wrapupEnds = agent.wrapup_left_s ? Date.now() + agent.wrapup_left_s * 1000 : null;
  tick();
}

function tick() {
  const seconds = Math.max(0, Math.round((Date.now() - (desk.since || Date.now())) / 1000));
  $("state-time").textContent = `${Math.floor(seconds / 60)}分${seconds % 60}秒`;
  const left = desk.wrapupEnds ? Math.ceil((desk.wrapupEnds - Date.now()) / 1000) : 0;
  $("countdown").textContent = left > 0 ? `话后处理剩余 ${left} 秒` : "";
}

function showCall(call, what) {
  if (!call) return;
  const lines = [`${what}：拨打 ${call.dialed || ""}`];
  if (call.hotline) {
    lines.push(call.mode === "merged" ? `原 ${call.hotline}（${call.number}） · ${call.unit}`
      : `${call.hotline}（${call.mode_name || call.mode}）`);
  }
  lines.push(`队列 ${call.queue || ""} · 等待 ${Math.round(call.waited_s || 0)} 秒`);
  $("call-card").textContent = lines.join("\n");
  $("call-card").className = "";
}

function endCall() {
  $("call-card").textContent = "通话已结束";
  $("call-card").className = "muted";
  for (const id of ["transfer-start", "transfer-complete", "transfer-cancel"]) $(id).disabled = true;
}

$("login").addEventListener("click", () => attempt(async () => {
  const device = $("device").value;
  if (device === "webrtc") await startPhone();
  await api("POST", `/api/agents/${desk.agent}/login`, { device });
}));
$("ready").addEventListener("click", () => attempt(() =>
  api("POST", `/api/agents/${desk.agent}/unpause`)));
$("pause").addEventListener("click", () => attempt(() =>
  api("POST", `/api/agents/${desk.agent}/pause`, { reason: $("reason").value })));
$("logout").addEventListener("click", () => attempt(() =>
  api("POST", `/api/agents/${desk.agent}/logout`)));

// -- the browser softphone (JsSIP through the engine's /sip) --------------------------------

async function startPhone() {
  if (desk.ua) return;
  if (!desk.phone) {  // one registration at a time (a second click waits for the first)
    desk.phone = registerPhone(api, (text) => { $("phone-state").textContent = text; },
      ringing).finally(() => { desk.phone = null; });
  }
  desk.ua = await desk.phone;
}

function ringing(session) {
  desk.session = session;
  $("answer").disabled = false; $("hangup").disabled = false;
  session.on("ended", phoneIdle); session.on("failed", phoneIdle);
  session.on("peerconnection", (e) => attachAudio(e.peerconnection));
}

function attachAudio(pc) {
  pc.addEventListener("track", (e) => {
    const audio = $("remote-audio");
    audio.srcObject = e.streams[0];
    audio.play().catch(() => {});
  });
}

function phoneIdle() {
  desk.session = null; desk.loudest = 0; desk.muted = false; desk.held = false;
  for (const id of ["answer", "hangup", "mute", "hold"]) $(id).disabled = true;
  $("mute").textContent = "静音"; $("hold").textContent = "保持";
}

function answer() {
  if (!desk.session) return;
  desk.session.answer({ mediaConstraints: { audio: true, video: false },
    pcConfig: { iceServers: [] } });
  if (desk.session.connection) attachAudio(desk.session.connection);
  $("answer").disabled = true; $("mute").disabled = false; $("hold").disabled = false;
}

function hangup() { if (desk.session) desk.session.terminate(); }

$("answer").addEventListener("click", answer);
$("hangup").addEventListener("click", hangup);
$("mute").addEventListener("click", () => {
  if (!desk.session) return;
  desk.muted = !desk.muted;
  if (desk.muted) desk.session.mute(); else desk.session.unmute();
  $("mute").textContent = desk.muted ? "取消静音" : "静音";
});
$("hold").addEventListener("click", () => {
  if (!desk.session) return;
  desk.held = !desk.held;
  if (desk.held) desk.session.hold(); else desk.session.unhold();
  $("hold").textContent = desk.held ? "恢复通话" : "保持";
});

// the remote audio as the page receives it (for tests and diagnostics): the stream with the
// most packets, and the loudest level seen so far in this call
window.remoteAudioLevel = async function () {
  const pc = desk.session && desk.session.connection;
  if (!pc) return null;
  let found = null;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio" &&
        (!found || s.packetsReceived > found.packets)) {
      found = { packets: s.packetsReceived, level: s.audioLevel || 0,
        energy: s.totalAudioEnergy || 0 };
    }
  });
  if (found) {
    desk.loudest = Math.max(desk.loudest || 0, found.level);
    found.loudest = desk.loudest;
  }
  return found;
};

// -- the ticket: transcript, pre-fill, confirmation, history --------------------------------

const FIELDS = ["phones", "city", "county", "detail", "request_type", "topic", "unit",
  "urgent", "emergency_referral", "out_of_scope", "summary"];

function openTicket(ticketId) {
  if (!ticketId || desk.ticket === ticketId) return;
  if (desk.ticketStream) desk.ticketStream.close();
  desk.ticket = ticketId;
  $("ticket-id").textContent = `#${ticketId}`;
  $("transcript").textContent = ""; $("partial").textContent = "";
  $("confirm").disabled = false; $("confirmed").textContent = "";
  $("ticket-form").reset(); edited.clear();
  $("transfer-status").textContent = ""; $("transfer-start").disabled = false;
  $("suggestions").textContent = ""; $("article").hidden = true;
  const stream = new EventSource(`/api/tickets/${ticketId}/events`);
  desk.ticketStream = stream;
  stream.addEventListener("ticket", (e) => {
    const ticket = JSON.parse(e.data);
    for (const u of ticket.transcript || []) addUtterance(u);
    fillForm({ ...ticket.prefill, ...ticket.confirmed }, true);
  });
  stream.addEventListener("partial", (e) => {
    const u = JSON.parse(e.data);
    $("partial").textContent = (u.speaker === "caller" ? "来电人：" : "话务员：") + u.text;
  });
  stream.addEventListener("utterance", (e) => { addUtterance(JSON.parse(e.data));
    $("partial").textContent = ""; });
  stream.addEventListener("correction", (e) => correctUtterance(JSON.parse(e.data)));
  stream.addEventListener("prefill", (e) => { fillForm(JSON.parse(e.data).fields, false);
    suggest(); });
  stream.addEventListener("transfer", (e) => showTransfer(JSON.parse(e.data)));
  stream.addEventListener("closed", () => stream.close());
  stream.addEventListener("signed_out", signedOut);
  stream.onerror = () => {};
  loadHistory(ticketId); suggest();
}

function addUtterance(u) {
  const item = document.createElement("li");
  item.className = u.speaker;
  item.dataset.start = u.start_s;
  item.textContent = u.text;
  $("transcript").append(item);
  item.scrollIntoView({ block: "nearest" });
}

function correctUtterance(u) {
  for (const item of $("transcript").children) {
    if (item.className === u.speaker && Number(item.dataset.start) === u.start_s) {
      item.textContent = u.text;
    }
  }
}

const edited = new Set();
$("ticket-form").addEventListener("input", (e) => edited.add(e.target.name));

function fillForm(fields, all) {
  const form = $("ticket-form");
  const flat = { ...fields, ...(fields.place || {}) };
  if (Array.isArray(flat.phones)) flat.phones = flat.phones.join("、");
  for (const name of FIELDS) {
    const input = form.elements[name];
    if (!input || (!all && edited.has(name)) || flat[name] === undefined) continue;
    if (input.type === "checkbox") input.checked = Boolean(flat[name]);
    else input.value = flat[name] === null ? "" : flat[name];
  }
}

$("ticket-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(async () => {
    const form = $("ticket-form");
    const fields = {};
    for (const name of FIELDS) {
      const input = form.elements[name];
      fields[name] = input.type === "checkbox" ? input.checked : input.value;
    }
    await api("POST", `/api/tickets/${desk.ticket}/confirm`, { fields });
    edited.clear();
    $("confirmed").textContent = "已确认 " + new Date().toLocaleTimeString("zh-CN");
  });
});

async function loadHistory(ticketId) {
  const list = $("history");
  const history = await attempt(() => api("GET", `/api/tickets/${ticketId}/history`));
  list.textContent = "";
  $("repeat").hidden = !(history && history.repeat);
  if (!history || !history.earlier.length) {
    list.append(Object.assign(document.createElement("li"), { className: "muted", textContent: "无" }));
    return;
  }
  for (const t of history.earlier) {
    const item = document.createElement("li");
    const link = Object.assign(document.createElement("a"), { href: "#",
      textContent: `#${t.id} ${t.opened_at.slice(0, 16).replace("T", " ")} ${t.hotline_name} ${t.topic || ""} ${t.request_type || ""}` });
    link.addEventListener("click", (e) => { e.preventDefault(); showEarlier(ticketId, t.id); });
    item.append(link);
    list.append(item);
  }
}

async function showEarlier(current, other) {
  const ticket = await attempt(() => api("GET", `/api/tickets/${current}/earlier/${other}`));
  if (!ticket) return;
  const said = (ticket.transcript || []).map((u) => (u.speaker === "caller" ? "来电人：" : "话务员：") + u.text);
  $("earlier-text").textContent = [`工单 #${ticket.id} · ${ticket.opened_at} · ${ticket.hotline_name}`,
    `承办：${ticket.unit} · 话务员 ${ticket.agent}`,
    "确认内容：" + JSON.stringify(ticket.confirmed, null, 1), "", ...said].join("\n");
  $("earlier").showModal();
}
$("earlier-close").addEventListener("click", () => $("earlier").close());

// -- transfers ------------------------------------------------------------------------------

async function loadDestinations() {
  const found = await attempt(() => api("GET", "/api/transfer-destinations"));
  for (const d of found || []) {
    $("destination").add(new Option(`${d.number} ${d.name}${d.experts ? "（专家坐席）" : ""}`, d.number));
  }
}

function showTransfer(t) {
  const phase = { started: "呼叫中", ringing: "振铃中", answered: "已接通", completed: "已完成",
    failed: "失败", cancelled: "已取消" }[t.outcome || t.phase] || (t.outcome || t.phase);
  const why = t.reason_text || t.reason || "";
  $("transfer-status").textContent = `转接 ${t.destination || ""} ${t.name || ""}（${MODES[t.mode] || t.mode || ""}）：${phase}${why ? "，原因：" + why : ""}`;
  const live = !t.outcome;
  $("transfer-complete").disabled = !live; $("transfer-cancel").disabled = !live;
}

$("transfer-start").addEventListener("click", () => attempt(async () => {
  $("transfer-status").textContent = "正在转接…";
  const result = await api("POST", `/api/agents/${desk.agent}/transfer`,
    { destination: $("destination").value, mode: $("mode").value, wait: true });
  showTransfer(result);
}));
$("transfer-complete").addEventListener("click", () => attempt(async () =>
  showTransfer(await api("POST", `/api/agents/${desk.agent}/transfer/complete`))));
$("transfer-cancel").addEventListener("click", () => attempt(async () =>
  showTransfer(await api("POST", `/api/agents/${desk.agent}/transfer/cancel`))));

// -- callbacks ------------------------------------------------------------------------------

async function loadCallbacks() {
  const rows = await attempt(() => api("GET", "/api/callbacks"));
  const list = $("callbacks");
  list.textContent = "";
  if (!rows || !rows.length) {
    list.append(Object.assign(document.createElement("li"), { className: "muted", textContent: "无" }));
    return;
  }
  for (const r of rows) {
    const item = document.createElement("li");
    item.textContent = `${r.requested_at.slice(11, 19)} ${r.caller} 拨打 ${r.dialed} · ${r.queue} `;
    const done = Object.assign(document.createElement("button"), { textContent: "已回拨" });
    done.addEventListener("click", () => attempt(async () => {
      await api("POST", `/api/callbacks/${r.id}/done`); loadCallbacks(); }));
    item.append(done);
    list.append(item);
  }
}
$("callbacks-refresh").addEventListener("click", loadCallbacks);

// -- knowledge base -------------------------------------------------------------------------

function hitItem(hit) {
  const item = document.createElement("li");
  const title = Object.assign(document.createElement("a"), { href: "#", textContent: hit.title });
  title.addEventListener("click", (e) => { e.preventDefault(); showArticle(hit.id); });
  item.append(title);
  if (hit.snippet) {
    const snippet = document.createElement("div");
    snippet.className = "muted";
    let at = 0;
    for (const [start, end] of hit.highlights || []) {
      snippet.append(hit.snippet.slice(at, start));
      snippet.append(Object.assign(document.createElement("mark"), { textContent: hit.snippet.slice(start, end) }));
      at = end;
    }
    snippet.append(hit.snippet.slice(at));
    item.append(snippet);
  }
  return item;
}

$("knowledge-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(async () => {
    const hits = await api("GET", "/api/knowledge?q=" + encodeURIComponent($("knowledge-q").value));
    $("knowledge-results").replaceChildren(...hits.map(hitItem));
  });
});

async function suggest() {
  if (!desk.ticket) return;
  const found = await attempt(() => api("GET", `/api/tickets/${desk.ticket}/suggestions`));
  if (found) $("suggestions").replaceChildren(...found.articles.map(hitItem));
}

async function showArticle(id) {
  const article = await attempt(() => api("GET", `/api/knowledge/${encodeURIComponent(id)}`));
  if (!article) return;
  const box = $("article");
  box.replaceChildren(Object.assign(document.createElement("h3"), { textContent: article.title }),
    Object.assign(document.createElement("div"), { textContent: article.body }));
  if (desk.ticket) {
    const used = Object.assign(document.createElement("button"), { textContent: "据此答复（记录）" });
    used.addEventListener("click", () => attempt(async () => {
      await api("POST", `/api/tickets/${desk.ticket}/answered-from`, { article: id });
      used.textContent = "已记录"; used.disabled = true; }));
    box.append(used);
  }
  box.hidden = false;
}

// -- keyboard ---------------------------------------------------------------------------------

document.addEventListener("keydown", (e) => {
  if (!e.altKey) return;
  const key = e.key.toLowerCase();
  if (key === "a") { e.preventDefault(); answer(); }
  else if (key === "h") { e.preventDefault(); hangup(); }
  else if (key === "r") { e.preventDefault(); $("ready").click(); }
  else if (key === "p") { e.preventDefault(); $("pause").click(); }
});

signIn(api, start);
