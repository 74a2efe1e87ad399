// The back office's dispatch (loaded before backoffice.js): every unit to choose from, grouped
// (the departments, the cities, each city's counties), the catalogue's suggestion chosen first
// and marked; assisting units one by one; 直接办结; the tickets of the same matter to merge
// into (并单).
"use strict";

const LEVELS = [["province", "省直部门"], ["city", "市州"]];

// every unit, grouped: the departments, the cities, each city's counties
function unitSelect(id, chosen, blank) {
  const select = input("select", { id });
  if (blank) select.append(Object.assign(el("option", blank), { value: "" }));
  const units = Object.values(flowPage.units);
  const option = (u) => {
    const node = el("option", u.id === chosen ? `${u.name}（推荐）` : u.name);
    node.value = u.id;
    node.selected = u.id === chosen;
    return node;
  };
  for (const [level, name] of LEVELS) {
    const group = Object.assign(el("optgroup"), { label: name });
    group.append(...units.filter((u) => u.level === level).map(option));
    select.append(group);
  }
  for (const city of units.filter((u) => u.level === "city")) {
    const group = Object.assign(el("optgroup"), { label: `${city.name} 县区` });
    group.append(...units.filter((u) => u.level === "county" && u.parent === city.id).map(option));
    select.append(group);
  }
  return select;
}

// 协办单位: chosen one by one, shown as chips (form.assists)
function assistPicker(form, suggested) {
  form.assists = [...suggested];
  const chips = el("div", null, "chips");
  const draw = () => chips.replaceChildren(...form.assists.map((id) => {
    const chip = el("span", unitName(id), "chip");
    const drop = Object.assign(el("button", "×"), { type: "button", title: "移除" });
    drop.addEventListener("click", () => { form.assists = form.assists.filter((a) => a !== id); draw(); });
    chip.append(drop);
    return chip;
  }));
  const select = unitSelect("dispatch-assist", "", "选择协办单位（可不选）");
  const add = Object.assign(el("button", "添加协办", "plain"), { type: "button" });
  add.addEventListener("click", () => {
    if (select.value && !form.assists.includes(select.value)) form.assists.push(select.value);
    select.value = "";
    draw();
  });
  const row = el("label", "协办单位");
  row.append(document.createElement("br"), select, document.createTextNode(" "), add);
  form.append(row, chips);
  draw();
}

// -- 派单, 直接办结, 并单 -----------------------------------------------------------------------------

function noteField(form, id, text, required) {
  labelled(form, text, input("textarea", { id, maxLength: 500, required: Boolean(required) }));
}

function dispatchForms(flow, forms) {
  const ticket = flow.ticket;
  const suggested = flow.card.suggested || { unit: "", assists: [] };
  actionForm(forms, "dispatch", "派单", (form) => {
    labelled(form, "承办单位（主办）", unitSelect("dispatch-unit", suggested.unit, suggested.unit ? "" : "请选择承办单位"));
    assistPicker(form, suggested.assists || []);
    noteField(form, "dispatch-note", "派单说明（可不填）");
  }, [["派单", "dispatch"]], (_value, form) => {
    const unit = mustSay(form, "dispatch-unit", "承办单位");
    return step(ticket, "dispatch", { unit, assist: form.assists, note: form.querySelector("#dispatch-note").value.trim() },
      `已派单：工单 ${ticket} 派至${unitName(unit)}。`);
  });
  actionForm(forms, "close", "直接办结", (form) => {
    noteField(form, "close-note", "答复情况（已当场答复来电人的内容）", true);
  }, [["直接办结", "close", "plain"]], (_value, form) => step(ticket, "close",
    { note: mustSay(form, "close-note", "答复情况") }, `工单 ${ticket} 已直接办结。`));
  loadSimilar(ticket).catch((error) => sayError($("similar-error"), error));
}

async function loadSimilar(ticket) {
  const found = await api("GET", `/api/loop/tickets/${ticket}/similar`);
  if (opened.ticket !== ticket) return;
  $("similar").hidden = found.length === 0;
  $("similar").querySelector("tbody").replaceChildren(...found.map((other) => {
    const row = el("tr");
    row.dataset.ticket = other.ticket;
    const go = el("td");
    const merge = el("button", "并入此单");
    const seen = opened.signature;
    merge.dataset.action = "merge";
    merge.addEventListener("click", async () => {
      merge.disabled = true;
      $("similar-error").textContent = "";
      try {
        await step(ticket, "merge", { into: other.ticket }, `工单 ${ticket} 已并入工单 ${other.ticket}，将随其一并办结。`);
      } catch (error) {
        await flowPage.failed(error, $("similar-error"), seen);
      } finally { merge.disabled = false; }
    });
    const open = el("button", "查看");
    open.addEventListener("click", () => openTicket(other.ticket));
    go.append(merge, document.createTextNode(" "), open);
    row.append(el("td", String(other.ticket)), el("td", stepWord(other.step)),
      el("td", other.unit ? unitName(other.unit) : "—"),
      el("td", [other.topic, other.place].filter(Boolean).join(" · ") || "—"),
      el("td", shownTime(other.accepted_at)), go);
    return row;
  }));
}
