// 工单中心 (/backoffice), the centre's back office for agents and supervisors: the queues of
// work — 待派单 (dispatch to a lead unit and assisting ones, the catalogue's suggestion chosen
// first; 直接办结; 并单 with a ticket of the same matter), 退单待审 (改派 or 维持), 待审核 (通过 →
// 办结, or 重办), 延期申请 (approve or refuse), 督办 (escalated or overdue), 待评价 (the rating
// after a call-back) — and a ticket's card, actions and timeline. A banner says when the
// working-day calendar has no holiday data for a year and counts it Monday to Friday.
"use strict";

const QUEUES = [  // [key, tab, query, hint]
  ["accepted", "待派单", "step=accepted", "已受理、尚未派单：紧急的在前"],
  ["returned", "退单待审", "step=returned", "承办单位退回：改派或维持"],
  ["replied", "待审核", "step=replied", "承办单位已答复：审核通过即办结"],
  ["asked", "延期申请", "asked=true", "承办单位申请延期：同意或不同意"],
  ["supervised", "督办", "supervised=true", "已超期或已转督办的工单：超期的在前"],
  ["unrated", "待评价", "unrated=true", "已办结：回访来电人后录入评价"],
  ["open", "全部在办", "step=dispatched,handling,replied,returned", "在承办单位办理中的工单：超期的在前"],
];
const RATING_KINDS = { "满意": "go", "基本满意": "go", "不满意": "bad" };
const office = { tab: "accepted", lists: {}, redraw: null, touched: new Set(), asked: 0 };

function buildTabs() {
  $("tabs").replaceChildren(...QUEUES.map(([key, name]) => {
    const b = el("button", name);
    b.dataset.tab = key;
    b.append(Object.assign(el("span", "0", "count"), { id: `count-${key}` }));
    b.addEventListener("click", () => {
      office.tab = key;
      showQueue();
    });
    return b;
  }));
}

async function loadQueues() {
  const asked = office.asked += 1;  // only the latest reading is drawn
  const found = await Promise.all(QUEUES.map(async ([key, , query]) =>
    [key, await api("GET", `/api/loop/tickets?${query}&limit=${LISTED_AT_MOST}`)]));
  if (asked !== office.asked) return;
  office.lists = Object.fromEntries(found);
  // urgent ones first where nothing has a deadline yet
  office.lists.accepted.sort((a, b) => Number(b.urgent) - Number(a.urgent) || a.ticket - b.ticket);
  for (const [key] of QUEUES) {
    const count = $(`count-${key}`);
    count.textContent = countOf(office.lists[key]);
    // red: the 督办 list, urgent ones to dispatch, overdue ones waiting for the centre
    count.classList.toggle("hot", key === "supervised" ? office.lists[key].length > 0
      : key === "accepted" ? office.lists[key].some((f) => f.urgent)
        : key !== "open" && office.lists[key].some((f) => f.light === "red"));
  }
  showQueue();
  updated();
}

function showQueue() {
  const queue = QUEUES.find(([key]) => key === office.tab);
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === office.tab);
  $("list-title").textContent = queue[1];
  $("list-hint").textContent = queue[3];
  const rows = office.lists[office.tab] || [];
  $("empty").hidden = rows.length > 0;
  $("tickets").tBodies[0].replaceChildren(...rows.map((flow) => {
    const row = el("tr");
    row.dataset.ticket = flow.ticket;
    const light = el("td");
    light.append(lightOf(flow.light));
    const matter = [flow.request_type, flow.topic, flow.place].filter(Boolean).join(" · ");
    const what = el("td", matter, "what");
    what.title = matter;
    const tags = el("td", null, "tags");
    tags.append(...tagsOf(flow, true));
    row.append(light, el("td", String(flow.ticket), "nowrap"), el("td", stepWord(flow.step), "step"),
      what, el("td", flow.unit || "—", "nowrap"), dueCell(flow), tags);
    row.addEventListener("click", () => openTicket(flow.ticket));
    return row;
  }));
  marked();
}

$("find").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = Number($("find-id").value.trim());
  if (id > 0) openTicket(id);
});

// -- 登记来件: a request that came another way than a call ------------------------------------

for (const [channel, name] of Object.entries(GLOSSARY.ticket_channel)) {
  $("enter-channel").append(Object.assign(el("option", name), { value: channel,
    defaultSelected: channel === "web" }));
}
$("enter-open").addEventListener("click", () => {
  $("enter-error").textContent = "";
  $("enter").showModal();
});
$("enter-cancel").addEventListener("click", () => $("enter").close());
$("enter-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("enter-text").value.trim();
  if (!text) { $("enter-error").textContent = "请填写诉求内容。"; return; }
  $("enter-ok").disabled = true;
  try {
    const made = await api("POST", "/api/loop/tickets", { channel: $("enter-channel").value,
      hotline: $("enter-hotline").value.trim() || "12345", caller: $("enter-caller").value.trim(), text });
    $("enter").close();
    $("enter-form").reset();
    say(`已登记工单 ${made.ticket}，请派单。`, true);
    office.tab = "accepted";
    await loadQueues();
    await openTicket(made.ticket);
  } catch (error) {
    sayError($("enter-error"), error);
  } finally { $("enter-ok").disabled = false; }
});

// -- what the centre may do now ------------------------------------------------------------------

