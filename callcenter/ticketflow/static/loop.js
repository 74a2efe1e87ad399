// What the ticket loop's pages share (loaded after shared.js, glossary.js and the wallboard's
// page.js): signing in and sending a person to their own page, the API as the signed-in
// person, a ticket's light, step and deadline as people read them, its card and its
// timeline, and following the loop live (the engine's server-sent events; a refresh every
// minute besides, for the lights).
"use strict";

const flowPage = { csrf: "", me: null, units: {}, stream: null };
const HOMES = { agent: "/backoffice", supervisor: "/backoffice", unit: "/unit" };
const WEEKDAYS = "日一二三四五六";
const REFRESH_MS = 60000;  // the lists again (lights and time left) even when nothing is heard
const REDRAW_AFTER_MS = 300;  // steps heard together redraw once
const LISTED_AT_MOST = 200;  // a list's rows (the most urgent first)

function countOf(rows) { return rows.length >= LISTED_AT_MOST ? `${LISTED_AT_MOST}+` : String(rows.length); }

async function api(method, path, body) { return request(flowPage, method, path, body); }

// ``me`` on a page meant for ``roles``: start(me), else their own page (an admin: a note)
async function enterPage(me, roles, start) {
  flowPage.csrf = me.csrf || "";
  flowPage.me = me;
  if (!roles.includes(me.role)) {
    if (HOMES[me.role]) { location.replace(HOMES[me.role]); return; }
    const box = $("signin-error");
    box.textContent = `此页面供12345中心和承办单位使用（您的角色：${roleName(me.role)}）：请使用`;
    box.append(Object.assign(el("a", "系统管理页面"), { href: "/admin" }), "。");
    return;
  }
  $("signin").hidden = true;
  $("page").hidden = false;
  $("who").replaceChildren(document.createTextNode(roleName(me.role) + " "), el("code", me.user));
  const units = await api("GET", "/api/loop/units");
  flowPage.units = Object.fromEntries(units.map((u) => [u.id, u]));
  await start(me);
}

$("signout").addEventListener("click", async () => {
  try { await api("POST", "/api/logout"); } catch (_error) { /* gone already */ }
  location.reload();
});

// -- words -------------------------------------------------------------------------------------

function stepWord(step) { return GLOSSARY.ticket_step[step] || "其他状态"; }
function unitName(id) { return id ? ((flowPage.units[id] || {}).name || id) : "—"; }
function channelWord(channel) { return GLOSSARY.ticket_channel[channel] || "其他渠道"; }

// a deadline: the end of a working day is shown as that day's 24:00
function deadline(ts) {
  if (!ts) return "—";
  let at = new Date(ts * 1000);
  let clock = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  if (clock === "00:00" && at.getSeconds() === 0) {
    at = new Date(ts * 1000 - 1000);
    clock = "24:00";
  }
  const year = at.getFullYear() !== new Date().getFullYear() ? `${at.getFullYear()}年` : "";
  return `${year}${at.getMonth() + 1}月${at.getDate()}日（周${WEEKDAYS[at.getDay()]}）${clock}`;
}

function timeLeft(ts) {
  const s = ts - Date.now() / 1000;
  const abs = Math.abs(s);
  const d = Math.floor(abs / 86400), h = Math.floor((abs % 86400) / 3600), m = Math.floor((abs % 3600) / 60);
  const text = d ? `${d}天${h}小时` : h ? `${h}小时${m}分` : `${m}分`;
  return s >= 0 ? `剩${text}` : `已超期${text}`;
}

function lightOf(light) {
  if (!light) return el("span", "—", "muted");
  return el("span", GLOSSARY.ticket_light[light] || "", `light ${light}`);
}

function tag(text, kind) { return el("span", text, `tag ${kind || ""}`); }

