// 12345 admin page (系统管理): signs in like the other pages (session cookie, CSRF token), then
// users, the requests waiting for the server's approval, the audit trail and the status.
//
// Adding a user or resetting a password over HTTP is a request (202 {"pending": …}) that the
// system administrator approves on the server (`python run.py user approve ID`, which prints
// the password there, once): no admin is ever shown another person's credentials. An admin
// may withdraw or refuse a request. Account names and commands are shown as <code>.
"use strict";

const adm = { csrf: "", me: null, users: [], agents: {}, auditPage: 0, approvals: true };
const AUDIT_PAGE = 50;  // rows per page of the audit trail
const ROLES = ["agent", "supervisor", "admin", "unit"];
// what an audit row is about (callcenter/commands.py TARGETS: "agent 1001", "monitor session
// 8316228cf31a" …) in Chinese; identifiers of machines and accounts are <code>
const TARGETS = { "earlier ticket": "历史工单", "monitor session": "监听", "user request": "用户申请",
  agent: "话务员", user: "用户", ticket: "工单", call: "来电", callback: "回拨" };
const AS_CODE = new Set(["user", "call", "monitor session"]);

async function api(method, path, body) { return request(adm, method, path, body); }

function code(text) { return el("code", text); }

function cellOf(...nodes) {
  const cell = el("td");
  cell.append(...nodes);
  return cell;
}

function actionName(action) { return GLOSSARY.audit_action[action] || "其他操作"; }

// "agent 1002 user li.ming" → 话务员 1002 · 用户 li.ming; what is not known is shown as
// recorded, as <code>
function targetCell(target) {
  const tokens = String(target || "").split(" ").filter(Boolean);
  if (!tokens.length) return el("td", "—");
  const cell = el("td");
  for (let i = 0; i < tokens.length; i += 1) {
    if (cell.childNodes.length) cell.append(document.createTextNode(" · "));
    const two = `${tokens[i]} ${tokens[i + 1] || ""}`;
    const kind = two in TARGETS ? two : tokens[i];
    if (kind === two) i += 1;
    if (kind in TARGETS && i + 1 < tokens.length) {
      const what = tokens[i += 1];
      cell.append(document.createTextNode(TARGETS[kind] + " "),
        AS_CODE.has(kind) ? code(what) : document.createTextNode(what));
    } else cell.append(code(kind));
  }
  return cell;
}

function resultCell(result) {
  if (result === "ok") return el("td", GLOSSARY.audit_result.ok, "good");
  const cell = el("td", GLOSSARY.audit_result.refused, "bad");
  cell.append(el("small", `（${result}）`, "error-id"));
  return cell;
}

// -- signing in, tabs -------------------------------------------------------------------------

async function start(me) {
  adm.csrf = me.csrf || "";
  adm.me = me;
  if (me.role === "unit") { location.replace("/unit"); return; }
  if (me.role !== "admin") {
    const where = me.role === "supervisor" ? "请使用监控大屏" : "请使用话务员工作台";
    $("signin-error").textContent = `系统管理页面仅供管理员使用（您的角色：${roleName(me.role)}）：${where}。`;
    return;
  }
  $("signin").hidden = true; $("admin").hidden = false;
  $("who").replaceChildren(document.createTextNode(roleName(me.role) + " "), code(me.user));
  await loadStatus();  // the agents' names, for the users' list
  await Promise.all([loadUsers(), loadRequests()]);
}

function showTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== name;
  const load = { users: loadUsers, requests: loadRequests, audit: loadAudit, system: loadStatus }[name];
  load().catch((error) => say(error));
}

for (const b of document.querySelectorAll("#tabs button")) {
  b.addEventListener("click", () => showTab(b.dataset.tab));
}

$("signout").addEventListener("click", async () => {
  try { await api("POST", "/api/logout"); } catch (_error) { /* gone already */ }
  location.reload();
});

// -- users ------------------------------------------------------------------------------------

for (const role of ROLES) {
  const option = el("option", roleName(role));
  option.value = role;
  $("add-role").append(option);
}
// a unit user's unit (承办单位): the ticket loop's units, grouped as the back office has them
async function loadUnits() {
  const units = await api("GET", "/api/loop/units");
  const select = $("add-unit");
  select.replaceChildren();
  for (const [level, name] of [["province", "省直部门"], ["city", "市州"], ["county", "县区"]]) {
    const group = Object.assign(el("optgroup"), { label: name });
    for (const u of units.filter((one) => one.level === level)) {
      const option = el("option", u.name);
      option.value = u.id;
      group.append(option);
    }
    select.append(group);
  }
}

function roleFields() {
  const role = $("add-role").value;
  $("add-agent-label").hidden = role !== "agent";
  $("add-unit-label").hidden = role !== "unit";
  if (role === "unit" && !$("add-unit").options.length) loadUnits().catch((error) => say(error));
}
$("add-role").addEventListener("change", roleFields);

// what a user is besides their role: an agent's id and name, a unit user's unit
function whoseCell(u) {
  if (u.unit) return el("td", u.unit);
  const person = adm.agents[u.agent];
  return el("td", u.agent ? `${u.agent}${person ? " · " + person : ""}` : "—");
}

