// 承办单位工作台 (/unit): a unit's user sees their unit's tickets — those it leads and those
// it assists — overdue first, then by deadline, each with its light; opens one to read what
// the citizen asked and its timeline, and takes the steps the unit may take now: 签收, 退单
// (with a reason), 答复, 申请延期. Each is a command of the engine (role check, audit row);
// the page redraws after each, when the engine says a ticket moved, and every minute.
"use strict";

const INBOX = {  // tab: the steps listed, its title
  todo: ["dispatched,handling", "待办工单"],
  sent: ["replied,returned", "已提交中心的工单"],
  done: ["closed", "已办结的工单"],
};
const inbox = { tab: "todo", lists: {}, redraw: null, touched: new Set(), asked: 0 };

async function loadInbox() {
  const asked = inbox.asked += 1;  // only the latest reading is drawn
  const found = await Promise.all(Object.entries(INBOX).map(async ([tab, [steps]]) =>
    [tab, await api("GET", `/api/loop/tickets?step=${steps}&limit=${LISTED_AT_MOST}`)]));
  if (asked !== inbox.asked) return;
  inbox.lists = Object.fromEntries(found);
  for (const tab of Object.keys(INBOX)) {
    const count = $(`count-${tab}`);
    count.textContent = countOf(inbox.lists[tab]);
    count.classList.toggle("hot", tab === "todo" && inbox.lists[tab].some((f) => f.light === "red"));
  }
  showInbox();
  updated();
}

function matterOf(flow) {
  return [flow.request_type, flow.topic, flow.place].filter(Boolean).join(" · ");
}

function showInbox() {
  const rows = inbox.lists[inbox.tab] || [];
  $("list-title").textContent = INBOX[inbox.tab][1];
  $("empty").hidden = rows.length > 0;
  $("tickets").tBodies[0].replaceChildren(...rows.map((flow) => {
    const row = el("tr");
    row.dataset.ticket = flow.ticket;
    const light = el("td");
    light.append(lightOf(flow.light));
    const what = el("td", matterOf(flow), "what");
    what.title = matterOf(flow);
    const tags = el("td", null, "tags");
    tags.append(...tagsOf(flow, true));
    row.append(light, el("td", String(flow.ticket), "nowrap"), el("td", stepWord(flow.step), "step"),
      what, dueCell(flow), tags);
    row.addEventListener("click", () => openTicket(flow.ticket));
    return row;
  }));
  marked();
}

for (const b of document.querySelectorAll("#tabs button")) {
  b.addEventListener("click", () => {
    inbox.tab = b.dataset.tab;
    for (const other of document.querySelectorAll("#tabs button")) other.classList.toggle("on", other === b);
    showInbox();
  });
}

// -- what the unit may do now ------------------------------------------------------------------

flowPage.actions = (flow, lines, { forms, note, quote }) => {
  const ticket = flow.ticket;
  if (flow.unit !== flowPage.me.unit) {
    note(`本单位为协办单位：请配合主办单位（${unitName(flow.unit)}）办理；签收、答复等由主办单位办理。`);
    return;
  }
  if (flow.step === "dispatched") {
    note("请在期限内签收；不属于本单位职责的，请写明理由退单，由12345中心审核后改派。");
    const sign = actionForm(forms, "sign", "签收", () => {}, [["签收", "sign"]],
      () => step(ticket, "sign", {}, `已签收工单 ${ticket}，请在办理期限内答复。`));
    sign.classList.add("small");
    actionForm(forms, "return", "退单", (form) => {
      labelled(form, "退单理由（必填：为何不属于本单位职责，应由哪个单位办理）",
        input("textarea", { id: "return-reason", maxLength: 500, required: true }));
    }, [["退单", "return", "bad"]], (_value, form) => step(ticket, "return",
      { reason: mustSay(form, "return-reason", "退单理由") }, `已退单：工单 ${ticket} 等待12345中心审核。`));
  } else if (flow.step === "handling") {
    const redo = lastNote(lines, "redo", "rate");
    if (flow.redos && redo) quote("12345中心要求重办", redo);
    note(flow.extension_asked ? `已申请延期 ${flow.extension_asked} 个工作日，等待12345中心审批；期间仍可答复。`
      : "办理完毕后请答复，由12345中心审核；确需更多时间的，可申请延期。");
    actionForm(forms, "reply", "答复", (form) => {
      labelled(form, "答复内容（办理过程和结果，附件可写明名称）",
        input("textarea", { id: "reply-text", maxLength: 4000, required: true }));
    }, [["提交答复", "reply"]], (_value, form) => step(ticket, "reply",
      { text: mustSay(form, "reply-text", "答复内容") }, `已答复工单 ${ticket}，等待12345中心审核。`));
    if (!flow.extension_asked) {
      actionForm(forms, "extend", "申请延期", (form) => {
        labelled(form, "延期天数（工作日）", input("input", { id: "extend-days", type: "number",
          min: 1, max: 60, value: 3, required: true }));
        labelled(form, "理由（必填）", input("textarea", { id: "extend-reason", maxLength: 500, required: true }));
      }, [["申请延期", "extend"]], (_value, form) => step(ticket, "extend", {
        days: Number(form.querySelector("#extend-days").value),
        reason: mustSay(form, "extend-reason", "延期理由") }, `已申请延期：工单 ${ticket} 等待12345中心审批。`));
    }
  } else if (flow.step === "replied") {
    quote("本单位的答复", lastNote(lines, "reply"));
    note("已答复，等待12345中心审核。");
  } else if (flow.step === "returned") {
    quote("退单理由", lastNote(lines, "return"));
    note("已退单，等待12345中心审核（改派其他单位或维持派单）。");
  } else if (flow.step === "closed") {
    note(flow.rating ? `已办结，来电人评价：${flow.rating}。` : "已办结，等待回访评价。");
  } else note(`当前状态：${stepWord(flow.step)}。`);
};

// -- refreshing ---------------------------------------------------------------------------------

flowPage.after = async (ticket) => {
  await loadInbox();
  if (ticket && ticket === opened.ticket) await openTicket(ticket);
};

// steps heard together: the lists once, the open ticket if it was one of them
function heard(event) {
  inbox.touched.add(event.ticket);
  clearTimeout(inbox.redraw);
  inbox.redraw = setTimeout(() => {
    const again = inbox.touched.has(opened.ticket) ? opened.ticket : null;
    inbox.touched.clear();
    flowPage.after(again).catch((e) => say(e));
  }, REDRAW_AFTER_MS);
}

async function start(me) {
  $("unit-name").textContent = unitName(me.unit);
  await loadInbox();
  followLoop(heard, liveState);
  setInterval(() => loadInbox().catch((e) => say(e)), REFRESH_MS);
}

signIn(api, (me) => enterPage(me, ["unit"], start).catch((e) => say(e)));
