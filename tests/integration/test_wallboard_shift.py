"""The supervisor's console and the wall display through a shift (#22), in Debian's Chromium
on the real Asterisk, watched at once at 1366×768 and 1920×1080 (the console) and on a
1920×1080 wall display (``?screen=1``):

- agent 1002 signs in, then their softphone unregisters: 软电话离线 on their row, an alert,
  and not counted free in their queues;
- agent 1001 is on a call when the supervisor pauses them: the row shows 通话中 and the
  pause (reason, by 赵磊), and offers 就绪, not 暂停 again; the success note goes away;
- a caller of 12348 overflows into 12345 while nobody there is free: 溢出 counts while the
  call goes on (not at its end); the queue with a caller waiting is the first row;
- 调队: the list shows the caller's place, the hotline they dialed, their wait and where
  they came from (never their number); queues where nobody can answer are not offered;
  moved, the wait keeps counting (agent 1003's phone rings a while before answering);
- after the call, 1001 is signed out by the supervisor: their pause reason goes;
- the day's 接通率 says what it counts (calls that reached a queue, and those that did not);
- a wall display too small for the queues shows them in pages that turn, never scrolling.

At every state, on every page: no English word, no internal id in the visible text; the
monitor bar, the first queue row and the agents' rows (where 监听 is) inside the viewport;
no page that scrolls. Screenshots: var/test-artifacts/wallboard-shift/.
"""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Page, async_playwright

from callcenter.app import Engine
from callcenter.calllog.privacy import mask_number
from callcenter.errors import UserError
from lab.sipp import CallSpec, place_calls
from tests.integration.browser import CHROMIUM
from tests.integration.conftest import Lab, agent_softphone
from tests.integration.pages import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    SIZES,
    check_words,
    inside,
    no_scrolling,
    shot,
)

FOLDER = ARTIFACTS / "wallboard-shift"
SUPERVISOR = "zhao.lei"  # 赵磊 in agents.yaml supervisors:
TALKING, OVERFLOWING = "13755550601", "13755550602"


async def supervisor(engine: Engine) -> dict[str, Any]:
    given = {"name": SUPERVISOR, "role": "supervisor"}
    try:
        return dict(await engine.commands.run("user.add", given))
    except UserError:  # an earlier test made them
        return dict(await engine.commands.run("user.reset", {"name": SUPERVISOR}))


async def sign_in(page: Page, path: str, password: str) -> None:
    await page.goto(path)
    await page.fill("#user", SUPERVISOR)
    await page.fill("#password", password)
    await page.click("#signin-form button")
    await page.wait_for_selector("#board", state="visible")


def row(table: str, key: str, value: str) -> str:
    return f"#{table} tr[data-{key}='{value}']"


def has(selector: str, wanted: str) -> str:
    """A predicate (function form: the page's CSP allows no eval of a bare expression)."""
    return (f"() => (document.querySelector(\"{selector}\") || {{textContent: ''}})"
            f".textContent.includes('{wanted}')")


async def cell(page: Page, selector: str, column: int) -> str:
    return (await page.text_content(f"{selector} td:nth-child({column})") or "").strip()


async def every_page(pages: dict[str, Page], state: str) -> None:
    """The checks of every state: words, what must be in view, no scrolling; screenshots."""
    for name, page in pages.items():
        await check_words(page, f"{state} ({name})")
        await no_scrolling(page)
        await inside(page, "#totals")
        await inside(page, "#queues tbody tr:not([hidden])")
        if name != "wall":
            await inside(page, "#monitor")
            await inside(page, "#agents tbody tr:last-child")
        await shot(page, FOLDER, f"{state}-{name}")


