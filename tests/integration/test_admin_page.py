"""The admin page (系统管理, /admin, #22) in Debian's Chromium against the real engine, at
1366×768 and 1920×1080: an admin signs in; users are listed (account names as typed, agents
with their names), one is added and another's password reset — the credentials shown once,
or, where the users API asks for a second admin's approval (issue #21), a request that
another admin approves; a user is revoked; the audit trail is filtered (who, what, result,
since) and paged; the configuration is reloaded and the status shown. A supervisor is
refused the page, an admin is sent away from the wallboard. At every state: no English word
(account names and commands are <code>), no internal id, the tables inside the viewport, no
page scrolling. Screenshots: var/test-artifacts/admin/.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright

from callcenter.app import Engine
from callcenter.errors import UserError
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

FOLDER = ARTIFACTS / "admin"
AUDIT_PAGE = 50  # admin.js: rows per page


async def fresh(engine: Engine, name: str, role: str, agent: str = "") -> dict[str, Any]:
    given = {"name": name, "role": role, **({"agent": agent} if agent else {})}
    try:
        return dict(await engine.commands.run("user.add", given))
    except UserError:  # an earlier test of the session made them
        return dict(await engine.commands.run("user.reset", {"name": name}))


async def sign_in(page: Page, path: str, name: str, password: str) -> None:
    await page.goto(path)
    await page.fill("#user", name)
    await page.fill("#password", password)
    await page.click("#signin-form button")


async def state(pages: dict[str, Page], name: str, *panels: str) -> None:
    for size, page in pages.items():
        await check_words(page, f"{name} ({size})")
        await no_scrolling(page)
        for panel in ("#tabs", *panels):
            await inside(page, panel)
        await shot(page, FOLDER, f"{name}-{size}")


async def signs_in(base: str, name: str, password: str) -> bool:
    async with aiohttp.ClientSession(base_url=base) as http, http.post(
            "/api/login", json={"user": name, "password": password}) as reply:
        return reply.status == 200


async def approvals(base: str, token: str) -> bool:
    """Whether the users API asks for a second admin's approval (issue #21)."""
    async with aiohttp.ClientSession(base_url=base, headers={
            "Authorization": f"Bearer {token}"}) as http, http.get("/api/users/requests") as r:
        return r.status == 200


@pytest.fixture
async def browser() -> Any:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                    args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def admin_pages(browser: Browser, base: str, name: str,
                      password: str) -> dict[str, Page]:
    pages = {}
    for size in ("1366", "1920"):
        context = await browser.new_context(base_url=base, locale="zh-CN",
                                            viewport=SIZES[size])
        pages[size] = await context.new_page()
        await sign_in(pages[size], "/admin", name, password)
        await pages[size].wait_for_selector("#admin", state="visible")
        await pages[size].wait_for_selector("#user-table tbody tr")
    return pages


