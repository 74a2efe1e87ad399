// 12345 wallboard (监控大屏): signs in like the agent desktop (session cookie), then shows the
// board the engine pushes (server-sent events). Waits and times in state are counted here
// from the board's timestamps, so the engine pushes only when something changed.
// ?screen=1: the wall display — no controls, large type.
"use strict";

const $ = (id) => document.getElementById(id);
const STATES = { logged_out: "未签入", available: "空闲", ringing: "振铃", on_call: "通话中",
  wrapup: "话后处理", paused: "暂停" };
const screenMode = new URLSearchParams(location.search).get("screen") === "1";
const wall = { csrf: "", offset: 0, board: null, stream: null, ticking: null };
// the supervisor's console (console.js) adds its controls through these (not on the wall)
const hooks = { started: null, signedOut: null, board: null, agentRow: null, queueRow: null };

// -- the API (as the agent desktop does it) ------------------------------------------------

async function api(method, path, body) {
  return callApi(method, path, body, wall.csrf, explain);
}

function explain(status, data) {
  const why = data.error || "";
  if (status === 401) return "登录已失效，请重新登录。";
  if (status === 403) return `无权查看监控大屏：仅限班长。（${why}）`;
  if (status === 429) return `尝试次数过多：${why}`;
  if (status === 503) return `系统暂不可用：${why}`;
  return why || `请求失败（${status}）`;
}

function say(text, done = false) {
  $("message").textContent = text;
  $("message").hidden = !text;
  $("message").classList.toggle("ok", done);  // what was done, not what went wrong
}

// -- signing in -----------------------------------------------------------------------------

async function start(me) {
  wall.csrf = me.csrf || "";
  if (me.role !== "supervisor") {
    $("signin-error").textContent = "此页面供班长使用（当前角色：" + me.role + "）";
    return;
  }
  $("signin").hidden = true; $("board").hidden = false;
  $("who").textContent = me.user;
  if (hooks.started && !screenMode) hooks.started(me);
  watch();
  if (!wall.ticking) wall.ticking = setInterval(tick, 1000);
}

function signedOut(text) {
  if (hooks.signedOut) hooks.signedOut();
  if (wall.stream) wall.stream.close();
  wall.stream = null;
  $("board").hidden = true; $("signin").hidden = false;
  $("signin-error").textContent = text;
}

$("signout").addEventListener("click", async () => {
  if (hooks.signedOut) hooks.signedOut();
  try { await api("POST", "/api/logout"); } catch (_error) { /* gone already */ }
  location.reload();
});
$("show-out").addEventListener("change", () => { if (wall.board) showAgents(wall.board); });

// -- the board ------------------------------------------------------------------------------

function watch() {
  if (wall.stream) wall.stream.close();
  const stream = new EventSource("/api/wallboard/events");
  wall.stream = stream;
  stream.addEventListener("board", (e) => show(JSON.parse(e.data)));
  stream.addEventListener("signed_out", () => signedOut("登录已失效，请重新登录。"));
  stream.onopen = () => { $("link").textContent = ""; say(""); };
  stream.onerror = async () => {
    $("link").textContent = "与系统的连接中断，正在重连…";
    try { await api("GET", "/api/wallboard"); } catch (error) {
      if (error.status === 401 || error.status === 403) signedOut(error.message);
      else say(error.message);
    }
  };
}

function nowS() { return Date.now() / 1000 + wall.offset; }

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function pct(rate) { return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%"; }

function judged(rate, target) {
  if (rate === null || rate === undefined) return "";
  return rate >= target ? "good" : "bad";
}

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  if (s < 60) return `${s}秒`;
  if (s < 3600) return `${Math.floor(s / 60)}分${pad(s % 60)}秒`;
  return `${Math.floor(s / 3600)}时${pad(Math.floor(s / 60) % 60)}分`;
}

function show(board) {
  wall.board = board;
  wall.offset = board.now - Date.now() / 1000;
  $("day").textContent = board.day;
  $("catching-up").hidden = !board.catching_up;
  showAlerts(board);
  showTotals(board);
  showQueues(board);
  showAgents(board);
  if (hooks.board && !screenMode) hooks.board(board);
  tick();
}