async def test_the_console_and_the_wall_through_a_shift(lab: Lab, engine: Engine,
                                                        agents_waiting: None) -> None:
    zhao = await supervisor(engine)
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    wrapup, limit, unreachable_s = engine.agent_desk._rules(lab.config)
    engine.agent_desk.board.reconfigure(wrapup, limit, 300)  # offline is seen, not logged out
    callers: list[asyncio.Task[Any]] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages: dict[str, Page] = {}
        try:
            for name, size in (("1366", SIZES["1366"]), ("1920", SIZES["1920"]),
                               ("wall", SIZES["1920"])):
                context = await browser.new_context(base_url=base, locale="zh-CN",
                                                    viewport=size)
                pages[name] = await context.new_page()
                await sign_in(pages[name], "/wallboard?screen=1" if name == "wall"
                              else "/wallboard", zhao["password"])
            small, wall = pages["1366"], pages["wall"]
            assert await wall.evaluate("() => document.body.classList.contains('screen')")
            for page in pages.values():
                await page.wait_for_function(has(row("agents", "agent", "9000"), "会议"))
                assert "赵磊" in (await page.text_content("#who") or "") or page is wall
            await every_page(pages, "01-signed-in")

            # 1002's softphone goes away while they are signed in
            async with agent_softphone(lab, "1002", 5066, 30600):
                await engine.agent_desk.login("1002")
            for page in pages.values():
                await page.wait_for_function(has(row("agents", "agent", "1002"), "软电话离线"),
                                             timeout=15_000)
                await page.wait_for_selector("#alerts .alert.phone_offline[data-agent='1002']")
            alert = await small.text_content("#alerts .alert.phone_offline") or ""
            assert "李强" in alert and "软电话离线" in alert
            offline = await cell(small, row("queues", "queue", "q12345"), 7)
            assert offline == "1"  # 离线
            assert await cell(small, row("queues", "queue", "q12345"), 4) == "0"  # not 就绪
            await every_page(pages, "02-phone-offline")
            await engine.agent_desk.logout("1002")

            async with agent_softphone(lab, "1001", 5064, 30400, answer_delay_s=0.5,
                                       talk_s=30.0) as wang, \
                    agent_softphone(lab, "1003", 5069, 30700, answer_delay_s=9.0,
                                    talk_s=2.0) as zhao_li:
                await engine.agent_desk.login("1001")
                callers.append(asyncio.create_task(place_calls(
                    [CallSpec("12345", TALKING)], hold_ms=60_000, local_port=5095,
                    media_port=18100, timeout_s=120)))
                await lab.wait_for("1001 to answer", lambda: wang.answered, timeout=30)
                talking = row("agents", "agent", "1001")
                await small.wait_for_selector(f"{talking} button[data-action='listen']")
                await inside(small, f"{talking} button[data-action='listen']")

                # a supervisor's pause during the call: both shown, and 就绪 offered
                await small.click(f"{talking} button[data-action='pause']")
                assert "通话不受影响" in (await small.text_content("#act-body") or "")
                await small.fill("#act-reason", "质检辅导")
                await check_words(small, "pause dialog")
                await shot(small, FOLDER, "03-pause-dialog-1366")
                await small.click("#act-ok")
                await small.wait_for_selector("#message.ok", state="visible")
                for page in pages.values():
                    await page.wait_for_function(has(talking, "质检辅导（班长赵磊）"))
                    states = await page.locator(f"{talking} .state").all_text_contents()
                    assert states == ["通话中", "暂停"], states
                await small.wait_for_selector(f"{talking} button[data-action='unpause']")
                assert not await small.locator(f"{talking} button[data-action='pause']").count()
                await every_page(pages, "04-paused-on-call")
                await small.wait_for_selector("#message", state="hidden", timeout=8_000)

                # a caller of 12348 overflows into 12345, where nobody is free
                overflowed_before = int(await cell(small, row("queues", "queue", "q12348"), 10))
                callers.append(asyncio.create_task(place_calls(
                    [CallSpec("12348", OVERFLOWING)], hold_ms=90_000, local_port=5096,
                    media_port=18200, timeout_s=150)))
                call_id = await lab.call_id(OVERFLOWING)
                await lab.wait_for("the overflow", lambda: lab.events(
                    "queue.overflowed", call_id=call_id), timeout=30)
                for page in pages.values():
                    await page.wait_for_function(
                        has(f"{row('queues', 'queue', 'q12348')} td:nth-child(10)",
                            str(overflowed_before + 1)), timeout=10_000)
                assert not lab.events("call.ended", call_id=call_id)  # counted as it happens
                first = small.locator("#queues tbody tr").first
                assert await first.get_attribute("data-queue") == "q12345"  # waiting first
                await every_page(pages, "05-overflow-counted")

                # 1003 answers only q12315 for the rest of the shift, and signs in
                await engine.commands.run("supervise.skills", {"agent": "1003",
                                                               "skills": {"q12315": 0}})
                await engine.agent_desk.login("1003")
                await asyncio.sleep(6)  # the caller waits on in q12345 before the move
                await small.click(f"{row('queues', 'queue', 'q12345')} "
                                  "button[data-action='move']")
                await small.wait_for_selector("#act-callers tr")
                listed = await small.text_content("#act-callers") or ""
                assert "第 1 位" in listed and "拨打 12348" in listed and "溢出转入" in listed
                assert OVERFLOWING not in listed and mask_number(OVERFLOWING) not in listed
                options = {o["value"]: o for o in await small.eval_on_selector_all(
                    "#act-to option", "os => os.map(o => ({value: o.value, text: o.text, "
                    "disabled: o.disabled}))")}
                assert "q12345" not in options
                assert not options["q12315"]["disabled"], options["q12315"]
                assert options["q12348"]["disabled"] and "均暂停" in options["q12348"]["text"]
                await small.select_option("#act-to", "q12315")
                await check_words(small, "move dialog")
                await shot(small, FOLDER, "06-move-dialog-1366")
                await small.click("#act-ok")
                await small.wait_for_function(has("#message", "调入12315市场监管投诉举报"))
                moved = await lab.wait_for("queue.moved", lambda: lab.events(
                    "queue.moved", call_id=call_id))
                waited_before = float(moved[-1]["wait_s"])
                assert waited_before >= 5
                # 1003's phone rings: the caller waits in q12315, their wait counting on
                target = row("queues", "queue", "q12315")
                for page in pages.values():
                    await page.wait_for_function(
                        f"() => {{ const r = document.querySelector(\"{target}\"); "
                        "return r && r.children[1].textContent === '1'; }", timeout=10_000)
                wait_text = await cell(small, target, 3)
                seconds = int(wait_text.rstrip("秒")) if wait_text.endswith("秒") and \
                    "分" not in wait_text else 60
                # not restarted at the move (Asterisk's hold time is whole seconds of its own
                # clock, the board's the engine's: a second apart at most)
                assert seconds >= waited_before - 1, (wait_text, waited_before)
                await every_page(pages, "07-moved-wait-counts")
                await lab.wait_for("1003 to answer", lambda: zhao_li.answered, timeout=30)

                # the call of 1001 ends: paused; the supervisor signs them out
                await lab.wait_for("1001's call to end", lambda: not engine.agent_desk.board
                                   .status("1001").on_call_with, timeout=60)
                await small.wait_for_selector(f"{talking} button[data-action='logout']")
                await small.click(f"{talking} button[data-action='logout']")
                await small.fill("#act-reason", "交接班")
                await small.click("#act-ok")
                await small.check("#show-out")
                await small.wait_for_function(has(talking, "未签入"), timeout=15_000)
                assert not await small.locator(f"{talking} .reason").count()  # no reason
                await engine.agent_desk.logout("1003")
            for task in callers:
                await asyncio.wait_for(task, 150)

            # a smaller wall display: still no scrolling, the queues in pages that turn
            small_wall = await (await browser.new_context(
                base_url=base, locale="zh-CN", viewport={"width": 1366, "height": 600})
            ).new_page()
            await sign_in(small_wall, "/wallboard?screen=1", zhao["password"])
            await small_wall.wait_for_function(has("#queue-pages", "第 1/"))
            await no_scrolling(small_wall)
            await inside(small_wall, "#queues tbody tr:not([hidden])")
            shown = await small_wall.locator("#queues tbody tr:not([hidden])").count()
            assert 0 < shown < await small_wall.locator("#queues tbody tr").count()
            await shot(small_wall, FOLDER, "09-small-wall-page-1")
            await small_wall.wait_for_function(has("#queue-pages", "第 2/"), timeout=15_000)
            await inside(small_wall, "#queues tbody tr:not([hidden])")
            await check_words(small_wall, "the small wall's second page")
            await shot(small_wall, FOLDER, "09-small-wall-page-2")

            # what the day's 接通率 counts
            note = await small.text_content("#kpi-connection") or ""
            assert "全部来电" in note and "进入队列" in note and "未进入" in note \
                and "登记回拨" in note
            await every_page(pages, "08-end")
            content = await small.content()
            for number in (TALKING, OVERFLOWING):
                assert number not in content and mask_number(number) not in content
        except BaseException:
            for name, page in pages.items():
                await shot(page, FOLDER, f"99-failed-{name}")
            raise
        finally:
            for task in callers:
                if not task.done():
                    task.cancel()
            engine.agent_desk.board.reconfigure(wrapup, limit, unreachable_s)
            engine.agent_desk.shift_skills.pop("1003", None)
            await browser.close()