async def test_an_admin_manages_users_reads_the_audit_trail_and_reloads(
        lab: Lab, engine: Engine, browser: Browser) -> None:
    chen = await fresh(engine, "chen.admin", "admin")
    await fresh(engine, "li.ming", "agent", "1001")
    zhao = await fresh(engine, "zhao.lei", "supervisor")
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    second_admin = await approvals(base, chen["token"])
    pages = await admin_pages(browser, base, "chen.admin", chen["password"])
    small = pages["1366"]
    try:
        # the users: account names as typed, an agent with their name
        row = small.locator("#user-table tr[data-user='li.ming']")
        assert "1001 · 王芳" in (await row.text_content() or "")
        assert "话务员" in (await row.text_content() or "")
        admins = [u for u in await engine.commands.run("user.list", {})
                  if u["role"] == "admin" and not u["revoked_at"]]
        assert await small.is_visible("#one-admin") == (len(admins) == 1)
        await state(pages, "01-users", "#add-form", "#user-table tbody tr")

        # a new agent user for 1002
        await small.fill("#add-name", "wang.qiang")
        await small.select_option("#add-role", "agent")
        await small.fill("#add-agent", "1002")
        await check_words(small, "the add form filled")
        await small.click("#add-form button[type=submit]")
        if second_admin:
            await small.wait_for_selector("#message.ok", state="visible")
            assert "python run.py user approve" in (await small.text_content("#message") or "")
        else:  # the credentials at once, shown once
            await small.wait_for_selector("#once", state="visible")
            password = await small.text_content("#once-password") or ""
            assert len(password) >= 12
            await state({"1366": small}, "02-shown-once")
            await small.click("#once-close")
            assert await signs_in(base, "wang.qiang", password)
            await small.wait_for_selector("#user-table tr[data-user='wang.qiang']")

        # li.ming's password reset
        await small.click("#user-table tr[data-user='li.ming'] button[data-action='reset']")
        await small.wait_for_selector("#confirm", state="visible")
        await check_words(small, "the reset confirmation")
        await small.click("#confirm-ok")
        if not second_admin:
            await small.wait_for_selector("#once", state="visible")
            password = await small.text_content("#once-password") or ""
            await small.click("#once-close")
            assert await signs_in(base, "li.ming", password)
            assert not await signs_in(base, "li.ming", "the old one")

        # zhao.lei revoked: signs in no more
        await small.click("#user-table tr[data-user='zhao.lei'] button[data-action='revoke']")
        await small.click("#confirm-ok")
        await small.wait_for_function(
            "() => document.querySelector(\"#user-table tr[data-user='zhao.lei']\")"
            ".textContent.includes('已停用')")
        assert not await signs_in(base, "zhao.lei", zhao["password"])
        await small.wait_for_selector("#message", state="hidden", timeout=8_000)  # goes away
        await state(pages, "03-revoked", "#user-table tbody tr")

        # the audit trail: the newest first, filtered, paged
        for page in pages.values():
            await page.click("#tabs button[data-tab='audit']")
            await page.wait_for_selector("#audit-table tbody tr")
        first = await small.text_content("#audit-table tbody tr:first-child") or ""
        # the latest: zhao.lei, revoked, refused at sign-in
        assert "zhao.lei" in first and "登录" in first and "被拒绝（CC1300）" in first
        await state(pages, "04-audit", "#audit-form", "#audit-table tbody tr", ".pager")
        await small.select_option("#audit-action", "user.revoke")
        await small.select_option("#audit-result", "ok")
        await small.click("#audit-form button[type=submit]")
        await small.wait_for_function(
            "() => [...document.querySelectorAll('#audit-table tbody tr')].length > 0 && "
            "[...document.querySelectorAll('#audit-table tbody tr')].every("
            "r => r.children[5].textContent === '停用用户' && "
            "r.children[7].textContent === '成功')")
        revoked = await small.text_content("#audit-table tbody tr:first-child") or ""
        assert "用户 zhao.lei" in revoked and "chen.admin" in revoked
        await small.select_option("#audit-action", "")
        await small.select_option("#audit-result", "refused")
        await small.fill("#audit-user", "")
        await small.click("#audit-form button[type=submit]")
        await small.wait_for_function(
            "() => [...document.querySelectorAll('#audit-table tbody tr')].length > 0 && "
            "[...document.querySelectorAll('#audit-table tbody tr')].every("
            "r => r.children[7].textContent.startsWith('被拒绝'))")
        results = await small.locator("#audit-table tbody tr td:nth-child(8)").all_text_contents()
        assert results and all(r.startswith("被拒绝（CC") for r in results), results
        await state({"1366": small}, "05-audit-refused", "#audit-table tbody tr")
        for _ in range(AUDIT_PAGE + 2):  # more than a page of rows (each sign-in is one)
            assert await signs_in(base, "chen.admin", chen["password"])
        await small.select_option("#audit-result", "")
        await small.fill("#audit-since", "2000-01-01 00:00")
        await small.click("#audit-form button[type=submit]")
        await small.wait_for_function("() => document.querySelectorAll('#audit-table tbody tr')"
                                      f".length === {AUDIT_PAGE}")
        await small.wait_for_selector("#audit-older:enabled")
        top = await small.get_attribute("#audit-table tbody tr:last-child", "data-id")
        await small.click("#audit-older")  # page 2: the rows before those
        await small.wait_for_function("() => document.getElementById('audit-page')"
                                      ".textContent.startsWith('第 2 页')")
        second = await small.get_attribute("#audit-table tbody tr:first-child", "data-id")
        assert int(second or 0) < int(top or 0)
        assert await small.is_enabled("#audit-newer")
        await state({"1366": small}, "05b-audit-page-2", "#audit-table tbody tr", ".pager")

        # the status, and a reload
        for page in pages.values():
            await page.click("#tabs button[data-tab='system']")
            await page.wait_for_selector("#status dd")
        status = await small.text_content("#status") or ""
        assert "运行中" in status and "已连接" in status
        await small.click("#reload")
        await small.wait_for_function("() => document.getElementById('message')"
                                      ".textContent.includes('配置已重新加载')")
        await state(pages, "06-system", "#status", "#reload")

        # the requests a second admin would approve
        await small.click("#tabs button[data-tab='requests']")
        if not second_admin:
            await small.wait_for_selector("#no-requests", state="visible")
        await state({"1366": small}, "07-requests")
    except BaseException:
        for size, page in pages.items():
            await shot(page, FOLDER, f"99-failed-{size}")
        raise