function showAlerts(board) {
  // queues with nobody logged in: one line for all of them (a night can have many)
  const nobody = board.alerts.filter((a) => a.kind === "nobody");
  const shown = board.alerts.filter((a) => a.kind !== "nobody").map((a) =>
    el("div", "⚠ " + a.text, "alert " + a.kind));
  if (nobody.length) {
    const names = nobody.map((a) => (board.queues.find((q) => q.queue === a.queue) || {}).title || a.queue);
    const line = el("div", `⚠ 无坐席签入，来电无人接听：${names.join("、")}`, "alert nobody");
    line.title = nobody.map((a) => a.text).join("\n");
    shown.splice(board.alerts.findIndex((a) => a.kind === "nobody"), 0, line);
  }
  $("alerts").replaceChildren(...shown);
}

function showTotals(board) {
  const t = board.totals, target = board.targets;
  const kpi = (label, value, className, note) => {
    const box = el("div", null, "kpi");
    box.append(el("span", label), el("b", value, className));
    if (note) box.append(el("small", note));
    return box;
  };
  $("totals").replaceChildren(
    kpi("排队中", t.waiting, t.waiting ? "bad" : ""),
    kpi("今日呼入", t.offered),
    kpi("人工接通", t.answered),
    kpi("放弃", t.abandoned, "", `其中5秒内 ${t.abandoned_5s}`),
    kpi("溢出", t.overflowed),
    kpi(`${target.answer_within_s}秒接通率`, pct(t.service_rate), judged(t.service_rate, target.service_rate),
      `目标 ≥ ${(target.service_rate * 100).toFixed(0)}%`),
    kpi("接通率", pct(t.connection_rate), judged(t.connection_rate, target.connection_rate),
      `目标 ≥ ${(target.connection_rate * 100).toFixed(0)}%`),
    kpi("平均处理时长", t.aht_s === null ? "—" : duration(t.aht_s)),
    kpi("待回拨", t.callbacks_waiting === null ? "—" : t.callbacks_waiting),
    kpi("签入坐席", t.logged_in));
}

function showQueues(board) {
  const target = board.targets;
  const rows = board.queues.filter((q) => !screenMode || q.takes_calls || q.waiting || q.offered
    || q.logged_in || q.overflowed);
  $("queues").tBodies[0].replaceChildren(...rows.map((q) => {
    const row = el("tr");
    const wait = el("td", "—");
    if (q.oldest_joined_at !== null) {
      wait.dataset.since = q.oldest_joined_at;
      wait.dataset.limit = q.service_level_s;
    }
    row.append(el("td", q.title || q.queue),
      el("td", q.waiting, q.waiting ? "bad" : ""), wait,
      el("td", q.answered), el("td", q.abandoned), el("td", q.overflowed),
      el("td", pct(q.service_rate), judged(q.service_rate, target.service_rate)),
      el("td", pct(q.connection_rate), judged(q.connection_rate, target.connection_rate)),
      el("td", q.callbacks_waiting === null ? "—" : q.callbacks_waiting),
      el("td", q.logged_in, q.takes_calls && !q.logged_in ? "bad" : ""),
      el("td", q.available), el("td", q.busy), el("td", q.paused));
    row.dataset.queue = q.queue;
    if (hooks.queueRow && !screenMode) hooks.queueRow(row, q);
    return row;
  }));
}

function showAgents(board) {
  const everyone = !screenMode && $("show-out").checked;
  const rows = board.agents.filter((a) => everyone || a.state !== "logged_out" || a.calls_today);
  $("agents").tBodies[0].replaceChildren(...rows.map((a) => {
    const row = el("tr", null, a.state === "logged_out" ? "out" : "");
    const state = el("td");
    state.append(el("span", STATES[a.state] || a.state, "state " + a.state));
    const since = el("td", "—");
    if (a.since !== null && a.state !== "logged_out") since.dataset.since = a.since;
    row.append(el("td", a.agent), el("td", a.name), state, el("td", a.reason), since,
      el("td", a.calls_today), el("td", a.aht_s === null ? "—" : duration(a.aht_s)));
    row.dataset.agent = a.agent;
    if (hooks.agentRow && !screenMode) hooks.agentRow(row, a);
    return row;
  }));
}

function tick() {
  const now = nowS();
  $("clock").textContent = new Date(now * 1000).toLocaleTimeString("zh-CN", { hour12: false });
  for (const cell of document.querySelectorAll("[data-since]")) {
    const seconds = now - Number(cell.dataset.since);
    cell.textContent = duration(seconds);
    if (cell.dataset.limit) cell.classList.toggle("late", seconds > Number(cell.dataset.limit));
  }
}

if (screenMode) document.body.classList.add("screen");
signIn(api, start);
