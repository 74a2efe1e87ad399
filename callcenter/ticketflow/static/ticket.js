// A ticket's timeline on a page of its own (/loop/ticket?id=N, linked from the inbox and the
// back office): its card and one line per transition — when, who, from which step to which,
// the note — redrawn when the engine says the ticket moved. A unit's user only for a ticket
// their unit leads or assists (the engine refuses the others).
"use strict";

const wanted = Number(new URLSearchParams(location.search).get("id"));

async function showOne() {
  const [flow, lines] = await Promise.all([api("GET", `/api/loop/tickets/${wanted}/content`),
    api("GET", `/api/loop/tickets/${wanted}/timeline`)]);
  document.title = `工单 ${flow.ticket} 时间线`;
  $("pick").hidden = true;
  $("ticket").hidden = false;
  $("ticket-head").replaceChildren(el("h2", `工单 ${flow.ticket}`), ...(flow.light ? [lightOf(flow.light)] : []),
    el("b", stepWord(flow.step), "step"), ...tagsOf(flow));
  showCard($("ticket-card"), flow);
  showTimeline($("timeline").tBodies[0], lines);
  updated();
}

function refused(error) {
  $("ticket").hidden = true;
  $("pick").hidden = false;
  $("pick").className = "error";
  sayError($("pick"), error);
}

async function start(me) {
  $("home").href = me.role === "unit" ? "/unit" : "/backoffice";
  $("home").textContent = me.role === "unit" ? "返回承办单位工作台" : "返回工单中心";
  if (!(wanted > 0)) {
    refused(new Error("没有指定工单：请从工单中心或承办单位工作台打开。"));
    return;
  }
  await showOne().catch(refused);
  followLoop((event) => {
    if (event.ticket === wanted) showOne().catch(refused);
  }, liveState);
}

signIn(api, (me) => enterPage(me, ["agent", "supervisor", "unit"], start).catch((e) => say(e)));
