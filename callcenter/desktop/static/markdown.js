// The knowledge base's Markdown as safe page elements: headings, paragraphs, lists (- * 1.),
// quotes (>), **bold**, *emphasis* and `code`. Every piece of text goes in as text (never as
// HTML), so an article cannot bring a script or a link in; the strict CSP stays as it is.
"use strict";

const MD_INLINE = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*\s][^*]*\*)/;
const CJK_CHAR = /[\u3000-\u9fff\uff00-\uffef]/;

// Text with **bold**, *emphasis* and `code` as elements, appended to ``parent``.
function markdownInline(parent, text) {
  for (const piece of text.split(MD_INLINE)) {
    if (!piece) continue;
    let tag = "";
    let inner = piece;
    if (piece.length > 4 && piece.startsWith("**") && piece.endsWith("**")) {
      tag = "strong"; inner = piece.slice(2, -2);
    } else if (piece.length > 2 && piece.startsWith("`") && piece.endsWith("`")) {
      tag = "code"; inner = piece.slice(1, -1);
    } else if (piece.length > 2 && piece.startsWith("*") && piece.endsWith("*")) {
      tag = "em"; inner = piece.slice(1, -1);
    }
    if (tag) {
      const element = document.createElement(tag);
      element.textContent = inner;
      parent.append(element);
    } else {
      parent.append(document.createTextNode(piece));
    }
  }
}

// Markdown → a DocumentFragment. ``headingFrom``: the element level of a "#" heading (an
// article inside a card starts below the card's own heading).
function renderMarkdown(source, headingFrom = 3) {
  const out = document.createDocumentFragment();
  let block = null;  // the paragraph, list or quote lines are added to
  let kind = "";
  const close = () => { block = null; kind = ""; };
  const open = (tag, name) => {
    block = document.createElement(tag);
    kind = name;
    out.append(block);
    return block;
  };
  for (const raw of String(source).replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.trim();
    let found;
    if (!line) {
      close();
    } else if ((found = /^(#{1,6})\s+(.*)$/.exec(line))) {
      close();
      const level = Math.min(6, headingFrom + found[1].length - 1);
      markdownInline(open(`h${level}`, "heading"), found[2]);
      close();
    } else if ((found = /^([-*+]|\d+[.)])\s+(.*)$/.exec(line))) {
      const ordered = /\d/.test(found[1][0]);
      const listKind = ordered ? "ol" : "ul";
      if (kind !== listKind) open(listKind, listKind);
      const item = document.createElement("li");
      markdownInline(item, found[2]);
      block.append(item);
    } else if ((found = /^>\s?(.*)$/.exec(line))) {
      if (kind !== "quote") open("blockquote", "quote");
      else block.append(document.createElement("br"));
      markdownInline(block, found[1]);
    } else if (kind === "ul" || kind === "ol") {
      const item = block.lastElementChild;  // a list item's next line
      markdownInline(item, CJK_CHAR.test(item.textContent.slice(-1)) ? line : " " + line);
    } else if (kind === "p") {  // the paragraph goes on (Chinese lines join without a space)
      const last = block.textContent.slice(-1);
      markdownInline(block, CJK_CHAR.test(last) || CJK_CHAR.test(line[0]) ? line : " " + line);
    } else {
      markdownInline(open("p", "p"), line);
    }
  }
  return out;
}