// the marks of a ticket: urgent, assisted (on a unit's page), 督办, an extension asked …
// (``short``: as a list's row has room for)
function tagsOf(flow, short) {
  const tags = [];
  if (flow.urgent) tags.push(tag("紧急", "urgent"));
  const me = flowPage.me;
  if (me && me.role === "unit" && flow.unit !== me.unit) tags.push(tag("协办", "assist"));
  if (flow.supervised) tags.push(tag("督办", "supervised"));
  if (flow.extension_asked) {
    tags.push(tag(short ? "申请延期" : `申请延期${flow.extension_asked}个工作日`, "asked"));
  }
  if (flow.redos) tags.push(tag(`重办${flow.redos}次`));
  if (flow.returns) tags.push(tag(`退单${flow.returns}次`));
  if (flow.rating) tags.push(tag(flow.rating));
  return tags;
}

function dueCell(flow) {
  const cell = el("td", null, `due ${flow.light || ""}`);
  cell.append(document.createTextNode(deadline(flow.due)));
  if (flow.due) cell.append(el("small", timeLeft(flow.due), flow.light === "red" ? "" : "muted"));
  return cell;
}

// -- the ticket: its card and its timeline ----------------------------------------------------

function field(list, term, value, wide) {
  const dd = el("dd", null, wide ? "wide" : "");
  if (value instanceof Node) dd.append(value); else dd.textContent = value || "—";
  list.append(el("dt", term), dd);
}

function showCard(box, flow) {
  const card = flow.card;
  const list = el("dl", null, "card-fields");
  field(list, "诉求类型", card.request_type || flow.request_type);
  field(list, "主题", card.topic);
  field(list, "地点", [card.city, card.county, card.detail].filter(Boolean).join(" "), true);
  field(list, "来源", `${channelWord(card.channel)} · ${card.hotline_name || card.hotline}`);
  field(list, "来电人电话", card.caller || "未留电话");
  field(list, "受理时间", card.opened_at ? shownTime(card.opened_at) : "—");
  const due = document.createDocumentFragment();
  due.append(deadline(flow.due));
  if (flow.due) due.append(el("span", `（${timeLeft(flow.due)}）`, `nowrap ${flow.light === "red" ? "error" : "muted"}`));
  field(list, "办理期限", due);
  field(list, "承办单位", flow.unit ? unitName(flow.unit) : "尚未派单");
  field(list, "协办单位", flow.assists.length ? flow.assists.map(unitName).join("、") : "无");
  const words = el("div", null, "words");
  if (card.summary) words.append(el("b", "诉求摘要"), document.createTextNode(card.summary));
  words.append(el("b", "来电人所述"), document.createTextNode(card.words || "（无）"));
  box.replaceChildren(list, words);
}

function whoCell(who) {
  if (who === "engine") return el("td", "系统");
  const cell = el("td");
  cell.append(el("code", who));
  return cell;
}

function showTimeline(tbody, lines) {
  tbody.replaceChildren(...lines.map((line) => {
    const row = el("tr");
    const moved = line.before === line.after ? stepWord(line.after)
      : `${stepWord(line.before)} → ${stepWord(line.after)}`;
    row.append(el("td", shownTime(line.at)), whoCell(line.who),
      el("td", GLOSSARY.ticket_action[line.action] || "其他"), el("td", moved, "step"),
      el("td", line.note || "", "note"));
    return row;
  }));
}

// the last line of ``action`` (what the unit replied, why it returned the ticket …)
function lastNote(lines, ...actions) {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    if (actions.includes(lines[i].action)) return lines[i];
  }
  return null;
}

// -- live ---------------------------------------------------------------------------------------

// ``moved(event)`` for each step heard (debounced by the page), ``state(on)`` whether the
// stream holds
function followLoop(moved, state) {
  const stream = new EventSource("/api/loop/events");
  flowPage.stream = stream;
  stream.addEventListener("hello", () => state(true));
  stream.addEventListener("stepped", (e) => moved(JSON.parse(e.data)));
  stream.addEventListener("signed_out", () => {
    stream.close();
    reloadSignedOut("登录已失效或已在别处退出：请重新登录。");
  });
  stream.addEventListener("error", () => state(false));
}

function liveState(on) {
  $("live").textContent = on ? "实时更新" : "实时更新中断，正在重连…";
  $("live").classList.toggle("off", !on);
}

function updated() { $("updated").textContent = `更新于 ${shownTime(Date.now() / 1000, false)}`; }