async def test_the_page_is_the_admins(lab: Lab, engine: Engine, browser: Browser) -> None:
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    supervisor = await fresh(engine, "sun.li", "supervisor")
    chen = await fresh(engine, "chen.admin", "admin")
    page = await (await browser.new_context(base_url=base, locale="zh-CN",
                                            viewport=SIZES["1366"])).new_page()
    await sign_in(page, "/admin", "sun.li", supervisor["password"])
    await page.wait_for_function("() => document.getElementById('signin-error')"
                                 ".textContent.includes('仅供管理员')")
    assert not await page.is_visible("#admin")
    await check_words(page, "a supervisor refused")
    await shot(page, FOLDER, "08-supervisor-refused")
    await sign_in(page, "/admin", "sun.li", "wrong password")
    await page.wait_for_function("() => document.getElementById('signin-error')"
                                 ".textContent.includes('用户名或密码不正确')")
    other = await (await browser.new_context(base_url=base, locale="zh-CN",
                                             viewport=SIZES["1366"])).new_page()
    await sign_in(other, "/wallboard", "chen.admin", chen["password"])
    await other.wait_for_function("() => document.getElementById('signin-error')"
                                  ".textContent.includes('请改用系统管理页面')")
    await check_words(other, "an admin at the wallboard")


async def test_an_admin_asks_and_only_the_server_approves(
        lab: Lab, engine: Engine, browser: Browser) -> None:
    """The users API of issue #21: an admin only asks; no admin approves on the page (none
    is ever shown another's password); root approves on the server, where it is printed;
    another admin may refuse a request."""
    chen = await fresh(engine, "chen.admin", "admin")
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    liu = await fresh(engine, "liu.admin", "admin")
    first = (await admin_pages(browser, base, "chen.admin", chen["password"]))["1366"]
    second = (await admin_pages(browser, base, "liu.admin", liu["password"]))["1920"]
    await first.fill("#add-name", "zhou.new")
    await first.select_option("#add-role", "supervisor")
    await first.click("#add-form button[type=submit]")
    await first.wait_for_selector("#message.ok", state="visible")
    assert "python run.py user approve" in (await first.text_content("#message") or "")
    await first.click("#tabs button[data-tab='requests']")
    mine = first.locator("#request-table tr", has_text="zhou.new")
    await mine.wait_for()
    await check_words(first, "my own request")
    await shot(first, FOLDER, "09-own-request")
    await second.click("#tabs button[data-tab='requests']")
    theirs = second.locator("#request-table tr", has_text="zhou.new")
    await theirs.wait_for()
    assert not await theirs.locator("button[data-action='approve']").count()
    assert "python run.py user approve" in (await theirs.text_content() or "")
    await check_words(second, "another admin's request")
    await shot(second, FOLDER, "10-waiting-for-the-server")
    request_id = await theirs.get_attribute("data-request")
    made = await engine.commands.run("user.approve", {"request": request_id})  # root
    assert await signs_in(base, "zhou.new", made["password"])
    await first.click("#tabs button[data-tab='users']")
    await first.fill("#add-name", "zhou.two")
    await first.select_option("#add-role", "agent")
    await first.fill("#add-agent", "1002")
    await first.click("#add-form button[type=submit]")
    await first.wait_for_selector("#message.ok", state="visible")
    await second.click("#tabs button[data-tab='users']")
    await second.click("#tabs button[data-tab='requests']")
    await second.locator("#request-table tr", has_text="zhou.two").locator(
        "button[data-action='refuse']").click()
    await second.wait_for_selector("#message.ok", state="visible")
    waiting = await engine.commands.run("user.requests", {})
    assert "zhou.two" not in [r["name"] for r in waiting]
