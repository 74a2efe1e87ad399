"""The ticket loop's pages (#24) in Debian's Chromium against the real engine, at 1366×768
and 1920×1080: tickets entered with ``ticket.new``; in the centre's back office (工单中心) a
supervisor dispatches one to the catalogue's suggested unit with an assisting unit, another to
the wrong unit, and merges a third into the first (并单); in the unit's inbox (承办单位工作台)
城关区's user sees the overdue ticket first with its red light, signs, replies, returns the
wrongly sent one (a reason required), asks for an extension, and is told when someone else
acted first (409); back in the back office the reply is accepted (办结, the merged ticket with
it), the returned ticket re-dispatched (改派), the extension approved, the rating entered, the
overdue ticket on the 督办 list, a banner for the year counted Monday to Friday; the timeline
on its own page. 七里河区's user sees none of 城关区's tickets (and gets 403 over HTTP); each
person signing in on another's page is sent to their own. At every state: no English word, no
internal id, the key parts inside the viewport, no page scrolling. Screenshots:
var/test-artifacts/loop/.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright

from callcenter.app import Engine
from callcenter.errors import UserError
from callcenter.ticketflow.loop import TicketLoop
from tests.integration.browser import CHROMIUM
from tests.integration.conftest import Lab
from tests.integration.pages import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    SIZES,
    check_words,
    inside,
    no_scrolling,
    shot,
)
from tests.integration.test_admin_page import sign_in

FOLDER = ARTIFACTS / "loop"
HEATING = "城关区雁滩路小区暖气不热，家里有老人，请尽快派人来修"
LAMP = "七里河区西津路路灯不亮好几天了，晚上很黑"
NOISE = "城关区庆阳路夜市噪音太大，晚上十二点还在营业"
PARK = "城关区东岗西路停车收费不合理，同一个停车场收费标准不一样"
DAY = 86400.0


async def fresh(engine: Engine, name: str, role: str, agent: str = "",
                unit: str = "") -> dict[str, Any]:
    given = {"name": name, "role": role, "agent": agent, "unit": unit}
    try:
        return dict(await engine.commands.run("user.add", given))
    except UserError:  # an earlier test of the session made them
        return dict(await engine.commands.run("user.reset", {"name": name}))


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                    args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def pages_of(browser: Browser, base: str, path: str, name: str, password: str,
                   sizes: tuple[str, ...] = ("1366", "1920")) -> dict[str, Page]:
    pages = {}
    for size in sizes:
        context = await browser.new_context(base_url=base, locale="zh-CN",
                                            viewport=SIZES[size])
        pages[size] = await context.new_page()
        pages[size].on("console", lambda m, size=size: print("CONSOLE", size, m.text))
        pages[size].on("pageerror", lambda e, size=size: print("PAGEERROR", size, e))
        await sign_in(pages[size], path, name, password)
        await pages[size].wait_for_selector("#page", state="visible")
    return pages


async def state(pages: dict[str, Page], name: str, *parts: str) -> None:
    for size, page in pages.items():
        await check_words(page, f"{name} ({size})")
        await no_scrolling(page)
        for part in ("#topbar", *parts):
            await inside(page, part)
        await shot(page, FOLDER, f"{name}-{size}")


async def open_ticket(pages: dict[str, Page], ticket: int) -> None:
    for page in pages.values():
        await page.click(f"#tickets tbody tr[data-ticket='{ticket}']")
        await page.wait_for_function(
            "(t) => !document.getElementById('ticket').hidden && document.querySelector("
            "'#ticket-head h2').textContent === `工单 ${t}`", arg=ticket)


async def tab(pages: dict[str, Page], name: str, ticket: int | None = None) -> None:
    for page in pages.values():
        await page.click(f"#tabs button[data-tab='{name}']")
        if ticket is not None:
            await page.wait_for_selector(f"#tickets tbody tr[data-ticket='{ticket}']")


async def rows(page: Page) -> list[int]:
    found = await page.eval_on_selector_all("#tickets tbody tr", "rs => rs.map(r => "
                                            "Number(r.dataset.ticket))")
    return [int(t) for t in found]


async def notice(page: Page, selector: str, text: str) -> None:
    await page.wait_for_function("([s, t]) => (document.querySelector(s) || {}).textContent"
                                 "?.includes(t)", arg=[selector, text])


async def test_a_ticket_round_the_loop_on_the_pages(lab: Lab, engine: Engine,
                                                    browser: Browser) -> None:
    run = engine.commands.run  # root, as on the server's command line
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    zhao = await fresh(engine, "zhao.lei", "supervisor")
    cg = await fresh(engine, "cg.user", "unit", unit="城关区")
    heating = (await run("ticket.new", {"channel": "web", "text": HEATING,
                                        "caller": "13812345678"}))["ticket"]
    wrong = (await run("ticket.new", {"channel": "letter", "text": LAMP}))["ticket"]
    again = (await run("ticket.new", {"channel": "sms", "text": HEATING + "，第二次反映",
                                      "caller": "13812345678"}))["ticket"]
    late = (await run("ticket.new", {"channel": "email", "text": NOISE}))["ticket"]
    longer = (await run("ticket.new", {"channel": "web", "text": PARK}))["ticket"]
    loop = engine.part(TicketLoop)
    real_clock = loop.clock
    loop.clock = lambda: time.time() - 10 * DAY  # dispatched ten days ago: overdue now
    try:
        await run("ticket.dispatch", {"ticket": late, "unit": "城关区"})
    finally:
        loop.clock = real_clock
    await run("ticket.dispatch", {"ticket": longer, "unit": "城关区"})
    await run("workdays.add", {"date": "2031-03-03", "days": 3})  # a year with no data

    office = await pages_of(browser, base, "/backoffice", "zhao.lei", zhao["password"])
    small = office["1366"]
    seen = [small]  # screenshots when it fails
    try:
        # 登记来件: a letter entered on the page, pre-filled, to dispatch
        await small.click("#enter-open")
        await small.select_option("#enter-channel", "letter")
        await small.fill("#enter-caller", "13912345678")
        await small.fill("#enter-text", "安宁区北滨河路健身器材损坏，请尽快维修")
        await check_words(small, "the letter entered")
        await shot(small, FOLDER, "00-backoffice-enter")
        await small.click("#enter-ok")
        await notice(small, "#message", "已登记工单")
        await small.wait_for_function("() => document.querySelector('#ticket-head h2')"
                                      "?.textContent.startsWith('工单')")
        entered = await small.text_content("#ticket-card") or ""
        assert "信件" in entered and "139****5678" in entered and "13912345678" not in entered
        assert await small.input_value("#dispatch-unit") == "安宁区"
        # answered at the centre: 直接办结 (what was answered is required)
        await small.click("form[data-action='close'] button[type=submit]")
        await notice(small, "form[data-action='close'] .error", "请填写答复情况")
        await small.fill("#close-note", "已告知来电人向安宁区城管局报修，并提供了报修电话")
        await small.click("form[data-action='close'] button[type=submit]")
        await notice(small, "#message", "已直接办结")
        await notice(small, "#act-state", "回访来电人后")  # now to be rated

        # 待派单: the catalogue's suggestion chosen first; the same caller's second ticket
        await tab(office, "accepted", heating)
        assert set(await rows(small)) >= {heating, wrong, again}
        await open_ticket(office, heating)
        assert await small.input_value("#dispatch-unit") == "城关区"
        card = await small.text_content("#ticket-card") or ""
        assert "138****5678" in card and "13812345678" not in card and "网站" in card
        assert "2031" in (await small.text_content("#calendar") or "")
        await state(office, "01-backoffice-to-dispatch", "#tickets tbody tr", "#ticket-head",
                    "#calendar")
        await small.select_option("#dispatch-assist", "省住建厅")
        await small.click("form[data-action='dispatch'] button:has-text('添加协办')")
        await small.click("form[data-action='dispatch'] button[value='dispatch']")
        await notice(small, "#message", f"已派单：工单 {heating}")
        # the second ticket of the same caller: merged into the first (并单)
        await open_ticket({"1366": small}, again)
        await small.wait_for_selector(f"#similar tr[data-ticket='{heating}']")
        await state({"1366": small}, "02-backoffice-merge", "#similar")
        await small.click(f"#similar tr[data-ticket='{heating}'] button[data-action='merge']")
        await notice(small, "#message", f"已并入工单 {heating}")
        # the lamp (七里河区's) sent to 城关区 by mistake
        await open_ticket({"1366": small}, wrong)
        assert await small.input_value("#dispatch-unit") == "七里河区"
        await small.select_option("#dispatch-unit", "城关区")
        await small.click("form[data-action='dispatch'] button[value='dispatch']")
        await notice(small, "#message", f"已派单：工单 {wrong}")
        assert (await run("ticket.flow", {"ticket": again}))["step"] == "merged"

        inbox = await pages_of(browser, base, "/unit", "cg.user", cg["password"])
        unit = inbox["1366"]
        seen.append(unit)
        # the overdue one first, red; then by deadline
        for page in inbox.values():
            await page.wait_for_selector(f"#tickets tbody tr[data-ticket='{heating}']")
        listed = await rows(unit)
        assert listed[0] == late and set(listed) == {late, heating, wrong, longer}, listed
        first = unit.locator("#tickets tbody tr").first
        assert "超期" in (await first.text_content() or "")
        assert await first.locator(".light.red").count() == 1
        assert "城关区" in (await unit.text_content("#unit-name") or "")
        await open_ticket(inbox, heating)
        await state(inbox, "03-unit-inbox", "#tickets tbody tr", "#ticket-head", "#acts")

        # 签收, 答复
        await unit.click("form[data-action='sign'] button")
        await notice(unit, "#message", f"已签收工单 {heating}")
        await unit.wait_for_selector("form[data-action='reply']")
        await unit.fill("#reply-text", "已联系热力公司上门检修，暖气已恢复，已电话告知来电人。")
        await unit.click("form[data-action='reply'] button[type=submit]")
        await notice(unit, "#message", f"已答复工单 {heating}")
        await notice(unit, "#act-state", "等待12345中心审核")

        # 退单: a reason is required, said beside the action
        await open_ticket({"1366": unit}, wrong)
        await unit.click("form[data-action='return'] button[type=submit]")
        await notice(unit, "form[data-action='return'] .error", "请填写退单理由")
        await check_words(unit, "a return without its reason")
        await unit.fill("#return-reason", "西津路属七里河区辖区，不属本单位职责，请改派七里河区。")
        await unit.click("form[data-action='return'] button[type=submit]")
        await notice(unit, "#message", f"已退单：工单 {wrong}")

        # 签收 and 申请延期; someone else acted first: said, and the ticket reloaded
        await open_ticket({"1366": unit}, longer)
        await unit.evaluate("flowPage.stream.close()")  # the page hears nothing now
        await run("ticket.sign", {"ticket": longer})
        await unit.click("form[data-action='sign'] button")
        await notice(unit, "#act-notice", "已被他人处理，已刷新")
        await unit.wait_for_selector("form[data-action='extend']")
        await state({"1366": unit}, "04-unit-conflict", "#act-notice")
        await unit.fill("#extend-days", "3")
        await unit.fill("#extend-reason", "需协调城管和交通部门现场核查收费标准。")
        await unit.click("form[data-action='extend'] button[type=submit]")
        await notice(unit, "#message", "已申请延期")

        # the back office: 待审核 → 办结 (the merged ticket with it)
        await tab(office, "replied", heating)
        await open_ticket(office, heating)
        assert "暖气已恢复" in (await small.text_content("#act-quotes") or "")
        await state(office, "05-backoffice-review", "#tickets tbody tr", "#acts")
        await small.click("form[data-action='review'] button[value='accept']")
        await notice(small, "#message", f"工单 {heating} 审核通过，已办结")
        assert (await run("ticket.flow", {"ticket": again}))["step"] == "closed"
        # 退单待审 → 改派
        await tab({"1366": small}, "returned", wrong)
        await open_ticket({"1366": small}, wrong)
        assert "七里河区" in (await small.text_content("#act-quotes") or "")
        await small.select_option("#redispatch-unit", "七里河区")
        await small.click("form[data-action='redispatch'] button[type=submit]")
        await notice(small, "#message", f"已改派：工单 {wrong} 派至")
        # 延期申请 → 同意
        await tab({"1366": small}, "asked", longer)
        await open_ticket({"1366": small}, longer)
        await state({"1366": small}, "06-backoffice-extension", "#acts")
        await small.click("form[data-action='extension'] button[value='approve']")
        await notice(small, "#message", f"已同意工单 {longer} 延期")
        # 督办: the overdue ticket
        await tab(office, "supervised", late)
        assert await rows(small) == [late]
        await state(office, "07-backoffice-supervised", "#tickets tbody tr")
        # 待评价 → 满意
        await tab({"1366": small}, "unrated", heating)
        assert again not in await rows(small)  # merged: rated with the ticket it joined
        await open_ticket({"1366": small}, heating)
        await small.click("form[data-action='rate'] button[value='满意']")
        await notice(small, "#message", "满意")
        flow = await run("ticket.flow", {"ticket": heating})
        assert (flow["step"], flow["rating"]) == ("closed", "满意")
        assert (await run("ticket.flow", {"ticket": wrong}))["unit"] == "七里河区"
        assert (await run("ticket.flow", {"ticket": longer}))["extensions"] == 1

        # the timeline on its own page, for the unit's user
        await unit.goto(f"/loop/ticket?id={heating}")
        await unit.wait_for_selector("#timeline tbody tr")
        lines = await unit.eval_on_selector_all("#timeline tbody tr", "rs => rs.map(r => "
                                                "r.children[2].textContent)")
        assert lines == ["受理", "派单", "签收", "答复", "审核通过", "评价"], lines
        text = await unit.text_content("#timeline") or ""
        assert "zhao.lei" in text and "cg.user" in text and "待签收 → 办理中" in text
        await state({"1366": unit}, "08-timeline", "#timeline")
    except BaseException:
        for number, page in enumerate(seen):
            await shot(page, FOLDER, f"99-failed-{number}")
        raise


async def test_another_units_user_sees_none_of_it(lab: Lab, engine: Engine,
                                                  browser: Browser) -> None:
    run = engine.commands.run
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    qlh = await fresh(engine, "qlh.user", "unit", unit="七里河区")
    heating = (await run("ticket.new", {"channel": "web", "text": HEATING}))["ticket"]
    lamp = (await run("ticket.new", {"channel": "web", "text": LAMP}))["ticket"]
    await run("ticket.dispatch", {"ticket": heating, "unit": "城关区"})
    await run("ticket.dispatch", {"ticket": lamp, "unit": "七里河区"})
    async with aiohttp.ClientSession(base_url=base, headers={
            "Authorization": f"Bearer {qlh['token']}"}) as http:
        for path in (f"/api/loop/tickets/{heating}/content",
                     f"/api/loop/tickets/{heating}/timeline", f"/api/loop/tickets/{heating}"):
            async with http.get(path) as reply:
                answer: dict[str, Any] = await reply.json()
                assert reply.status == 403, (path, answer)
                assert HEATING[:6] not in str(answer)
        async with http.get(f"/api/loop/tickets/{lamp}/content") as reply:
            assert reply.status == 200 and "西津路" in (await reply.json())["card"]["words"]
    page = (await pages_of(browser, base, "/unit", "qlh.user", qlh["password"],
                           ("1366",)))["1366"]
    await page.wait_for_selector(f"#tickets tbody tr[data-ticket='{lamp}']")
    assert heating not in await rows(page)
    await page.goto(f"/loop/ticket?id={heating}")
    await notice(page, "#pick", "不是本单位承办或协办的工单")
    await check_words(page, "another unit's ticket")
    await shot(page, FOLDER, "09-another-units-ticket")
    # on another's page, sent to their own
    for path in ("/", "/backoffice", "/wallboard", "/admin"):
        await page.goto(path)
        await page.wait_for_url("**/unit")
    agent = await fresh(engine, "wang.fang", "agent", "1001")
    other = await (await browser.new_context(base_url=base, locale="zh-CN",
                                             viewport=SIZES["1366"])).new_page()
    await sign_in(other, "/unit", "wang.fang", agent["password"])
    await other.wait_for_url("**/backoffice")
    await other.wait_for_selector("#page", state="visible")
    await check_words(other, "an agent at the back office")


async def test_an_admin_adds_a_units_user(lab: Lab, engine: Engine, browser: Browser) -> None:
    chen = await fresh(engine, "chen.admin", "admin")
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    page = await (await browser.new_context(base_url=base, locale="zh-CN",
                                            viewport=SIZES["1366"])).new_page()
    await sign_in(page, "/admin", "chen.admin", chen["password"])
    await page.wait_for_selector("#admin", state="visible")
    assert "承办单位" in await page.locator("#add-role option").all_text_contents()
    await page.select_option("#add-role", "unit")
    await page.wait_for_selector("#add-unit option[value='城关区']", state="attached")
    assert await page.is_visible("#add-unit-label")
    assert not await page.is_visible("#add-agent-label")
    await page.fill("#add-name", "gl.user")
    await page.select_option("#add-unit", "城关区")
    await check_words(page, "a unit's user to add")
    await shot(page, FOLDER, "10-admin-adds-a-units-user")
    await page.click("#add-form button[type=submit]")
    await page.wait_for_selector("#message.ok, #once[open]")
    if await page.is_visible("#once"):  # a server without approvals: at once
        password = await page.text_content("#once-password") or ""
    else:  # root approves on the server
        (asked,) = [r for r in await engine.commands.run("user.requests", {})
                    if r["name"] == "gl.user"]
        made = await engine.commands.run("user.approve", {"request": asked["id"]})
        assert (made["role"], made["unit"]) == ("unit", "城关区")
        password = made["password"]
    users = {u["name"]: u for u in await engine.commands.run("user.list", {})}
    assert (users["gl.user"]["role"], users["gl.user"]["unit"]) == ("unit", "城关区")
    await sign_in(page, "/unit", "gl.user", password)
    await notice(page, "#unit-name", "兰州市城关区")
