"""An article's text as a reader sees it (Markdown marks dropped, wrapped lines joined) and
the snippet of it shown with a search hit: the stretch with the most of the query's words,
with where they are (``highlights``: [start, end) offsets into the snippet), so that a web
page can mark them without reading HTML out of an article."""

from __future__ import annotations

import re
import unicodedata

SNIPPET_CHARS = 90
_BLOCK = re.compile(r"^\s*(#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+|\|)")
_INLINE = re.compile(r"\*\*|__|`|\[([^\]]*)\]\([^)]*\)")
_HAN = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def plain_text(markdown: str) -> str:
    """Paragraphs and list items one a line; a line wrapped inside one joined back (without
    a space between Chinese characters)."""
    out: list[str] = []
    joinable = False
    for raw in markdown.splitlines():
        if not raw.strip() or set(raw.strip()) <= set("|-: "):
            joinable = False
            continue
        block = _BLOCK.match(raw)
        line = _INLINE.sub(lambda m: m.group(1) or "", raw[block.end():] if block else raw)
        line = " ".join(part.strip() for part in line.split("|") if part.strip())
        if joinable and not block and out:
            glue = "" if _HAN.match(line) and _HAN.match(out[-1][-1:]) else " "
            out[-1] += glue + line
        else:
            out.append(line)
        joinable = not raw.lstrip().startswith(("#", "|"))  # headings and table rows end
    return "\n".join(out)


def fold(text: str) -> str:
    """Full-width → half-width and lower case, character by character (same length: offsets
    in it are offsets in ``text``), as the segmenter normalizes what it finds words in."""
    return "".join(f if len(f := unicodedata.normalize("NFKC", c).lower()) == 1 else c
                   for c in text)


def _occurrences(text: str, words: list[str]) -> list[tuple[int, int, str]]:
    folded = fold(text)
    found: list[tuple[int, int, str]] = []
    for word in words:
        start = folded.find(word)
        while start != -1 and len(found) < 400:
            found.append((start, start + len(word), word))
            start = folded.find(word, start + len(word))
    return sorted(found)


def _start(text: str, anchor: int) -> int:
    """Where a snippet showing ``anchor`` begins: after the line break or stop before it,
    when one is near; else a little before it."""
    cut = max(text.rfind(mark, max(0, anchor - 40), anchor) for mark in "\n。；！？")
    return cut + 1 if cut >= 0 else max(0, anchor - 10)


def snippet(text: str, words: list[str],
            width: int = SNIPPET_CHARS) -> tuple[str, list[list[int]]]:
    """The ``width`` characters of ``text`` holding the most distinct ``words`` (the
    earliest such), and the highlighted ranges in it."""
    hits = _occurrences(text, words)
    best, best_key = 0, (0, 0)  # (distinct words, -start)
    for anchor, _end, _word in hits:
        start = _start(text, anchor)
        inside = {h[2] for h in hits if h[0] >= start and h[1] <= start + width}
        if (len(inside), -start) > best_key:
            best, best_key = start, (len(inside), -start)
    end = min(len(text), best + width)
    prefix = "…" if best > 0 else ""
    shown = prefix + text[best:end].replace("\n", " ") + ("…" if end < len(text) else "")
    spans: list[list[int]] = []
    for start, stop, _word in hits:
        if start >= best and stop <= end:
            s, e = start - best + len(prefix), stop - best + len(prefix)
            if spans and s < spans[-1][1]:  # overlapping (社保, 社保卡): one
                spans[-1][1] = max(spans[-1][1], e)
            else:
                spans.append([s, e])
    return shown, spans
