// 12345 wallboard (监控大屏): signs in like the agent desktop (session cookie), then shows the
// board the engine pushes (server-sent events). Waits and times in state are counted here
// from the board's timestamps, so the engine pushes only when something changed.
// ?screen=1: the wall display — no controls, large type, fits the screen (tables that do
// not fit turn their pages by themselves).
// Words for states and terms come from the glossary (/assets/glossary.js): one word per state
// on every page.
"use strict";

const STATES = GLOSSARY.agent_state;
const screenMode = new URLSearchParams(location.search).get("screen") === "1";
const PAGE_TURN_MS = 10000;  // the wall display's tables that do not fit turn a page so often
const wall = { csrf: "", offset: 0, board: null, stream: null, ticking: null, me: null,
  page: 0, turning: null };
// the supervisor's console (console.js) adds its controls through these (not on the wall)
const hooks = { started: null, signedOut: null, board: null, agentRow: null, queueRow: null };

async function api(method, path, body) { return request(wall, method, path, body); }

// -- signing in -----------------------------------------------------------------------------

async function start(me) {
  wall.csrf = me.csrf || "";
  wall.me = me;
  if (me.role === "unit") { location.replace("/unit"); return; }
  if (me.role !== "supervisor") {
    const where = me.role === "admin" ? "请改用系统管理页面" : "请使用话务员工作台";
    $("signin-error").textContent = `监控大屏仅供班长使用（您的角色：${roleName(me.role)}）：${where}。`;
    return;
  }
  $("signin").hidden = true; $("board").hidden = false;
  $("who").textContent = roleName(me.role);
  if (hooks.started && !screenMode) hooks.started(me);
  watch();
  if (!wall.ticking) wall.ticking = setInterval(tick, 1000);
  if (screenMode && !wall.turning) wall.turning = setInterval(turnPage, PAGE_TURN_MS);
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
  stream.onopen = () => { $("link").textContent = ""; };
  stream.onerror = async () => {
    $("link").textContent = "与系统的连接中断，正在重连…";
    try { await api("GET", "/api/wallboard"); } catch (error) {
      if (error.status === 401 || error.status === 403) signedOut(error.message);
    }
  };
}

function nowS() { return Date.now() / 1000 + wall.offset; }