async function loadUsers() {
  adm.users = await api("GET", "/api/users");
  $("user-table").tBodies[0].replaceChildren(...adm.users.map((u) => {
    const row = el("tr", null, u.revoked_at ? "out" : "");
    row.dataset.user = u.name;
    const actions = el("td", null, "actions");
    if (!u.revoked_at) {
      button(actions, "重置密码", "reset", () => reset(u));
      if (u.name !== adm.me.user) button(actions, "停用", "revoke", () => revoke(u));
    }
    row.append(cellOf(code(u.name)), el("td", roleName(u.role)),
      whoseCell(u),
      el("td", shownTime(u.created_at)), el("td", u.changed_at ? shownTime(u.changed_at) : "—"),
      el("td", u.revoked_at ? `已停用（${shownTime(u.revoked_at)}）` : "有效", u.revoked_at ? "muted" : "good"),
      actions);
    return row;
  }));
}

function button(cell, label, action, run) {
  const b = el("button", label);
  b.dataset.action = action;
  b.addEventListener("click", () => run().catch((error) => say(error)));
  cell.append(b);
}

function confirmed(text) {
  return new Promise((resolve) => {
    $("confirm-text").replaceChildren(text);
    $("confirm").returnValue = "";
    $("confirm").addEventListener("close", () => resolve($("confirm").returnValue === "ok"), { once: true });
    $("confirm").showModal();
  });
}

// what the server answered a request to add or reset: a request waiting for a second admin,
// or (a server without approvals) the credentials, shown once
function answered(result, what) {
  const pending = result.pending || result.request;
  if (pending) {
    say(words("已提交", ...what, "申请（编号 ", String(pending.id), "）：须由系统管理员在服务器上用 ",
      { code: `python run.py user approve ${pending.id}` }, " 批准，新密码在服务器上显示（有效至 ",
      shownTime(pending.expires_at), "）。"), true);
    return loadRequests();
  }
  if (result.password) showOnce(result);
  return loadUsers();
}

$("add-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const role = $("add-role").value;
  const body = { name: $("add-name").value.trim(), role };
  if (role === "agent") body.agent = $("add-agent").value.trim();
  if (role === "unit") body.unit = $("add-unit").value;
  try {
    await answered(await api("POST", "/api/users", body), ["新增用户 ", { code: body.name }, " 的"]);
    $("add-form").reset();
    roleFields();
  } catch (error) { say(error); }
});

async function reset(u) {
  if (!await confirmed(words("为 ", { code: u.name }, " 重置密码和接口令牌？原密码立即失效。"))) return;
  await answered(await api("POST", `/api/users/${encodeURIComponent(u.name)}/reset`),
    ["重置 ", { code: u.name }, " 密码的"]);
}

async function revoke(u) {
  if (!await confirmed(words("停用用户 ", { code: u.name }, "？其密码、令牌和已登录的页面立即失效（记录保留）。"))) return;
  await api("POST", `/api/users/${encodeURIComponent(u.name)}/revoke`);
  say(words("已停用用户 ", { code: u.name }, "。"), true);
  await loadUsers();
}

function showOnce(shown) {
  $("once-name").textContent = shown.name;
  $("once-role").textContent = roleName(shown.role) + (shown.agent ? `（工号 ${shown.agent}）` : "");
  $("once-password").textContent = shown.password;
  $("once-token").textContent = shown.token;
  $("once").showModal();
}

$("once-close").addEventListener("click", () => {
  for (const id of ["once-password", "once-token"]) $(id).textContent = "";  // gone for good
  $("once").close();
});

// -- requests the server's system administrator approves ----------------------------------------

async function loadRequests() {
  let pending = [];
  try {
    pending = await api("GET", "/api/users/requests");
    adm.approvals = true;
  } catch (error) {
    if (error.status !== 404 && error.status !== 405) throw error;
    adm.approvals = false;  // a server without approvals: nothing ever waits
  }
  $("requests-count").textContent = pending.length ? `（${pending.length}）` : "";
  $("no-requests").hidden = pending.length > 0;
  $("request-table").tBodies[0].replaceChildren(...pending.map((r) => {
    const row = el("tr");
    row.dataset.request = r.id;
    const actions = el("td", null, "actions");
    actions.append(cellOf(code(`python run.py user approve ${r.id}`)));
    button(actions, r.requested_by === adm.me.user ? "撤回" : "拒绝", "refuse", () => refuse(r));
    row.append(el("td", r.action === "reset" ? "重置密码" : "新增用户"), cellOf(code(r.name)),
      el("td", roleName(r.role)), el("td", r.unit || r.agent || "—"), cellOf(code(r.requested_by)),
      el("td", shownTime(r.requested_at)), el("td", shownTime(r.expires_at)), actions);
    return row;
  }));
}

async function refuse(r) {
  await api("POST", `/api/users/requests/${encodeURIComponent(r.id)}/refuse`);
  say(words("已拒绝（撤回）对 ", { code: r.name }, " 的申请。"), true);
  await loadRequests();
}

