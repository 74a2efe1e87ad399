// The agent desktop's ticket: the live transcript and pre-fill of the call's ticket, the
// form the agent corrects and confirms (its button or Alt+S — never Enter in a field), the
// caller's earlier tickets as readable cards.
"use strict";

const FIELDS = ["phones", "city", "county", "detail", "request_type", "topic", "unit",
  "urgent", "emergency_referral", "out_of_scope", "summary"];
const edited = new Set();
const speakerWord = (speaker) => word("term", speaker === "caller" ? "caller" : "agent");

// The last call's ticket, transcript, history and knowledge results go when the next rings.
function clearTicket() {
  if (desk.ticketStream) desk.ticketStream.close();
  desk.ticket = null; desk.ticketStream = null;
  $("ticket-id").textContent = "";
  $("transcript").textContent = ""; $("partial").textContent = "";
  $("ticket-form").reset(); edited.clear();
  showReferral([]);
  $("confirm").disabled = true; $("confirmed").textContent = "";
  $("history").replaceChildren(emptyItem());
  $("repeat").hidden = true;
  clearKnowledge();
}

function emptyItem(text = "无") {
  return Object.assign(document.createElement("li"), { className: "muted", textContent: text });
}

function openTicket(ticketId) {
  if (!ticketId || desk.ticket === ticketId) return;
  clearTicket();
  desk.ticket = ticketId;
  $("ticket-id").textContent = `#${ticketId}`;
  $("confirm").disabled = false;
  resetTransfer();
  const stream = new EventSource(`/api/tickets/${ticketId}/events`);
  desk.ticketStream = stream;
  stream.addEventListener("ticket", (e) => {
    const ticket = JSON.parse(e.data);
    $("transcript").textContent = "";
    for (const u of ticket.transcript || []) addUtterance(u);
    fillForm({ ...ticket.prefill, ...ticket.confirmed }, true);
    if (Object.keys(ticket.confirmed || {}).length) {
      $("confirmed").textContent = "已确认（可修改后再次确认）";
    }
  });
  stream.addEventListener("partial", (e) => {
    const u = JSON.parse(e.data);
    $("partial").textContent = `${speakerWord(u.speaker)}：${u.text}`;
  });
  stream.addEventListener("utterance", (e) => {
    addUtterance(JSON.parse(e.data));
    $("partial").textContent = "";
  });
  stream.addEventListener("correction", (e) => correctUtterance(JSON.parse(e.data)));
  stream.addEventListener("prefill", (e) => { fillForm(JSON.parse(e.data).fields, false); suggest(); });
  stream.addEventListener("transfer", (e) => showTransfer(JSON.parse(e.data)));
  stream.addEventListener("closed", () => stream.close());
  stream.addEventListener("signed_out", signedOut);
  stream.onerror = () => {};
  loadHistory(ticketId);
  suggest();
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

$("ticket-form").addEventListener("input", (e) => {
  edited.add(e.target.name);
  if (e.target.name === "emergency_referral") showReferral(referrals(e.target.value));
});

// The emergency lines the call must go to now (the pre-fill's ordered list, or what the
// agent typed): shown above the ticket in red, most urgent first, with what each is for.
function referrals(value) {
  if (Array.isArray(value)) return value.map(String);
  return String(value || "").match(/\d{3}/g) || [];
}

function showReferral(numbers) {
  const line = numbers.map((n) => `${n} ${word("emergency", n)}`).join("、");
  $("referral").textContent = numbers.length ? `紧急情况：请立即转接 ${line}` : "";
  $("referral").hidden = !numbers.length;
}

function fillForm(fields, all) {
  const form = $("ticket-form");
  const flat = { ...fields, ...(fields.place || {}) };
  if (Array.isArray(flat.phones)) flat.phones = flat.phones.join("、");
  if (flat.emergency_referral !== undefined && (all || !edited.has("emergency_referral"))) {
    const numbers = referrals(flat.emergency_referral);
    flat.emergency_referral = numbers.join("、");
    showReferral(numbers);
  }
  if (flat.request_type) flat.request_type = word("request_type", flat.request_type);
  for (const name of FIELDS) {
    const input = form.elements[name];
    if (!input || (!all && edited.has(name)) || flat[name] === undefined) continue;
    if (input.type === "checkbox") input.checked = Boolean(flat[name]);
    else input.value = flat[name] === null ? "" : flat[name];
  }
}

// Enter in a field never confirms the ticket (a form submits on Enter): only the button.
$("ticket-form").addEventListener("submit", (event) => event.preventDefault());
$("ticket-form").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
});