function pct(rate) { return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%"; }

function judged(rate, target) {
  if (rate === null || rate === undefined) return "";
  return rate >= target ? "good" : "bad";
}

function queueTitle(board, queue) {
  return (board.queues.find((q) => q.queue === queue) || {}).title || "未命名队列";
}

function show(board) {
  wall.board = board;
  wall.offset = board.now - Date.now() / 1000;
  $("day").textContent = board.day;
  if (wall.me) $("who").textContent = `${roleName(wall.me.role)} ${(board.supervisors || {})[wall.me.user] || wall.me.user}`;
  $("catching-up").hidden = !board.catching_up;
  showAlerts(board);
  showTotals(board);
  showQueues(board);
  showAgents(board);
  if (hooks.board && !screenMode) hooks.board(board);
  tick();
  if (screenMode) fitPages();
}

function showAlerts(board) {
  // queues with nobody logged in: one line for all of them (a night can have many)
  const nobody = board.alerts.filter((a) => a.kind === "nobody");
  const shown = board.alerts.filter((a) => a.kind !== "nobody").map((a) => {
    const line = el("div", "⚠ " + a.text, "alert " + a.kind);
    if (a.agent) line.dataset.agent = a.agent;
    if (a.queue) line.dataset.queue = a.queue;
    return line;
  });
  if (nobody.length) {
    const names = nobody.map((a) => queueTitle(board, a.queue));
    const line = el("div", `⚠ 无话务员签入，来电无人接听：${names.join("、")}`, "alert nobody");
    shown.splice(board.alerts.findIndex((a) => a.kind === "nobody"), 0, line);
  }
  $("alerts").replaceChildren(...shown);
}

function kpi(label, value, className, note) {
  const box = el("div", null, "kpi");
  box.append(el("span", label), el("b", value, className));
  if (note) box.append(el("small", note));
  return box;
}

function showTotals(board) {
  const t = board.totals, target = board.targets;
  // what the day's rate counts: every call, also those that never reached a queue (whose
  // rate the queues' own rows show)
  const connection = el("div", null, "kpi wide");
  connection.id = "kpi-connection";
  const rates = el("b");
  rates.append(el("span", pct(t.connection_rate), judged(t.connection_rate, target.connection_rate)),
    el("em", " 全部来电"), el("span", " " + pct(t.queued_connection_rate),
      judged(t.queued_connection_rate, target.connection_rate)), el("em", " 进入队列的"));
  const hungUp = Math.max(0, t.unqueued - t.unqueued_callback - t.unqueued_subcenter);
  const note = el("small", `目标 ≥ ${(target.connection_rate * 100).toFixed(0)}% · ${t.queued} 通进入队列，`
    + `${t.unqueued} 通未进入（登记回拨 ${t.unqueued_callback}，分中心接听 ${t.unqueued_subcenter}，`
    + `进队列前挂断等 ${hungUp}）`);
  note.id = "kpi-queued";
  connection.append(el("span", "接通率"), rates, note);
  $("totals").replaceChildren(
    kpi("排队中", t.waiting, t.waiting ? "bad" : ""),
    kpi("今日呼入", t.offered),
    kpi("人工接通", t.answered),
    kpi("放弃", t.abandoned, "", `其中5秒内 ${t.abandoned_5s}`),
    kpi("溢出", t.overflowed),
    kpi(`${target.answer_within_s}秒接通率`, pct(t.service_rate), judged(t.service_rate, target.service_rate),
      `目标 ≥ ${(target.service_rate * 100).toFixed(0)}%`),
    connection,
    kpi("平均处理时长", t.aht_s === null ? "—" : duration(t.aht_s)),
    kpi(GLOSSARY.term.callback, t.callbacks_waiting === null ? "—" : t.callbacks_waiting),
    kpi("签入话务员", t.logged_in));
}

// queues with callers waiting first (the longest wait first), then those that take calls
function ordered(queues) {
  const rank = (q) => [q.waiting ? 0 : 1, q.oldest_joined_at === null ? Infinity : q.oldest_joined_at,
    q.takes_calls || q.logged_in ? 0 : 1];
  return [...queues].sort((a, b) => {
    const x = rank(a), y = rank(b);
    for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  });
}

function showQueues(board) {
  const target = board.targets;
  const rows = ordered(board.queues).filter((q) => !screenMode || q.takes_calls || q.waiting
    || q.offered || q.logged_in || q.overflowed);
  $("queues").tBodies[0].replaceChildren(...rows.map((q) => {
    const row = el("tr", null, q.waiting ? "waiting" : "");
    const wait = el("td", "—");
    if (q.oldest_joined_at !== null) {
      wait.dataset.since = q.oldest_joined_at;
      wait.dataset.limit = q.service_level_s;
    }
    row.append(el("td", q.title || "未命名队列", "name"),
      el("td", q.waiting, q.waiting ? "bad" : ""), wait,
      el("td", q.available), el("td", q.busy), el("td", q.paused),
      el("td", q.phone_offline, q.phone_offline ? "bad" : ""),
      el("td", q.answered), el("td", q.abandoned), el("td", q.overflowed),
      el("td", pct(q.service_rate), judged(q.service_rate, target.service_rate)),
      el("td", pct(q.connection_rate), judged(q.connection_rate, target.connection_rate)),
      el("td", q.callbacks_waiting === null ? "—" : q.callbacks_waiting));
    row.dataset.queue = q.queue;
    if (q.takes_calls && !q.logged_in) row.classList.add("nobody");
    if (hooks.queueRow && !screenMode) hooks.queueRow(row, q);
    return row;
  }));
}

// the state (the phone's, when it is offline), a supervisor's pause during a call beside it,
// and why the agent is paused (by whom)
function stateCell(a) {
  const cell = el("td", null, "state-cell");
  if (a.state !== "logged_out" && a.phone === "offline") {
    cell.append(el("span", STATES.phone_offline, "state phone_offline"));
  } else {
    cell.append(el("span", STATES[a.state] || a.state, "state " + a.state));
  }
  // a supervisor's pause during a call (or a wrap-up): the call, and the pause after it
  if (a.paused && a.state !== "paused") {
    const held = el("span", STATES.paused, "state paused held");
    held.title = "通话结束后保持暂停";
    cell.append(held);
  }
  if (a.reason) cell.append(el("small", a.reason + (a.paused_by ? `（班长${a.paused_by}）` : ""), "reason"));
  return cell;
}

function showAgents(board) {
  const everyone = !screenMode && $("show-out").checked;
  const rows = board.agents.filter((a) => everyone || a.state !== "logged_out" || a.calls_today);
  $("agents").tBodies[0].replaceChildren(...rows.map((a) => {
    const row = el("tr", null, a.state === "logged_out" ? "out" : "");
    const since = el("td", "—");
    if (a.since !== null && a.state !== "logged_out") since.dataset.since = a.since;
    row.append(el("td", a.agent), el("td", a.name, "name"), stateCell(a), since,
      el("td", a.calls_today), el("td", a.aht_s === null ? "—" : duration(a.aht_s)));
    row.dataset.agent = a.agent;
    if (hooks.agentRow && !screenMode) hooks.agentRow(row, a);
    return row;
  }));
}

function tick() {
  const now = nowS();
  $("clock").textContent = shownTime(now, false);
  for (const cell of document.querySelectorAll("[data-since]")) {
    const seconds = now - Number(cell.dataset.since);
    cell.textContent = duration(seconds);
    if (cell.dataset.limit) cell.classList.toggle("late", seconds > Number(cell.dataset.limit));
  }
}

// -- the wall display: every table fits its panel, in pages that turn -------------------------

function fitPanel(panel, pages) {
  const scroll = panel.querySelector(".scroll");
  const rows = [...panel.querySelector("tbody").rows];
  for (const row of rows) row.hidden = false;
  const room = scroll.clientHeight - panel.querySelector("thead").offsetHeight;
  // rows into pages of what fits, in order (rows differ in height: titles wrap)
  const pageOf = [];
  let page = 0, used = 0;
  for (const row of rows) {
    const tall = row.offsetHeight;
    if (used > 0 && used + tall > room) { page += 1; used = 0; }
    pageOf.push(page);
    used += tall;
  }
  const count = page + 1;
  const shown = wall.page % count;
  rows.forEach((row, i) => { row.hidden = pageOf[i] !== shown; });
  pages.textContent = count > 1 ? ` 第 ${shown + 1}/${count} 页` : "";
}

function fitPages() {
  fitPanel($("queue-panel"), $("queue-pages"));
  fitPanel($("agent-panel"), $("agent-pages"));
}

function turnPage() {
  wall.page += 1;
  fitPages();
}

if (screenMode) {
  document.body.classList.add("screen");
  new ResizeObserver(() => { if (wall.board) fitPages(); }).observe($("panels"));
}
signIn(api, start);