// -- the audit trail --------------------------------------------------------------------------------

for (const [action, name] of Object.entries(GLOSSARY.audit_action)) {
  const option = el("option", name);
  option.value = action;
  $("audit-action").append(option);
}

function auditQuery(limit) {
  const query = new URLSearchParams({ limit: String(limit) });
  const user = $("audit-user").value.trim();
  if (user) query.set("user", user);
  if ($("audit-action").value) query.set("action", $("audit-action").value);
  if ($("audit-result").value) query.set("result", $("audit-result").value);  // ok, refused
  const since = $("audit-since").value.trim();  // local time: 2026-12-01 or 2026-12-01 08:00
  if (since) query.set("since", since.replace(" ", "T"));
  return query;
}

// the newest first, a page at a time (the API gives the newest ``limit`` rows: a page is the
// slice of that many); the filters are applied here too, whatever the server did with them
async function loadAudit() {
  const wanted = (adm.auditPage + 1) * AUDIT_PAGE + 1;
  const rows = (await api("GET", "/api/audit?" + auditQuery(wanted))).reverse().filter((r) =>
    (!$("audit-action").value || r.action === $("audit-action").value)
    && (!$("audit-result").value || ($("audit-result").value === "ok") === (r.result === "ok")));
  const shown = rows.slice(adm.auditPage * AUDIT_PAGE, (adm.auditPage + 1) * AUDIT_PAGE);
  $("audit-table").tBodies[0].replaceChildren(...shown.map((r) => {
    const row = el("tr");
    row.dataset.id = r.id;
    const detail = el("td", null, "detail");
    if (r.detail) detail.append(code(r.detail));
    row.append(el("td", shownTime(r.at)), cellOf(code(r.user)), el("td", roleName(r.role)),
      el("td", GLOSSARY.via[r.via] || "其他"), cellOf(code(r.address || "—")),
      el("td", actionName(r.action)), targetCell(r.target), resultCell(r.result), detail);
    return row;
  }));
  $("audit-page").textContent = shown.length ? `第 ${adm.auditPage + 1} 页（每页 ${AUDIT_PAGE} 条，最新在前）` : "没有符合条件的记录";
  $("audit-newer").disabled = adm.auditPage === 0;
  $("audit-older").disabled = rows.length <= (adm.auditPage + 1) * AUDIT_PAGE;
}

$("audit-form").addEventListener("submit", (event) => {
  event.preventDefault();
  adm.auditPage = 0;
  loadAudit().catch((error) => say(error));
});
$("audit-newer").addEventListener("click", () => { adm.auditPage -= 1; loadAudit().catch((e) => say(e)); });
$("audit-older").addEventListener("click", () => { adm.auditPage += 1; loadAudit().catch((e) => say(e)); });

// -- the engine's status, reload -----------------------------------------------------------------

function item(list, term, value, className) {
  list.append(el("dt", term), el("dd", value, className));
}

async function loadStatus() {
  const s = await api("GET", "/api/status");
  adm.agents = Object.fromEntries((s.agents || []).map((a) => [a.agent, a.name]));
  const list = $("status");
  list.replaceChildren();
  item(list, "引擎", `运行中，已运行 ${duration(s.engine.uptime_s)}`, "good");
  item(list, "与电话系统的连接", s.ami.connected ? `已连接（自 ${shownTime(s.ami.since)}）` : "已断开：正在重连",
    s.ami.connected ? "good" : "bad");
  item(list, "连接次数", `${s.ami.connects} 次（重新同步 ${s.engine.resyncs} 次）`);
  item(list, "路由请求", `${Object.values(s.agi || {}).reduce((a, b) => a + b, 0)} 次`);
  item(list, "当前通话", `${(s.calls || []).length} 通`);
  const signedIn = (s.agents || []).filter((a) => a.state !== "logged_out").length;
  item(list, "签入话务员", `${signedIn} 人（共 ${(s.agents || []).length} 人）`);
  item(list, "排队来电", `${(s.queues || []).reduce((n, q) => n + q.waiting, 0)} 人`);
  item(list, "进行中的转接", `${(s.transfers || []).length} 个`);
  item(list, "进行中的监听", `${(s.monitoring || []).length} 个`);
  $("status-at").textContent = `更新于 ${shownTime(Date.now() / 1000)}`;
}

$("refresh-status").addEventListener("click", () => loadStatus().catch((e) => say(e)));

$("reload").addEventListener("click", async () => {
  $("reload").disabled = true;
  try {
    const done = await api("POST", "/api/reload");
    say(`配置已重新加载：${done.hotlines} 个热线号码，${done.queues} 个队列。`, true);
    await loadStatus();
  } catch (error) {
    if (error.errorId === "CC100") {  // the configuration is invalid: nothing changed
      say(Object.assign(new Error("配置有误，未重新加载（系统仍用原配置）：请在服务器上运行检查配置的命令，按提示逐条修改后再试。"), { errorId: "CC100" }));
    } else say(error);
  } finally { $("reload").disabled = false; }
});

signIn(api, start);