flowPage.actions = (flow, lines, { forms, note, quote }) => {
  const ticket = flow.ticket;
  $("similar").hidden = true;
  $("similar-error").textContent = "";
  if (flow.step === "accepted") {
    note("请派至承办单位；已当场答复的可直接办结；与其他工单为同一事项的可并单。");
    dispatchForms(flow, forms);
  } else if (flow.step === "returned") {
    quote(`${unitName(flow.unit)}退单理由`, lastNote(lines, "return"));
    note("请审核退单：理由成立的改派其他单位，不成立的维持派单。");
    actionForm(forms, "redispatch", "改派", (form) => {
      labelled(form, "改派至", unitSelect("redispatch-unit", "", "请选择承办单位"));
      noteField(form, "redispatch-note", "说明（可不填）");
    }, [["改派", "redispatch"]], (_value, form) => {
      const unit = mustSay(form, "redispatch-unit", "承办单位");
      return step(ticket, "redispatch", { unit, note: form.querySelector("#redispatch-note").value.trim() },
        `已改派：工单 ${ticket} 派至${unitName(unit)}。`);
    });
    actionForm(forms, "uphold", "维持派单", (form) => {
      noteField(form, "uphold-note", "维持理由（必填，承办单位可见）", true);
    }, [["维持派单", "uphold", "plain"]], (_value, form) => step(ticket, "uphold",
      { note: mustSay(form, "uphold-note", "维持理由") }, `已维持派单：工单 ${ticket} 退回${unitName(flow.unit)}签收。`));
  } else if (flow.step === "replied") {
    quote(`${unitName(flow.unit)}的答复`, lastNote(lines, "reply"));
    note("请审核答复：通过即办结，待回访评价；答复不完整的退回重办。");
    actionForm(forms, "review", "审核答复", (form) => {
      noteField(form, "review-note", "审核意见（退回重办时必填）");
    }, [["通过，办结", "accept"], ["退回重办", "redo", "bad"]], (value, form) => {
      const accept = value === "accept";
      const text = accept ? form.querySelector("#review-note").value.trim() : mustSay(form, "review-note", "审核意见");
      return step(ticket, "review", { accept, note: text },
        accept ? `工单 ${ticket} 审核通过，已办结。` : `工单 ${ticket} 已退回${unitName(flow.unit)}重办。`);
    });
  } else if (flow.step === "handling" && flow.extension_asked) {
    quote(`${unitName(flow.unit)}申请延期`, lastNote(lines, "extension_asked"));
    note(`承办单位申请延期 ${flow.extension_asked} 个工作日。`);
    actionForm(forms, "extension", "延期审批", (form) => {
      noteField(form, "extension-note", "审批意见（可不填）");
    }, [["同意延期", "approve"], ["不同意", "refuse", "bad"]], (value, form) => step(ticket, "extension",
      { approve: value === "approve", note: form.querySelector("#extension-note").value.trim() },
      value === "approve" ? `已同意工单 ${ticket} 延期。` : `已不同意工单 ${ticket} 延期。`));
  } else if (flow.step === "closed" && !flow.rating && !flow.merged_into) {
    note("已办结：回访来电人后，录入来电人的评价。评价“不满意”的工单将退回重办一次，再不满意转督办。");
    actionForm(forms, "rate", "回访评价", () => {}, Object.entries(RATING_KINDS).map(([r, kind]) => [r, r, kind]),
      (rating) => step(ticket, "rate", { rating }, `已录入工单 ${ticket} 的评价：${rating}。`));
  } else if (flow.step === "merged") {
    note(`已并入工单 ${flow.merged_into}，随其一并办结。`);
  } else if (flow.step === "closed") {
    note(flow.rating ? `已办结，来电人评价：${flow.rating}。` : "已办结。");
  } else {
    const waits = { dispatched: "等待承办单位签收。", handling: "承办单位办理中。" };
    note(`${waits[flow.step] || ""}${flow.supervised ? "已列入督办。" : ""}`);
  }
};

// -- the calendar, refreshing ---------------------------------------------------------------------

async function loadCalendar() {
  const calendar = await api("GET", "/api/loop/calendar");
  const years = calendar.guessed_years || [];
  $("calendar").hidden = years.length === 0;
  if (years.length) {
    $("calendar").replaceChildren(words(`注意：${years.join("、")}年没有节假日和调休数据，该年的工作日暂按周一至周五计算，办理期限可能不准。请系统管理员在配置目录的 `,
      { code: "holidays.yaml" }, " 中补充国务院公布的当年放假安排。"));
  }
}

flowPage.after = async (ticket) => {
  await loadQueues();
  if (ticket && ticket === opened.ticket) await openTicket(ticket);
};

// steps heard together: the lists once, the open ticket if it was one of them
function heard(event) {
  office.touched.add(event.ticket);
  clearTimeout(office.redraw);
  office.redraw = setTimeout(() => {
    const again = office.touched.has(opened.ticket) ? opened.ticket : null;
    office.touched.clear();
    flowPage.after(again).catch((e) => say(e));
  }, REDRAW_AFTER_MS);
}

async function start() {
  buildTabs();
  await Promise.all([loadQueues(), loadCalendar()]);
  followLoop(heard, liveState);
  setInterval(() => {
    loadQueues().catch((e) => say(e));
    loadCalendar().catch((e) => say(e));
  }, REFRESH_MS);
}

signIn(api, (me) => enterPage(me, ["agent", "supervisor"], start).catch((e) => say(e)));
