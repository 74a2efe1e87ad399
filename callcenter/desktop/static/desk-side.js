// Beside the call: transfers to sub-centers and expert seats, the callback requests of the
// agent's queues (a short page, numbers masked; 领取 shows one to the agent), and the
// knowledge base (search, suggestions for the call, articles rendered).
"use strict";

// -- transfers --------------------------------------------------------------------------------

async function loadDestinations() {
  for (const [mode, shown] of Object.entries(GLOSSARY.transfer_mode)) {
    $("mode").add(new Option(shown, mode));
  }
  const found = await attempt(() => api("GET", "/api/transfer-destinations"));
  for (const d of found || []) {
    const experts = d.experts ? `（${word("term", "expert_seat")}）` : "";
    $("destination").add(new Option(`${d.number} ${d.name}${experts}`, d.number));
  }
}

function resetTransfer() {
  desk.transferLive = false;
  $("transfer-status").textContent = "";
  $("transfer-complete").disabled = true; $("transfer-cancel").disabled = true;
  updateButtons();
}

function showTransfer(t) {
  const phase = word("transfer_phase", t.outcome || t.phase);
  const why = t.reason_text ? `，原因：${t.reason_text}` : "";
  const mode = word("transfer_mode", t.mode || "");
  $("transfer-status").textContent =
    `转接 ${t.destination || ""} ${t.name || ""}（${mode}）：${phase}${why}`;
  desk.transferLive = !t.outcome;
  const answered = desk.transferLive && t.phase === "answered";
  $("transfer-complete").disabled = !answered || t.mode === "blind";
  $("transfer-cancel").disabled = !desk.transferLive || t.mode === "blind";
  updateButtons();
}

$("transfer-start").addEventListener("click", () => attempt(async () => {
  $("transfer-status").textContent = "正在转接…";
  desk.transferLive = true;
  updateButtons();
  try {
    showTransfer(await api("POST", `/api/agents/${desk.agent}/transfer`,
      { destination: $("destination").value, mode: $("mode").value, wait: true }));
  } catch (refused) {
    resetTransfer();
    throw refused;
  }
}));
$("transfer-complete").addEventListener("click", () => attempt(async () =>
  showTransfer(await api("POST", `/api/agents/${desk.agent}/transfer/complete`))));
$("transfer-cancel").addEventListener("click", () => attempt(async () =>
  showTransfer(await api("POST", `/api/agents/${desk.agent}/transfer/cancel`))));

// -- callbacks ----------------------------------------------------------------------------------

const callbacks = { page: 1, pages: 1, taken: new Map() };  // id → the number, for its taker

async function loadCallbacks(page = callbacks.page) {
  const found = await attempt(() => api("GET", `/api/callbacks?page=${page}`));
  if (!found) return;
  callbacks.page = found.page; callbacks.pages = found.pages;
  if (found.page > found.pages && found.total) { loadCallbacks(found.pages); return; }
  const order = found.order === "newest" ? "最新的在前" : "最早的在前";
  $("callbacks-count").textContent = `共 ${found.total} 条 · ${order}`;
  $("callbacks-page").textContent = `第 ${found.page}/${found.pages} 页`;
  $("callbacks-prev").disabled = found.page <= 1;
  $("callbacks-next").disabled = found.page >= found.pages;
  document.querySelector("#callbacks-card .pager").hidden = found.pages <= 1;
  const list = $("callbacks");
  if (!found.requests.length) { list.replaceChildren(emptyItem("暂无待回拨")); return; }
  list.replaceChildren(...found.requests.map(callbackItem));
}

function callbackItem(r) {
  const item = document.createElement("li");
  const number = r.mine ? callbacks.taken.get(r.id) : null;
  item.className = r.taken && !r.mine ? "taken" : "";
  const caller = Object.assign(document.createElement("span"), {
    className: number ? "number" : "caller", textContent: number || r.caller });
  const about = Object.assign(document.createElement("div"), { className: "muted about",
    textContent: `拨打 ${r.dialed} · ${r.queue_title} · ${r.reason_text}` });
  item.append(`${localTime(r.requested_at)} `, caller, " ");
  if (r.taken && !r.mine) {
    item.append(`（${r.taken_name} 已领取）`, about);
    return item;
  }
  const take = Object.assign(document.createElement("button"), { className: "small",
    textContent: r.mine ? "显示号码" : "领取", title: "领取后只向您显示完整号码（记入审计）" });
  take.addEventListener("click", () => attempt(async () => {
    const taken = await api("POST", `/api/callbacks/${r.id}/take`);
    callbacks.taken.set(r.id, taken.number);
    say(`已领取：请回拨 ${taken.number}。回拨后点“已回拨”。`, "info");
    loadCallbacks();
  }));
  item.append(take);
  if (r.mine) {
    const done = Object.assign(document.createElement("button"), { className: "small",
      textContent: "已回拨" });
    done.addEventListener("click", () => attempt(async () => {
      await api("POST", `/api/callbacks/${r.id}/done`);
      callbacks.taken.delete(r.id);
      say("已标记为已回拨。", "success");
      loadCallbacks();
    }));
    item.append(" ", done);
  }
  item.append(about);
  return item;
}
$("callbacks-refresh").addEventListener("click", () => loadCallbacks());
$("callbacks-prev").addEventListener("click", () => loadCallbacks(callbacks.page - 1));
$("callbacks-next").addEventListener("click", () => loadCallbacks(callbacks.page + 1));

