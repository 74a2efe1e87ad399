"""The browser softphone, for real: headless Chromium (Debian's) opens the engine's
/phone-check page as a signed-in agent, registers JsSIP through the engine's /sip WebSocket,
is logged in to the queues with device "webrtc", answers a sipp caller's call, hears the
caller (inbound RTP with speech levels) and is heard (the agent's forked audio and the
ticket's transcript). Nobody else can register as that agent through /sip.
Screenshots: var/test-artifacts/webrtc/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Page, async_playwright

from callcenter.app import Engine
from callcenter.asr.pool import AsrPool
from callcenter.audio import read_pcm
from callcenter.paths import PROJECT_ROOT
from callcenter.tickets.desk import TicketDesk
from lab.sipp import CallSpec, place_calls
from tests.integration.browser import (
    CHROMIUM,
    SILENCE_LEVEL,
    Voices,
    chromium_args,
    engine_hearing_agents,
    rms,
    voices,
)
from tests.integration.conftest import Lab
from tests.integration.desk_pages import language_problems

ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts" / "webrtc"
__all__ = ["engine_hearing_agents", "voices"]  # fixtures


async def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def _page_state(page: Page) -> dict[str, Any]:
    # (functions, not expressions: the page's Content Security Policy allows no eval)
    state: dict[str, Any] = await page.evaluate(
        "() => ({registered: phoneCheck.registered, call: phoneCheck.call, "
        "inbound: phoneCheck.inbound, outbound: phoneCheck.outbound})")
    return state


async def _add_user(engine: Engine, name: str, role: str, agent: str = "") -> str:
    made = await engine.commands.run("user.add", {"name": name, "role": role, "agent": agent})
    return str(made["password"])


async def test_the_browser_softphone_registers_answers_hears_and_is_heard(
        engine_hearing_agents: tuple[Lab, Engine], voices: Voices) -> None:
    lab, engine = engine_hearing_agents
    await lab.wait_for("the recognizer pool", lambda: engine.part(AsrPool).unavailable is None,
                       timeout=60)
    password = await _add_user(engine, "webrtc.li", "agent", "1001")
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=chromium_args(voices.agent_wav))
        try:
            page = await (await browser.new_context(base_url=base,
                                                    locale="zh-CN")).new_page()
            await page.goto("/phone-check")
            await page.wait_for_function(
                "() => document.getElementById('signin').textContent.includes('未登录')")
            await _shot(page, "01-not-signed-in")
            status = await page.evaluate(
                """async ([user, password]) => (await fetch('/api/login', {method: 'POST',
                    headers: {'Content-Type': 'application/json'},
                    body: JSON.stringify({user, password})})).status""",
                ["webrtc.li", password])
            assert status == 200
            await page.reload()
            await page.wait_for_function("() => phoneCheck.registered", timeout=15_000)
            await _shot(page, "02-registered")
            assert "工号 1001" in await page.text_content("#signin")
            # what the agent reads here is Chinese, with no internal id (no SIP URI)
            assert await language_problems(page) == []
            contacts = lab.asterisk.cli("pjsip show contacts")
            assert "agent-1001-web/" in contacts, contacts
            assert await engine.agent_desk.registered("1001", device="webrtc")
            await engine.commands.run("agent.login", {"agent": "1001", "device": "webrtc"})

            caller = asyncio.create_task(place_calls(
                [CallSpec("12345", "13755550101")], audio=voices.caller_pcap,
                hold_ms=60_000, local_port=5083, media_port=17400))
            await page.wait_for_function("() => phoneCheck.call === 'ringing'", timeout=60_000)
            await _shot(page, "03-ringing")
            await page.click("#answer")
            await page.wait_for_function("() => phoneCheck.call === 'talking'", timeout=10_000)
            # the caller's words (after the lead-in) and the agent's whole sentence
            await page.wait_for_function(
                f"() => phoneCheck.inbound.maxAudioLevel > {SILENCE_LEVEL * 5}",
                timeout=30_000)
            await asyncio.sleep(6)
            await _shot(page, "04-talking")
            assert await language_problems(page) == []
            talked = await _page_state(page)
            await page.click("#hangup")
            await page.wait_for_function("() => phoneCheck.call === 'ended'", timeout=10_000)
            await _shot(page, "05-ended")
            result = await asyncio.wait_for(caller, 30)
            assert result.successful == 1, result.output
        finally:
            await engine.commands.run("agent.logout", {"agent": "1001"})
            await browser.close()

    # to the browser: RTP with the caller's speech in it
    inbound = talked["inbound"]
    assert inbound["packetsReceived"] > 100, talked
    assert inbound["maxAudioLevel"] > SILENCE_LEVEL * 5, talked
    assert talked["outbound"]["packetsSent"] > 100, talked
    assert talked["outbound"]["maxMicrophoneLevel"] > SILENCE_LEVEL * 5, talked
    # from the browser: what Asterisk got from the agent's channel is speech, about as loud
    # as the microphone's (Chromium's audio processing and the codecs change it a little)
    call_id = await lab.call_id("13755550101")
    (answered,) = await lab.wait_for("queue.answered", lambda: lab.events(
        "queue.answered", call_id=call_id))
    assert answered["agent"] == "1001"
    kept = Path(lab.config.engine.lab.keep_forked_audio) / f"{call_id}-agent.wav"
    await lab.wait_for("the agent's forked audio", kept.exists)
    heard = rms(read_pcm(kept))
    assert heard > voices.agent_rms / 4, (heard, voices.agent_rms)
    (created,) = await lab.wait_for("ticket.created", lambda: lab.events(
        "ticket.created", call_id=call_id))
    await lab.wait_for("ticket.closed", lambda: lab.events("ticket.closed", call_id=call_id))
    assert engine.part(TicketDesk).tickets is not None
    ticket = await engine.part(TicketDesk).tickets.get(created["ticket"])
    speakers = {u["speaker"] for u in ticket["transcript"]}
    assert {"caller", "agent"} <= speakers, ticket["transcript"]
    print(f"\nbrowser heard: {inbound['packetsReceived']} packets, max audioLevel "
          f"{inbound['maxAudioLevel']:.3f}; Asterisk heard the browser: RMS {heard:.3f} "
          f"(microphone file {voices.agent_rms:.3f}); sent {talked['outbound']['packetsSent']} "
          f"packets, max microphone level {talked['outbound']['maxMicrophoneLevel']:.3f}")


async def _session(base: str, user: str, password: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    reply = await session.post("/api/login", json={"user": user, "password": password})
    assert reply.status == 200, await reply.text()
    return session


def _register(user: str) -> str:
    return (f"REGISTER sip:127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/WS x.invalid;branch=z9hG4bK{user}\r\n"
            f"Max-Forwards: 69\r\nFrom: <sip:{user}@127.0.0.1>;tag=t1\r\n"
            f"To: <sip:{user}@127.0.0.1>\r\nCall-ID: {user}-1\r\nCSeq: 1 REGISTER\r\n"
            f"Contact: <sip:x@x.invalid;transport=ws>;expires=60\r\nExpires: 60\r\n"
            f"Content-Length: 0\r\n\r\n")


async def test_nobody_else_registers_as_the_agent(lab: Lab, engine: Engine) -> None:
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    admin = await _session(base, "webrtc.chen", await _add_user(engine, "webrtc.chen",
                                                                "admin"))
    other = await _session(base, "webrtc.wang", await _add_user(engine, "webrtc.wang",
                                                                "agent", "1002"))
    try:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await admin.ws_connect("/sip", protocols=("sip",))
        assert refused.value.status == 403
        async with other.ws_connect("/sip", protocols=("sip",)) as ws:
            # their own endpoint: relayed to the real Asterisk, which asks for the password
            await ws.send_str(_register("agent-1002-web"))
            challenge = await asyncio.wait_for(ws.receive_str(), 5)
            assert challenge.startswith("SIP/2.0 401"), challenge
            # agent 1001's: refused by the engine, the socket closed
            await ws.send_str(_register("agent-1001-web"))
            closing = await asyncio.wait_for(ws.receive(), 5)
            assert closing.type is aiohttp.WSMsgType.CLOSE
            assert closing.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    finally:
        await admin.close()
        await other.close()
