"""A reload never silently takes the agent off the phone (issue #22): in Debian's Chromium,
an agent signed in with the browser softphone reloads the page mid-shift — the page
registers the softphone again within seconds (before the lab's 3 s offline sign-out), shows
就绪 only once it is, and a real sipp caller rings in the page, not at the callback prompt.
When the softphone cannot register, the page says so in a banner, the engine's row says
"phone": "offline", the agent is not counted available nor offered the call, and the engine's
sign-out after the offline grace period is explained. Screenshots at 1366×768 and 1920×1080:
var/test-artifacts/desktop-shift/."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Page, WebSocketRoute, async_playwright

from callcenter.app import Engine
from callcenter.calllog.privacy import mask_number
from lab.sipp import CallSpec, SippResult, place_calls
from tests.integration.browser import CHROMIUM, Voices, chromium_args, voices
from tests.integration.conftest import UNREACHABLE_LOGOUT_S, Lab
from tests.integration.desk_pages import sign_in, state, text_of, tidy, wait_text

__all__ = ["voices"]  # fixtures
CALLER = "13755550303"
OFFLINE_CALLER = "13755550304"


def call_from(caller: str, voices: Voices, port: int,
              hold_ms: int = 20_000) -> asyncio.Task[SippResult]:
    return asyncio.create_task(place_calls([CallSpec("12345", caller)],
                                           audio=voices.caller_pcap, hold_ms=hold_ms,
                                           local_port=port, media_port=port * 4))


def row(engine: Engine, agent: str = "1001") -> dict[str, Any]:
    return engine.agent_desk.describe(agent)


def q12345(engine: Engine) -> dict[str, Any]:
    status = engine.snapshot()
    return next(q for q in status["queues"] if q["queue"] == "q12345")


async def ready_with_browser_phone(page: Page) -> None:
    await page.select_option("#device", "webrtc")
    await page.click("#login")
    await page.wait_for_function(
        "() => document.getElementById('state').textContent === '就绪'", timeout=20_000)


async def ready_in_q12345(engine: Engine) -> None:
    """The agent's phone online and, once Asterisk has said so (its member status comes a
    moment after the login the page shows), one agent available in q12345."""
    for _ in range(50):
        if row(engine)["phone"] == "online" and q12345(engine)["available"] == 1:
            return
        await asyncio.sleep(0.1)
    assert (row(engine)["phone"], q12345(engine)["available"]) == ("online", 1)


async def test_a_reload_registers_the_softphone_again_and_calls_still_ring(
        lab: Lab, engine: Engine, voices: Voices) -> None:
    made = await engine.commands.run("user.add", {"name": "reload.li", "role": "agent",
                                                  "agent": "1001"})
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    call = None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=chromium_args(voices.agent_wav))
        try:
            context = await browser.new_context(base_url=base, locale="zh-CN",
                                                permissions=["notifications"])
            page = await sign_in(context, "reload.li", made["password"])
            await ready_with_browser_phone(page)
            await ready_in_q12345(engine)
            await state(page, "reload-01-ready", panels=["#call", "#ticket-form"])

            # F5 mid-shift: the browser's socket closes, Asterisk drops the contact
            loop = asyncio.get_running_loop()
            reloaded_at = loop.time()
            await page.reload()
            await page.wait_for_selector("#desk", state="visible")
            await lab.wait_for("the softphone registered again",
                               lambda: engine.agent_desk.board.status("1001").phone == "online"
                               and lab.events("agent.phone", agent="1001", phone="offline"),
                               timeout=UNREACHABLE_LOGOUT_S)
            took = loop.time() - reloaded_at
            await wait_text(page, "#phone-state", "软电话已注册", 5_000)
            assert await text_of(page, "#state") == "就绪"
            assert await page.is_hidden("#phone-banner")
            # the engine saw it go and come back, and did not sign the agent out
            phones = [r["phone"] for r in lab.events("agent.phone", agent="1001")]
            assert phones[-2:] == ["offline", "online"], phones
            assert row(engine)["state"] == "available"
            assert not lab.events("agent.auto_logout", agent="1001")
            await state(page, "reload-02-restored")

            # a real caller rings in the reloaded page, not at the callback prompt
            call = call_from(CALLER, voices, 5087)
            await wait_text(page, "#call-card", "振铃中", 30_000)
            assert await page.evaluate("() => deskRing.playing")
            assert await page.evaluate("() => document.title.includes('来电振铃') || "
                                       "deskRing.notified.length > 0")
            assert await page.evaluate("() => deskRing.notified.length") == 1
            await state(page, "reload-03-ringing", panels=["#call", "#answer"])
            await page.keyboard.press("Alt+a")
            await page.wait_for_function(
                "() => document.getElementById('state').textContent === '通话中'",
                timeout=10_000)
            assert not await page.evaluate("() => deskRing.playing")
            await page.click("#hangup")
            await asyncio.wait_for(call, 30)
        except BaseException:
            for open_page in context.pages:
                await open_page.screenshot(path=f"/tmp/reload-failed-{id(open_page)}.png")
            raise
        finally:
            if call is not None and not call.done():
                call.cancel()
            await browser.close()
            await tidy(engine)
    masked = mask_number(CALLER)
    assert not lab.events("callback.requested", caller=masked)
    assert lab.events("queue.answered", agent="1001")
    print(f"registered again {took:.2f} s after the reload")


async def test_an_offline_softphone_is_shown_and_offered_no_call(
        lab: Lab, engine: Engine, voices: Voices) -> None:
    made = await engine.commands.run("user.add", {"name": "offline.li", "role": "agent",
                                                  "agent": "1001"})
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    call = None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=chromium_args(voices.agent_wav))
        try:
            context = await browser.new_context(base_url=base, locale="zh-CN")
            page = await sign_in(context, "offline.li", made["password"])
            await ready_with_browser_phone(page)

            # the network between the page and the engine's /sip fails: every new socket
            # is closed at once (the reload's re-registration cannot get through)
            async def refuse(socket: WebSocketRoute) -> None:
                await socket.close(code=1011, reason="network down")

            await context.route_web_socket("**/sip", refuse)
            await page.reload()
            await page.wait_for_selector("#phone-banner", state="visible", timeout=10_000)
            banner = await text_of(page, "#phone-banner")
            assert "软电话未连接" in banner and "不会为您分配来电" in banner
            assert await text_of(page, "#state") == "软电话离线"
            assert await page.is_disabled("#ready")
            assert row(engine)["phone"] == "offline"
            assert q12345(engine)["available"] == 0  # not counted as taking calls
            await state(page, "offline-01-banner", panels=["#phone-banner", "#phone-retry"])

            # a caller now: not offered to the agent whose phone is offline (Asterisk rings
            # no unregistered member); with nobody else, the callback prompt — while the
            # agent's row says offline, never available
            rung = len(lab.events("agent.state", agent="1001", to="ringing"))
            call = call_from(OFFLINE_CALLER, voices, 5088, hold_ms=8_000)
            await lab.wait_for("the callback request", lambda: lab.events(
                "callback.requested", caller=mask_number(OFFLINE_CALLER)), timeout=30)
            assert len(lab.events("agent.state", agent="1001", to="ringing")) == rung
            # the lab signs an agent out 3 s after their phone went: the page says why
            await page.wait_for_function(
                "() => document.getElementById('message').textContent.includes('已将您签出')",
                timeout=15_000)
            assert await page.get_attribute("#message", "class") == "message warning"
            assert await text_of(page, "#state") == "未签入"
            assert await page.is_hidden("#phone-banner")  # signed out: no call expected
            await state(page, "offline-02-signed-out-by-the-engine")
            await asyncio.wait_for(call, 30)

            # the network is back (a browser without the failing route): signed in again
            await context.close()
            context = await browser.new_context(base_url=base, locale="zh-CN")
            page = await sign_in(context, "offline.li", made["password"])
            await ready_with_browser_phone(page)
            assert row(engine)["phone"] == "online"
        except BaseException:
            for open_page in context.pages:
                await open_page.screenshot(path=f"/tmp/offline-failed-{id(open_page)}.png")
            raise
        finally:
            if call is not None and not call.done():
                call.cancel()
            await browser.close()
            await tidy(engine)


MIDCALL_CALLER = "13755550305"


async def test_a_call_cut_off_by_a_reload_goes_back_to_its_queue(
        lab: Lab, engine: Engine, voices: Voices) -> None:
    """A reload during a browser-softphone call leaves Asterisk's agent leg up with no
    sound (the caller alone, in silence, until they hang up): the page asks before it
    reloads, and after it says so and hands the caller back to the head of the queue —
    here to the same agent, whose reloaded page rings and answers again."""
    made = await engine.commands.run("user.add", {"name": "midcall.li", "role": "agent",
                                                  "agent": "1001"})
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    call = None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=chromium_args(voices.agent_wav))
        try:
            context = await browser.new_context(base_url=base, locale="zh-CN")
            page = await sign_in(context, "midcall.li", made["password"])
            asked: list[str] = []

            async def leave(dialog: Any) -> None:
                asked.append(dialog.type)
                await dialog.accept()

            page.on("dialog", leave)
            await ready_with_browser_phone(page)
            call = call_from(MIDCALL_CALLER, voices, 5089, hold_ms=60_000)
            await wait_text(page, "#call-card", "振铃中", 30_000)
            await page.keyboard.press("Alt+a")
            await page.wait_for_function(
                "() => document.getElementById('state').textContent === '通话中'",
                timeout=10_000)
            await page.reload()
            await page.wait_for_selector("#requeue", timeout=10_000)
            assert asked == ["beforeunload"]  # the page asked before it let go of the call
            assert "无法接回" in await text_of(page, "#call-card")
            assert row(engine)["state"] == "on_call"  # Asterisk keeps the silent leg
            await state(page, "midcall-01-cut-off", panels=["#requeue", "#ticket-form"])
            answered = len(lab.events("queue.answered", agent="1001"))
            await page.click("#requeue")
            await wait_text(page, "#call-card", "已转回队列")
            # the dead leg ends; after the wrap-up the caller rings this agent again
            await wait_text(page, "#call-card", "振铃中", 30_000)
            await page.click("#answer")
            await lab.wait_for("the caller answered again", lambda: len(
                lab.events("queue.answered", agent="1001")) == answered + 1, timeout=15)
            assert not call.done()  # the caller was never dropped
            await page.click("#hangup")
            await asyncio.wait_for(call, 30)
        except BaseException:
            for open_page in context.pages:
                await open_page.screenshot(path=f"/tmp/midcall-failed-{id(open_page)}.png")
            raise
        finally:
            if call is not None and not call.done():
                call.cancel()
            await browser.close()
            await tidy(engine)
    rows = [(r["action"], r["result"]) for r in await engine.audit.rows(limit=50)]  # type: ignore[union-attr]
    assert ("call.requeue", "ok") in rows
