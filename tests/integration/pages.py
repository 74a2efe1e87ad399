"""Checks the browser tests of the supervisor's and admin's pages share: the visible text of
a page state has no English word (a short allow-list) and no internal id; key panels lie
inside the viewport; the page does not scroll; screenshots kept as artifacts."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page

from callcenter.paths import PROJECT_ROOT

SIZES = {"1366": {"width": 1366, "height": 768}, "1920": {"width": 1920, "height": 1080}}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ALLOWED = {"SIP", "WebRTC", "ID", "Alt"}
WORD = re.compile(r"[A-Za-z][A-Za-z_.\-]*")
ERROR_ID = re.compile(r"CC\d{3,4}")  # an error id, in small print after a message
INTERNAL = (re.compile(r"(?<![A-Za-z0-9])q\d{4,5}(?![0-9])"),  # a queue's id (q12345)
            re.compile(r"\d{10}\.\d+"),  # a call's id (Asterisk's linkedid)
            re.compile(r"[a-z]+\.[a-z]+"),  # a user name (zhao.lei)
            re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d"))  # a time in UTC, ISO 8601 (…Z)

# the visible text: what the page shows (text nodes whose element is visible, the options of
# visible selects, the placeholders of visible inputs) — not <code>, which holds what a person
# types exactly (an account name, a command), nor what the person typed into an input
VISIBLE_TEXT = """() => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const owner = node.parentElement;
    if (!owner || owner.closest("code, script, style, option")) continue;
    if (!owner.checkVisibility({ visibilityProperty: true })) continue;
    parts.push(node.textContent);
  }
  for (const select of document.querySelectorAll("select")) {
    if (select.checkVisibility()) parts.push(...[...select.options].map((o) => o.text));
  }
  for (const input of document.querySelectorAll("input, textarea")) {
    if (!input.checkVisibility()) continue;
    parts.push(input.placeholder || "");
  }
  return parts.join("\\n");
}"""


async def visible_text(page: Page) -> str:
    return str(await page.evaluate(VISIBLE_TEXT))


def english_words(text: str) -> list[str]:
    cleaned = ERROR_ID.sub(" ", text)
    return [w for w in WORD.findall(cleaned) if w not in ALLOWED]


def internal_ids(text: str) -> list[str]:
    return [m.group(0) for pattern in INTERNAL for m in pattern.finditer(text)]


async def check_words(page: Page, state: str) -> str:
    """The page's visible text in ``state``: Chinese, no internal id (asserted)."""
    text = await visible_text(page)
    assert english_words(text) == [], (state, english_words(text), text)
    assert internal_ids(text) == [], (state, internal_ids(text), text)
    return text


async def inside(page: Page, selector: str) -> None:
    """``selector``'s first element lies wholly inside the viewport (no scrolling).

    Measured in the page in one step: a board that re-renders its rows between finding an
    element and measuring it (the wallboard does, on every event) left a detached element with
    no box when the two were separate calls."""
    handle = await page.wait_for_function(
        "(selector) => { const el = document.querySelector(selector); if (!el) return null;"
        " const r = el.getBoundingClientRect(); if (!r.width || !r.height) return null;"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; }",
        arg=selector, timeout=10_000)
    box = await handle.json_value()
    size = page.viewport_size
    assert box is not None and size is not None, selector
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 1, (selector, box, size)
    assert box["y"] + box["height"] <= size["height"] + 1, (selector, box, size)


async def no_scrolling(page: Page) -> None:
    sizes = await page.evaluate("() => [document.documentElement.scrollWidth, "
                                "document.documentElement.scrollHeight, innerWidth, "
                                "innerHeight]")
    assert sizes[0] <= sizes[2] and sizes[1] <= sizes[3], sizes


async def shot(page: Page, folder: Path, name: str) -> None:
    """The viewport as the person sees it (Playwright makes the folder)."""
    await page.screenshot(path=str(folder / f"{name}.png"))


ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"
