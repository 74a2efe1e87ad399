"""The wallboard, end to end: Debian's Chromium (Playwright) signs in as a supervisor at
/wallboard; the lab agent (logged in everywhere, paused 会议) shows with its pause reason; a
sipp caller dials 12345 and waits (nobody free) — the queue shows one waiting, then the
long-wait alert once the wait passes the service level; the caller hangs up (abandoned);
agent 1001 answers a caller of 12345, and one of 12348 that overflowed into 12345 — the
board's figures of the day (per queue and in total) are those of `run.py report` over the
engine's own call log (which the engine read back at its start: earlier tests' calls of the
day included) and those of `run.py status`; the big-screen mode has no controls; an agent
is refused the page. No caller's number is ever on it.
Screenshots: var/test-artifacts/wallboard/.
"""

from __future__ import annotations

import asyncio
import time

from playwright.async_api import Page, async_playwright

from callcenter.app import Engine
from callcenter.calllog.privacy import mask_number
from callcenter.paths import PROJECT_ROOT
from callcenter.reports.figures import ReportBuilder, local_day
from callcenter.wallboard.live import Wallboard
from lab.sipp import CallSpec, place_calls
from tests.integration.browser import CHROMIUM
from tests.integration.conftest import LAB_AGENT, Lab, agent_softphone

ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts" / "wallboard"
CALLER = "13755550303"  # gives up waiting
ANSWERED, OVERFLOWED = "13755550304", "13755550305"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def queue_cell(queue: str, column: int) -> str:
    """A predicate's expression: the text of a cell of a queue's row (function form: the
    page's CSP allows no eval of a bare expression)."""
    return (f"document.querySelector('#queues tr[data-queue=\"{queue}\"]')"
            f".children[{column}].textContent")