// -- knowledge base -----------------------------------------------------------------------------

function clearKnowledge() {
  for (const id of ["suggestions", "knowledge-results"]) $(id).textContent = "";
  $("suggestions-title").hidden = true; $("knowledge-none").hidden = true;
  $("article").hidden = true; $("article").textContent = "";
  $("knowledge-q").value = "";
}

function hitItem(hit) {
  const item = document.createElement("li");
  const title = Object.assign(document.createElement("a"), { href: "#", textContent: hit.title });
  title.addEventListener("click", (e) => { e.preventDefault(); showArticle(hit.id); });
  item.append(title);
  if (hit.topic) item.append(Object.assign(document.createElement("span"),
    { className: "muted", textContent: ` · ${hit.topic}` }));
  if (hit.snippet) {
    const snippet = document.createElement("div");
    snippet.className = "muted snippet";
    let at = 0;
    for (const [start, end] of hit.highlights || []) {
      snippet.append(hit.snippet.slice(at, start));
      snippet.append(Object.assign(document.createElement("mark"), { textContent: hit.snippet.slice(start, end) }));
      at = end;
    }
    snippet.append(hit.snippet.slice(at));
    item.append(snippet);
  }
  return item;
}

$("knowledge-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const query = $("knowledge-q").value.trim();
  attempt(async () => {
    const hits = await api("GET", "/api/knowledge?q=" + encodeURIComponent(query));
    $("article").hidden = true;
    $("knowledge-results").replaceChildren(...hits.map(hitItem));
    $("knowledge-none").hidden = hits.length > 0;
    $("knowledge-none").textContent = query
      ? `无结果：知识库中没有与“${query}”相关的条目。请换个说法，或用更短的词（如：社保卡、公积金）。`
      : "知识库中暂无条目。";
  });
});

async function suggest() {
  const ticket = desk.ticket;
  if (!ticket) return;
  const found = await attempt(() => api("GET", `/api/tickets/${ticket}/suggestions`));
  if (!found || desk.ticket !== ticket) return;
  $("suggestions").replaceChildren(...found.articles.map(hitItem));
  $("suggestions-title").hidden = false;
  $("suggestions-title").textContent = found.articles.length
    ? `为本次来电推荐${found.topic ? `（主题：${found.topic}）` : ""}：`
    : "暂无推荐：可在上方搜索。";
}

async function showArticle(id) {
  const article = await attempt(() => api("GET", `/api/knowledge/${encodeURIComponent(id)}`));
  if (!article) return;
  const box = $("article");
  const back = Object.assign(document.createElement("button"), { className: "small", textContent: "收起" });
  back.addEventListener("click", () => { box.hidden = true; });
  const title = Object.assign(document.createElement("h3"), { textContent: article.title });
  const updated = article.updated ? ` · 更新于 ${article.updated}` : "";
  const about = Object.assign(document.createElement("p"), { className: "muted",
    textContent: `主题：${article.topic || "通用"}${updated}` });
  const body = Object.assign(document.createElement("div"), { className: "article-body" });
  body.append(renderMarkdown(article.body));
  box.replaceChildren(title, about, body, back);
  if (desk.ticket) {
    const used = Object.assign(document.createElement("button"), { className: "small",
      textContent: "据此答复（记录）" });
    used.addEventListener("click", () => attempt(async () => {
      await api("POST", `/api/tickets/${desk.ticket}/answered-from`, { article: id });
      used.textContent = "已记录"; used.disabled = true; }));
    box.append(" ", used);
  }
  box.hidden = false;
  box.scrollIntoView({ block: "start" });
}
