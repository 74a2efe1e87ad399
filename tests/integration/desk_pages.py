"""What the agent desktop's browser tests share: signing in, screenshots at both screen sizes
(1366×768, a call-centre monitor, and 1920×1080), and the checks every page state gets — the
page does not grow past the screen, the visible text has no English word and no internal id,
key panels inside the viewport."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Page

from callcenter.ami import actions
from callcenter.app import Engine
from callcenter.paths import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts" / "desktop-shift"
SMALL = {"width": 1366, "height": 768}
LARGE = {"width": 1920, "height": 1080}
SIZES = (SMALL, LARGE)
ALLOWED_WORDS = frozenset({"SIP", "WebRTC", "ID", "Alt"})
# what the page shows of what people said or wrote (the lab's speech model is Korean and
# writes Latin letters too; articles are the centre's text): data, not the page's words
DATA = ("#transcript", "#partial", "#earlier-transcript", ".article-body", ".snippet")
INTERNAL = (re.compile(r"\bq\d{5}\b"), re.compile(r"agent-\d+"), re.compile(r"\d{2}Z\b"),
            re.compile(r"\d{4}-\d\d-\d\dT\d\d"), re.compile(r"[{}\[\]]\s*\""),
            re.compile(r"\bCC\d{3,4}\b"))
ENGLISH = re.compile(r"[A-Za-z]{2,}")


async def sign_in(context: BrowserContext, user: str, password: str,
                  size: dict[str, int] = SMALL) -> Page:
    page = await context.new_page()
    await page.set_viewport_size(size)
    await page.goto("/")
    await page.fill("#user", user)
    await page.fill("#password", password)
    await page.click("#signin-form button")
    await page.wait_for_selector("#desk", state="visible")
    return page


async def visible_text(page: Page) -> str:
    """What a person reads on the page now, without what people said or wrote."""
    text: str = await page.evaluate(
        """(data) => {
             const hidden = [];
             for (const selector of data) {
               for (const element of document.querySelectorAll(selector)) {
                 hidden.push([element, element.style.visibility]);
                 element.style.visibility = "hidden";
               }
             }
             const seen = document.body.innerText;
             for (const [element, was] of hidden) element.style.visibility = was;
             return seen + "\\n" + [...document.querySelectorAll("button, option, [title]")]
               .filter((e) => e.offsetParent !== null)
               .map((e) => (e.title || "")).join("\\n");
           }""", list(DATA))
    # innerText keeps hidden elements' text out; visibility:hidden ones' too
    return text


async def language_problems(page: Page) -> list[str]:
    text = re.sub(r"错误编号 CC\d+", "", await visible_text(page))  # small print: allowed
    found = [w for w in ENGLISH.findall(text) if w not in ALLOWED_WORDS]
    found += [m.group(0) for pattern in INTERNAL for m in pattern.finditer(text)]
    return found


async def outside_viewport(page: Page, selectors: list[str]) -> list[str]:
    """The selectors whose box is not wholly inside the viewport (or not shown)."""
    size = page.viewport_size
    assert size is not None
    out = []
    for selector in selectors:
        box = await page.locator(selector).first.bounding_box()
        if box is None or box["x"] < 0 or box["y"] < 0 \
                or box["x"] + box["width"] > size["width"] + 0.5 \
                or box["y"] + box["height"] > size["height"] + 0.5:
            out.append(f"{selector} {box}")
    return out


async def page_height(page: Page) -> int:
    height: int = await page.evaluate("() => document.documentElement.scrollHeight")
    return height


Check = Callable[[Page], Awaitable[Any]]


async def state(page: Page, name: str, *, panels: list[str] | None = None,
                check: Check | None = None, artifacts: Path = ARTIFACTS) -> None:
    """One state of the page, at both sizes: a screenshot each, the page no taller than the
    screen, no English word or internal id in what it shows, ``panels`` inside the viewport,
    and ``check`` (a size-specific assertion)."""
    await asyncio.to_thread(artifacts.mkdir, parents=True, exist_ok=True)
    for size in SIZES:
        await page.set_viewport_size(size)
        await asyncio.sleep(0.15)  # the layout settles
        label = f"{size['width']}x{size['height']}"
        await page.screenshot(path=str(artifacts / f"{name}-{label}.png"))
        assert await page_height(page) <= size["height"], (name, label)
        problems = await language_problems(page)
        assert not problems, (name, label, problems)
        if panels:
            outside = await outside_viewport(page, panels)
            assert not outside, (name, label, outside)
        if check is not None:
            await check(page)
    await page.set_viewport_size(SMALL)


async def text_of(page: Page, selector: str) -> str:
    return (await page.text_content(selector)) or ""


async def wait_text(page: Page, selector: str, wanted: str, timeout_ms: int = 20_000) -> None:
    await page.wait_for_function(
        "([selector, wanted]) => (document.querySelector(selector).textContent || '')"
        ".includes(wanted)", arg=[selector, wanted], timeout=timeout_ms)


async def tidy(engine: Engine, agent: str = "1001") -> None:
    """After a test, whatever happened: the agent's calls hung up, the agent signed out (as a
    supervisor would: even on a call) — the next test starts from a quiet Asterisk."""
    for call in list(engine.tracker.calls.values()):
        if call.agent == agent and call.inbound_channel:
            await engine.ami.send(actions.hangup(call.inbound_channel))
    if engine.agent_desk.describe(agent)["state"] != "logged_out":
        await engine.agent_desk.logout(agent, by_supervisor=True)
