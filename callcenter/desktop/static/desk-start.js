// The agent desktop's start: who signed in (an admin goes to the admin page), the agent's
// event stream — whose first event restores the page after a reload: the state, the phone
// (registered again), the call in progress and its ticket — and the call card.
"use strict";

// The state bar's words from the glossary (one word per action and device everywhere).
function glossaryLabels() {
  const labels = { login: ["agent_action", "login"], logout: ["agent_action", "logout"],
    ready: ["agent_action", "unpause"], pause: ["agent_action", "pause"],
    signout: ["agent_action", "sign_out"] };
  for (const [id, [group, key]] of Object.entries(labels)) $(id).textContent = word(group, key);
  for (const option of $("device").options) option.textContent = word("device", option.value);
}

async function start(me) {
  desk.csrf = me.csrf; desk.agent = me.agent;
  if (me.role === "admin") { location.replace("/admin"); return; }
  if (me.role === "unit") { location.replace("/unit"); return; }
  if (me.role !== "agent" || !me.agent) {
    const box = $("signin-error");
    box.textContent = "此页面供话务员使用。班长请使用";
    box.append(Object.assign(document.createElement("a"), { href: "/wallboard", textContent: "监控大屏" }), "。");
    return;
  }
  glossaryLabels();
  $("signin").hidden = true; $("desk").hidden = false;
  $("who").textContent = `工号 ${me.agent}`;
  watchAgent();
  loadDestinations(); loadCallbacks();
  setInterval(tick, 1000);
  // after a reload the browser lets the ringtone play only once the agent has clicked
  document.addEventListener("click", () => {
    if (!ring.context || ring.context.state !== "running") prepareRinging();
  });
}

function watchAgent() {
  const stream = new EventSource(`/api/agents/${desk.agent}/events`);
  desk.agentStream = stream;
  stream.addEventListener("agent", (e) => {  // first, and after every reconnection
    const agent = JSON.parse(e.data);
    fillReasons(agent.pause_reasons || []);
    desk.offlineLogoutS = agent.offline_logout_s || 0;
    desk.ringLimit = agent.ring_no_answer_limit || 0;
    showState(agent);
    if (agent.call) restoreCall(agent);
    else if (!desk.session) showNoCall();
    if (agent.ticket) openTicket(agent.ticket);
  });
  stream.addEventListener("state", (e) => showState(JSON.parse(e.data)));
  stream.addEventListener("signed_out", signedOut);
  stream.addEventListener("offer", (e) => {
    const call = JSON.parse(e.data).call;
    clearTicket(); resetTransfer();  // the last call's ticket and results go
    showCall(call, "振铃中");
    startRinging(call);
  });
  stream.addEventListener("answered", (e) => { stopRinging(); showCall(JSON.parse(e.data).call, "通话中"); });
  stream.addEventListener("ticket", (e) => openTicket(JSON.parse(e.data).ticket));
  stream.addEventListener("missed", () => missedCall());
  stream.addEventListener("ended", () => endCall());
  // a supervisor paused, resumed or signed out this agent, or changed their queues: why
  stream.addEventListener("supervisor", (e) => say(JSON.parse(e.data).text, "info"));
  // the engine signed the agent out (the phone stayed offline)
  stream.addEventListener("notice", (e) => {
    const notice = JSON.parse(e.data);
    say(notice.text, notice.level === "warning" ? "warning" : "info");
  });
  stream.onerror = () => showPhoneState("与系统的连接中断，正在重连…", false);
}

// -- the call card ----------------------------------------------------------------------------

function showCall(call, what) {
  if (!call) return;
  desk.call = call;
  const lines = [`${what}：拨打 ${call.dialed || "未知号码"}`];
  if (call.hotline) {
    lines.push(call.mode === "merged"
      ? `原 ${call.hotline}（${call.number}，${call.mode_name || word("section", call.mode)}） · 承办：${call.unit}`
      : `${call.hotline}（${call.mode_name || word("section", call.mode)}）`);
  }
  lines.push(`${word("term", "queue")}：${call.queue_title || "未知"} · 等待 ${Math.round(call.waited_s || 0)} 秒`);
  $("call-card").textContent = lines.join("\n");
  $("call-card").className = "";
}

// After a reload: the engine's call in progress. A call that was on this page's browser
// softphone cannot be taken back into a new page: say so, and what to do.
function restoreCall(agent) {
  showCall(agent.call, agent.state === "ringing" ? "振铃中" : "通话中");
  if (agent.state === "on_call" && agent.device === "webrtc" && !desk.session) {
    const card = $("call-card");
    card.textContent += "\n页面刷新后，浏览器软电话的这通电话已没有声音，无法接回：来电人听不到您。" +
      "请点“转回队列”，来电人会听到稍候提示并优先接给下一位话务员（可能就是您）。";
    card.className = "warning";
    const back = Object.assign(document.createElement("button"), { id: "requeue",
      textContent: "转回队列" });
    back.addEventListener("click", () => attempt(async () => {
      const done = await api("POST", `/api/agents/${desk.agent}/requeue`);
      card.textContent = `来电已转回队列（${done.queue_title}），正在优先等待接听。请完成并确认工单。`;
      card.className = "muted";
    }));
    card.append(document.createElement("br"), back);
  }
}

function showNoCall() {
  desk.call = null;
  $("call-card").textContent = "暂无来电";
  $("call-card").className = "muted";
}

function missedCall() {
  stopRinging();
  const limit = desk.ringLimit ? `连续 ${desk.ringLimit} 次未接，系统会将您暂停（未接）。` : "";
  $("call-card").textContent = `未接来电：振铃期间未接听，来电已转给其他话务员或回到队列等待。${limit}` +
    "如需离开座位，请先点“暂停”。";
  $("call-card").className = "warning";
  desk.call = null;
}

function endCall() {
  stopRinging();
  desk.call = null;
  $("call-card").textContent = "通话已结束：请完成并确认工单。";
  $("call-card").className = "muted";
  resetTransfer();
}

signIn(api, start);
