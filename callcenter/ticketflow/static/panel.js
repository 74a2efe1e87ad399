// The open ticket on the unit's inbox and the centre's back office (loaded after loop.js):
// the ticket read and drawn on the right-hand panel — its card, what may be done now (the
// page's ``flowPage.actions``), its timeline — each action a form with its error beside it,
// a step POSTed and the page redrawn after it (the page's ``flowPage.after``), a conflict
// said where a redraw leaves it.
"use strict";

// -- an action's form: fields, a button, its error beside it ----------------------------------

function input(kind, attrs) {
  const node = el(kind);
  Object.assign(node, attrs || {});
  return node;
}

function labelled(form, text, control, inline) {
  const label = el("label", text, inline ? "inline" : "");
  label.append(control);
  form.append(label);
  return control;
}

// A form for one action (data-action=name): ``fill(form)`` adds its fields, the buttons run
// ``run(value)`` (each button its value: 通过 / 重办 …); an error shows in the form's own line.
function actionForm(box, name, title, fill, buttons, run) {
  const form = el("form", null, "act");
  form.noValidate = true;  // what is missing is said beside the action, in the page's words
  form.dataset.action = name;
  const seen = opened.signature;  // the ticket as this form was made for it
  form.append(el("h3", title));
  fill(form);
  const row = el("div", null, "buttons");
  for (const [label, value, kind] of buttons) {
    const b = el("button", label, kind || "go");
    b.type = "submit";
    b.value = value;
    row.append(b);
  }
  form.append(row);
  const error = el("p", "", "error");
  error.setAttribute("role", "alert");
  form.append(error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = event.submitter ? event.submitter.value : buttons[0][1];
    error.textContent = "";
    $("act-notice").textContent = "";
    for (const b of row.querySelectorAll("button")) b.disabled = true;
    try {
      await run(chosen, form);
    } catch (failure) {
      await flowPage.failed(failure, error, seen);
    } finally {
      for (const b of row.querySelectorAll("button")) b.disabled = false;
    }
  });
  box.append(form);
  return form;
}

// a step of the open ticket: POST it, then the page redraws (``done``: what to say)
async function step(ticket, action, body, done) {
  await api("POST", `/api/loop/tickets/${ticket}/${action}`, body || {});
  say(done, true);
  await flowPage.after(ticket);
}

function mustSay(form, id, what) {
  const value = form.querySelector(`#${id}`).value.trim();
  if (!value) {
    const missing = new Error(`请填写${what}`);
    missing.status = 400;
    throw missing;
  }
  return value;
}

// -- the open ticket (the inbox's and the back office's right-hand panel) --------------------

const opened = { ticket: null, flow: null, lines: [], signature: "", asked: 0 };

// what changes when anyone acts on the ticket (its place in the loop as the engine shows it)
function signatureOf(flow) {
  return [flow.step, flow.unit, flow.extension_asked, flow.extensions, flow.redos, flow.returns,
    flow.rating, flow.supervised, flow.merged_into].join("|");
}

function timelineLink(ticket) {
  const link = el("a", "在新窗口查看时间线");
  link.href = `/loop/ticket?id=${encodeURIComponent(ticket)}`;
  link.target = "_blank";
  link.rel = "noopener";
  return link;
}

// the page's ``flowPage.actions(flow, lines, {forms, note})`` says what may be done now
async function openTicket(ticket) {
  if (opened.ticket !== ticket) $("act-notice").textContent = "";  // (kept over a redraw)
  opened.ticket = ticket;
  const asked = opened.asked += 1;  // only the latest reading is drawn
  let flow, lines;
  try {
    [flow, lines] = await Promise.all([api("GET", `/api/loop/tickets/${ticket}/content`),
      api("GET", `/api/loop/tickets/${ticket}/timeline`)]);
  } catch (error) {
    if (asked !== opened.asked) return;
    opened.flow = null;
    $("ticket").hidden = true;
    $("pick").hidden = false;
    $("pick").className = "error";
    sayError($("pick"), error);
    return;
  }
  if (asked !== opened.asked) return;  // read again (or another chosen) meanwhile
  // the same ticket where it was: its forms stay as they are (what is being typed in them)
  const same = opened.flow !== null && opened.flow.ticket === flow.ticket
    && signatureOf(flow) === opened.signature && !$("ticket").hidden;
  Object.assign(opened, { flow, lines, signature: signatureOf(flow) });
  $("pick").hidden = true;
  $("ticket").hidden = false;
  const head = $("ticket-head");
  const right = el("span", null, "right");
  right.append(timelineLink(ticket));
  head.replaceChildren(el("h2", `工单 ${flow.ticket}`), ...(flow.light ? [lightOf(flow.light)] : []),
    el("b", stepWord(flow.step), "step"), ...tagsOf(flow), right);
  showCard($("ticket-card"), flow);
  if (!same) {
    $("act-state").textContent = "";
    $("act-quotes").replaceChildren();
    $("acts").replaceChildren();
    flowPage.actions(flow, lines, { forms: $("acts"), note: (text) => { $("act-state").textContent = text; },
      quote: (title, line) => quoted(title, line) });
  }
  showTimeline($("timeline").tBodies[0], lines);
  marked();
}

// what the unit replied, why it returned the ticket …: quoted above the actions
function quoted(title, line) {
  if (!line || !line.note) return;
  const box = el("div", null, "quote");
  box.append(el("b", `${title}（${shownTime(line.at)}）：`), document.createTextNode(line.note));
  $("act-quotes").append(box);
}

function marked() {
  for (const row of document.querySelectorAll("#tickets tbody tr")) {
    row.classList.toggle("on", Number(row.dataset.ticket) === opened.ticket);
  }
}

// an action refused: beside it; a conflict (409) reloads the ticket — moved by someone else
// meanwhile, the page says so; still where it was, the engine's reason (a limit passed). Said
// above the actions, where it stays while the ticket is redrawn.
flowPage.failed = async (error, line, seen) => {
  if (error.status !== 409 || !opened.ticket) { sayError(line, error); return; }
  const ticket = opened.ticket;
  const before = seen || opened.signature;
  let now = before;
  try {
    now = signatureOf(await api("GET", `/api/loop/tickets/${ticket}`));
  } catch (_error) { /* gone from this page: the reload says why */ }
  await flowPage.after(ticket);
  if (now !== before) $("act-notice").textContent = "已被他人处理，已刷新：请查看工单当前状态。";
  else sayError($("act-notice"), error);
};