async def test_a_supervisor_watches_the_wallboard(lab: Lab, engine: Engine,
                                                  agents_waiting: None) -> None:
    zhao = await engine.commands.run("user.add", {"name": "wall.zhao", "role": "supervisor"})
    li = await engine.commands.run("user.add", {"name": "wall.li", "role": "agent",
                                                "agent": "1001"})
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    caller = None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(base_url=base, locale="zh-CN",
                                                viewport={"width": 1600, "height": 1000})
            page = await context.new_page()
            await page.goto("/wallboard")
            await page.fill("#user", "wall.zhao")
            await page.fill("#password", zhao["password"])
            await page.click("#signin-form button")
            await page.wait_for_selector("#board", state="visible")
            await page.wait_for_function(
                f"() => (document.querySelector('#agents tr[data-agent=\"{LAB_AGENT}\"]') "
                "|| {textContent: ''}).textContent.includes('会议')", timeout=15_000)
            await shot(page, "01-signed-in")

            # a caller waits in q12345 (the only agent there is paused)
            caller = asyncio.create_task(place_calls([CallSpec("12345", CALLER)],
                                                     hold_ms=30_000, local_port=5095,
                                                     media_port=18100))
            await page.wait_for_function(f"() => {queue_cell('q12345', 1)} === '1'",
                                         timeout=30_000)
            await shot(page, "02-waiting")
            await page.wait_for_selector("#alerts .alert.long_wait", timeout=40_000)
            alert = await page.text_content("#alerts .alert.long_wait") or ""
            assert "超过服务水平" in alert
            assert "late" in (await page.get_attribute(
                "#queues tr[data-queue='q12345'] td:nth-child(3)", "class") or "")
            await shot(page, "03-long-wait-alert")

            # the caller gives up: abandoned
            result = await asyncio.wait_for(caller, 60)
            assert result.successful == 1
            call_id = await lab.call_id(CALLER)
            await lab.wait_for("call.ended", lambda: lab.events("call.ended", call_id=call_id),
                               timeout=20)
            await page.wait_for_function(f"() => {queue_cell('q12345', 1)} === '0'",
                                         timeout=15_000)

            # agent 1001 answers one caller of 12345, and one of 12348's expert queue (nobody
            # free there) after it overflows into 12345
            async with agent_softphone(lab, "1001", 5064, 30400, answer_delay_s=0.5,
                                       talk_s=2.0) as phone:
                await engine.agent_desk.login("1001")
                for dialed, number in (("12345", ANSWERED), ("12348", OVERFLOWED)):
                    answered = len(phone.answered)
                    caller = asyncio.create_task(place_calls(
                        [CallSpec(dialed, number)], hold_ms=40_000, local_port=5095,
                        media_port=18100, timeout_s=90))
                    await lab.wait_for(f"1001 to answer {dialed}",
                                       lambda n=answered: len(phone.answered) > n, timeout=45)
                    await asyncio.wait_for(caller, 60)
                    call_id = await lab.call_id(number)
                    await lab.wait_for("call.ended", lambda c=call_id: lab.events(
                        "call.ended", call_id=c), timeout=20)
                await engine.agent_desk.logout("1001")
            assert lab.events("queue.overflowed", call_id=call_id)

            # the board's figures of the day are the report's, and `run.py status`'s
            now = time.time()
            today = local_day(now)
            report = ReportBuilder({n: q.wrapup_s for n, q in lab.config.queues.queues.items()},
                                   today, today).feed(lab.log_lines())
            main, expert = report.by_queue["q12345"], report.by_queue["q12348"]
            assert main.answered >= 2 and main.abandoned >= 1 and expert.overflowed >= 1
            await page.wait_for_function(
                f"() => {queue_cell('q12348', 9)} === '{expert.overflowed}' && "
                f"{queue_cell('q12345', 7)} === '{main.answered}'", timeout=15_000)
            status = {q["queue"]: q for q in engine.snapshot()["queues"]}
            for queue, expected in (("q12345", main), ("q12348", expert)):
                shown = [await page.text_content(
                    f"#queues tr[data-queue='{queue}'] td:nth-child({column})")
                    for column in (8, 9, 10)]  # 接通, 放弃, 溢出
                figures = [str(expected.answered), str(expected.abandoned),
                           str(expected.overflowed)]
                assert shown == figures, (queue, shown, figures)
                assert [str(status[queue][k]) for k in ("answered", "abandoned",
                                                         "overflowed")] == figures
            totals = [await page.text_content(f"#totals .kpi:nth-child({n}) b")
                      for n in (2, 3, 4, 5)]
            assert totals == [str(report.total.offered), str(report.total.answered),
                              str(report.total.abandoned), str(report.total.overflowed)]
            live = engine.part(Wallboard).today(now)
            assert (live.total, live.by_queue.get("q12345")) == (report.total, main)
            content = await page.content()
            for number in (CALLER, ANSWERED, OVERFLOWED):
                assert number not in content and mask_number(number) not in content
            await shot(page, "04-figures")

            # the wall display: the same board, no controls, large type
            wall = await context.new_page()
            await wall.goto("/wallboard?screen=1")
            await wall.wait_for_selector("#board", state="visible")
            assert await wall.evaluate("() => document.body.classList.contains('screen')")
            assert not await wall.is_visible("#signout")
            assert not await wall.is_visible("#show-out")
            await shot(wall, "05-screen")

            # an agent is refused, and told so
            other = await (await browser.new_context(base_url=base, locale="zh-CN")).new_page()
            await other.goto("/wallboard")
            await other.fill("#user", "wall.li")
            await other.fill("#password", li["password"])
            await other.click("#signin-form button")
            await other.wait_for_function(
                "() => document.getElementById('signin-error').textContent.includes('班长')")
            assert not await other.is_visible("#board")
            await shot(other, "06-agent-refused")
        except BaseException:
            for open_page in context.pages:
                await shot(open_page, "99-failed")
            raise
        finally:
            if caller is not None and not caller.done():
                caller.cancel()
            await browser.close()