$("confirm").addEventListener("click", () => attempt(async () => {
  if (!desk.ticket) return;
  const form = $("ticket-form");
  const fields = {};
  for (const name of FIELDS) {
    const input = form.elements[name];
    fields[name] = input.type === "checkbox" ? input.checked : input.value;
  }
  const numbers = referrals(fields.emergency_referral);
  fields.emergency_referral = numbers.length ? numbers : null;
  await api("POST", `/api/tickets/${desk.ticket}/confirm`, { fields });
  edited.clear();
  $("confirmed").textContent = `已确认 ${localTime(new Date().toISOString(), false)}`;
  say(`工单 #${desk.ticket} 已确认。`, "success");
  suggest();  // the confirmed 主题's articles first
}));

// -- the caller's earlier tickets ---------------------------------------------------------------

async function loadHistory(ticketId) {
  const history = await attempt(() => api("GET", `/api/tickets/${ticketId}/history`));
  if (desk.ticket !== ticketId) return;
  const list = $("history");
  $("repeat").hidden = !(history && history.repeat);
  if (!history || !history.earlier.length) {
    list.replaceChildren(emptyItem(`近 ${history ? history.days : 90} 天无来电记录`));
    return;
  }
  list.replaceChildren(...history.earlier.map((t) => {
    const item = document.createElement("li");
    const what = [t.topic, t.request_type && word("request_type", t.request_type)].filter(Boolean);
    const link = Object.assign(document.createElement("a"), { href: "#",
      textContent: `#${t.id} ${localTime(t.opened_at)} ${t.hotline_name || ""} ${what.join(" · ")}` });
    link.addEventListener("click", (e) => { e.preventDefault(); showEarlier(ticketId, t.id); });
    item.append(link);
    return item;
  }));
}

function fieldValue(value) {
  if (value === true) return "是";
  if (value === false) return "否";
  if (Array.isArray(value)) return value.join("、");
  if (value && typeof value === "object") return Object.values(value).filter(Boolean).join(" ");
  return String(value ?? "");
}

async function showEarlier(current, other) {
  const ticket = await attempt(() => api("GET", `/api/tickets/${current}/earlier/${other}`));
  if (!ticket) return;
  $("earlier-title").textContent =
    `工单 #${ticket.id} · ${localTime(ticket.opened_at)} · ${ticket.hotline_name || ticket.hotline || ""}`;
  const confirmed = ticket.confirmed || {};
  const rows = [["承办单位", confirmed.unit || ticket.unit || "未定"],
    ["话务员", ticket.agent_name || `工号 ${ticket.agent || "未知"}`],
    ["状态", Object.keys(confirmed).length ? "已确认" : "未确认（以下为自动预填）"]];
  const shown = Object.keys(confirmed).length ? confirmed : (ticket.prefill || {});
  for (const name of FIELDS) {
    if (name === "unit") continue;
    const value = name in shown ? shown[name] : (shown.place || {})[name];
    if (value === undefined || value === "" || value === null || value === false) continue;
    rows.push([word("ticket_field", name),
      name === "request_type" ? word("request_type", value) : fieldValue(value)]);
  }
  $("earlier-fields").replaceChildren(...rows.flatMap(([term, value]) => [
    Object.assign(document.createElement("dt"), { textContent: term }),
    Object.assign(document.createElement("dd"), { textContent: value })]));
  $("earlier-transcript").replaceChildren(...(ticket.transcript || []).map((u) =>
    Object.assign(document.createElement("li"), { className: u.speaker, textContent: u.text })));
  $("earlier").showModal();
}
$("earlier-close").addEventListener("click", () => $("earlier").close());
