"""The supervisor's console on the wallboard page, in Debian's Chromium (Playwright), on the
real Asterisk (#17).

Monitoring from the browser: a carrier call (a pyVoIP phone sending 600 Hz) answered by
agent 1001 (pyVoIP, 440 Hz); supervisor zhao.lei signs in at /wallboard, and the page's own
softphone (JsSIP through /sip, ``supervisor-zhao.lei-web``; Chromium's fake microphone plays
1000 Hz) is called into the call: in listen mode the page hears both tones (the page's
Web Audio analyser) and neither phone hears 1000 Hz; in whisper the agent does, the caller
does not; in barge both do; 结束监听 ends it and the audit trail has the session.

Control of the floor from the page: a forced pause with its reason (the agent's own desktop
page shows it), the agent's queues for the rest of the shift (Asterisk's memberships
follow), a waiting caller moved into another queue (and answered there once the agent is
resumed), a forced sign-out; an agent user is refused all of it; `run.py audit` lists it.
Screenshots: var/test-artifacts/supervisor/.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import subprocess
import sys
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright

from callcenter.app import Engine
from callcenter.config.loader import agent_endpoint
from callcenter.errors import UserError
from callcenter.paths import PROJECT_ROOT
from callcenter.supervision.desk import MonitorDesk
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone
from tests.integration.browser import CHROMIUM, chromium_args
from tests.integration.conftest import Lab, agent_softphone
from tests.integration.listening import (
    AGENT,
    AGENT_HZ,
    CALLER_ENDPOINT,
    CALLER_HZ,
    HEARD,
    NOT_HEARD,
    SUPERVISOR_HZ,
    call_of,
    call_the_agent,
    end_the_call,
    level,
    tone_phone,
)

ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts" / "supervisor"
SUPERVISOR = "zhao.lei"
SETTLE_S, WINDOW_S = 1.5, 3.0
OFF_HZ = 1500.0  # nobody sends it: the page's noise floor
CLEAR_DB = 20.0  # a tone heard by the page stands this far above the floor
WAITING_CALLER = "13755550404"


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def tone_wav(path: Path, hz: float) -> Path:
    """Chromium's fake microphone: 48 kHz mono 16-bit, a tone (it loops the file)."""
    rate = 48000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(
            int(16000 * math.sin(2 * math.pi * hz * i / rate)).to_bytes(2, "little", signed=True)
            for i in range(rate * 2)))
    return path


async def user(engine: Engine, name: str, role: str, agent: str = "") -> dict[str, Any]:
    """A user with a fresh password (an earlier test of the session may have made them)."""
    given = {"name": name, "role": role, **({"agent": agent} if agent else {})}
    try:
        return dict(await engine.commands.run("user.add", given))
    except UserError:  # there already
        return dict(await engine.commands.run("user.reset", {"name": name}))


async def sign_in(page: Page, path: str, name: str, password: str, shown: str) -> None:
    await page.goto(path)
    await page.fill("#user", name)
    await page.fill("#password", password)
    await page.click("#signin-form button")
    await page.wait_for_selector(shown, state="visible")


def agent_button(agent: str, action: str) -> str:
    return f"#agents tr[data-agent='{agent}'] button[data-action='{action}']"


def row_text(table: str, key: str, value: str, wanted: str) -> str:
    """A predicate (function form: the page's CSP allows no eval of a bare expression)."""
    return (f"() => (document.querySelector('#{table} tr[data-{key}=\"{value}\"]') "
            f"|| {{textContent: ''}}).textContent.includes('{wanted}')")


async def audit_listed(lab: Lab) -> list[dict[str, Any]]:
    """The audit trail as `run.py audit --json` prints it."""
    listed = await asyncio.to_thread(subprocess.run, [
        sys.executable, str(PROJECT_ROOT / "run.py"), "--config", str(lab.config.directory),
        "audit", "--json"], capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    microphone = tone_wav(tmp_path / "supervisor.wav", SUPERVISOR_HZ)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*chromium_args(microphone), "--autoplay-policy=no-user-gesture-required"])
        try:
            yield launched
        finally:
            await launched.close()


async def page_hears(page: Page) -> dict[str, float]:
    """How far above the floor (dB) the page hears each party's tone, over WINDOW_S."""
    samples: list[list[float]] = []
    deadline = time.monotonic() + WINDOW_S
    while time.monotonic() < deadline:
        got = await page.evaluate(
            f"() => window.monitorSpectrum([{CALLER_HZ}, {AGENT_HZ}, {OFF_HZ}])")
        if got is not None and all(math.isfinite(x) for x in got):
            samples.append(got)
        await asyncio.sleep(0.1)
    assert samples, "the page's analyser heard nothing at all"
    caller, agent, floor = (statistics.median(s[i] for s in samples) for i in range(3))
    return {"caller": caller - floor, "agent": agent - floor}


async def window(page: Page, caller: Softphone, agent: Softphone) -> dict[str, float]:
    """Over the next WINDOW_S: what the page hears, and the supervisor's tone at each phone."""
    await asyncio.sleep(SETTLE_S)
    since = time.time()
    heard = await page_hears(page)
    until = time.time()
    return {"page hears caller": heard["caller"], "page hears agent": heard["agent"],
            "caller hears supervisor": level(call_of(caller), SUPERVISOR_HZ, since, until),
            "agent hears supervisor": level(call_of(agent), SUPERVISOR_HZ, since, until)}


async def test_a_supervisor_listens_whispers_and_barges_from_the_browser(
        lab: Lab, engine: Engine, browser: Browser) -> None:
    caller = tone_phone(lab, CALLER_ENDPOINT, 5076, CALLER_HZ)
    agent = tone_phone(lab, agent_endpoint(AGENT), 5077, AGENT_HZ)
    for phone in (caller, agent):
        phone.start()
    zhao = await user(engine, SUPERVISOR, "supervisor")
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    context = await browser.new_context(base_url=base, locale="zh-CN",
                                        viewport={"width": 1600, "height": 1000})
    page = await context.new_page()
    call_id = ""
    try:
        call_id = await call_the_agent(lab, engine, caller, agent)
        await sign_in(page, "/wallboard", SUPERVISOR, zhao["password"], "#board")
        await page.wait_for_selector(agent_button(AGENT, "listen"), timeout=15_000)
        await page.select_option("#monitor-device", "webrtc")
        await page.click(agent_button(AGENT, "listen"))
        await page.wait_for_function(
            "() => document.getElementById('monitor-state').textContent.includes('进行中')",
            timeout=30_000)
        assert "注册" in (await page.text_content("#phone-state") or "")
        (session,) = engine.part(MonitorDesk).live.values()
        assert session.interface == f"PJSIP/supervisor-{SUPERVISOR}-web"
        assert session.call_id == call_id
        await page.wait_for_function(row_text("agents", "agent", AGENT, "监听"))
        await shot(page, "01-listening")

        listen = await window(page, caller, agent)
        assert listen["page hears caller"] > CLEAR_DB, listen
        assert listen["page hears agent"] > CLEAR_DB, listen
        assert listen["agent hears supervisor"] < NOT_HEARD, listen
        assert listen["caller hears supervisor"] < NOT_HEARD, listen

        await page.click("#mode-whisper")
        await page.wait_for_function(
            "() => document.getElementById('monitor-state').textContent.includes('耳语')")
        whisper = await window(page, caller, agent)
        assert whisper["agent hears supervisor"] > HEARD, whisper
        assert whisper["caller hears supervisor"] < NOT_HEARD, whisper
        assert whisper["page hears caller"] > CLEAR_DB, whisper
        await shot(page, "02-whisper")

        await page.click("#mode-barge")
        await page.wait_for_function(
            "() => document.getElementById('monitor-state').textContent.includes('强插')")
        barge = await window(page, caller, agent)
        assert barge["agent hears supervisor"] > HEARD, barge
        assert barge["caller hears supervisor"] > HEARD, barge
        print("heard (page: dB above the floor; phones: tone amplitude):",
              json.dumps({"listen": listen, "whisper": whisper, "barge": barge}))

        await page.click("#monitor-stop")
        await page.wait_for_function(
            "() => document.getElementById('monitor-state').textContent.includes('监听已结束')",
            timeout=15_000)
        assert not engine.part(MonitorDesk).live
        assert engine.tracker.calls[call_id].agent == AGENT  # the call goes on
        await shot(page, "03-stopped")
        assert engine.audit is not None
        await engine.part(MonitorDesk)._tasks.wait()
        rows = await engine.audit.rows(user=SUPERVISOR)
        (row,) = [r for r in rows if r["action"] == "monitor.session"
                  and f"call={call_id}" in r["detail"]]
        assert (row["via"], row["target"], row["result"]) == ("web", f"agent {AGENT}", "ok")
        for said in ("listen", "whisper", "barge", "reason=stopped"):
            assert said in row["detail"], row
        assert any(r["action"] == "monitor.start" and "-web" in r["detail"] for r in rows)
        listed = [r for r in await audit_listed(lab) if r["action"] == "monitor.session"]
        assert row["detail"] in [r["detail"] for r in listed]  # `run.py audit` has it
        assert CALLER_ENDPOINT not in await page.content()
    except BaseException:
        await shot(page, "99-monitor-failed")
        raise
    finally:
        if call_id:
            await end_the_call(engine, call_id)
        await engine.agent_desk.logout(AGENT)
        await context.close()
        for phone in (caller, agent):
            phone.stop()


async def test_a_supervisor_controls_the_floor_from_the_page(
        lab: Lab, engine: Engine, agents_waiting: None, browser: Browser) -> None:
    zhao = await user(engine, SUPERVISOR, "supervisor")
    li = await user(engine, "floor.li", "agent", AGENT)
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    board = await (await browser.new_context(base_url=base, locale="zh-CN",
                                             viewport={"width": 1600, "height": 1100})).new_page()
    desk = await (await browser.new_context(base_url=base, locale="zh-CN")).new_page()
    caller: asyncio.Task[Any] | None = None
    async with agent_softphone(lab, AGENT, 5064, 30400, answer_delay_s=0.5,
                               talk_s=3.0) as phone:
        try:
            await engine.agent_desk.login(AGENT)
            await sign_in(board, "/wallboard", SUPERVISOR, zhao["password"], "#board")
            await sign_in(desk, "/", "floor.li", li["password"], "#desk")

            # a forced pause: the reason on the board and on the agent's own page
            await board.click(agent_button(AGENT, "pause"))
            await board.fill("#act-reason", "质检辅导")
            await board.click("#act-ok")
            await board.wait_for_function(row_text("agents", "agent", AGENT, "质检辅导"))
            await desk.wait_for_function(
                "() => document.getElementById('message').textContent.includes('质检辅导')")
            assert engine.agent_desk.board.status(AGENT).pause_reason == "质检辅导"
            await shot(board, "04-forced-pause")
            await shot(desk, "05-agent-told")

            # the queues for the rest of the shift: 12345 as an expert, no more 12315
            await board.click(agent_button(AGENT, "skills"))
            await board.select_option("#act-skills select[data-queue='q12345']", "5")
            await board.select_option("#act-skills select[data-queue='q12315']", "")
            await shot(board, "06-skills")
            await board.click("#act-ok")
            await board.wait_for_selector("#act", state="hidden")
            expected = {"q12345": 0, "q12328": 3, "q12319": 3, "q12369": 3, "q12318": 3}
            assert engine.agent_desk.skills(AGENT) == expected
            assert engine.agent_desk.board.status(AGENT).queues == set(expected)

            # a caller waits in 12315 (nobody free there): 12345, where everyone is paused,
            # is not offered; resumed, 1001 can answer there: the caller is moved into 12345
            caller = asyncio.create_task(place_calls(
                [CallSpec("12315", WAITING_CALLER)], hold_ms=45_000, local_port=5096,
                media_port=18200, timeout_s=90))
            await board.wait_for_selector(
                "#queues tr[data-queue='q12315'] button[data-action='move']", timeout=30_000)
            await board.click("#queues tr[data-queue='q12315'] button[data-action='move']")
            await board.wait_for_selector("#act-callers tr")
            assert await board.eval_on_selector("#act-to option[value='q12345']",
                                                "o => o.disabled")
            await board.click("#act-cancel")
            await board.click(agent_button(AGENT, "unpause"))
            await board.click("#act-ok")
            await board.wait_for_selector("#act", state="hidden")
            await board.click("#queues tr[data-queue='q12315'] button[data-action='move']")
            await board.wait_for_selector("#act-callers tr")
            await board.select_option("#act-to", "q12345")
            await shot(board, "07-move")
            await board.click("#act-ok")
            await board.wait_for_selector("#act", state="hidden")
            moved = await lab.wait_for("queue.moved", lambda: lab.events("queue.moved"))
            assert (moved[-1]["queue"], moved[-1]["to"]) == ("q12315", "q12345")

            # the agent answers the moved caller from 12345
            await lab.wait_for("agent 1001 to answer the moved caller",
                               lambda: phone.answered, timeout=30)
            call_id = await lab.call_id(WAITING_CALLER)
            answered = await lab.wait_for("queue.answered", lambda: lab.events(
                "queue.answered", call_id=call_id))
            assert answered[0]["queue"] == "q12345" and answered[0]["agent"] == AGENT
            await asyncio.wait_for(caller, 90)

            # a forced sign-out
            await board.wait_for_selector(agent_button(AGENT, "logout"))
            await board.click(agent_button(AGENT, "logout"))
            await board.fill("#act-reason", "交接班")
            await board.click("#act-ok")
            await desk.wait_for_function(
                "() => document.getElementById('message').textContent.includes('交接班')")
            await lab.wait_for("agent 1001 signed out",
                               lambda: not engine.agent_desk.board.status(AGENT).queues)
            await shot(board, "08-signed-out")
        except BaseException:
            await shot(board, "99-floor-failed")
            await shot(desk, "99-floor-failed-desk")
            raise
        finally:
            if caller is not None and not caller.done():
                caller.cancel()
            engine.agent_desk.shift_skills.pop(AGENT, None)

    # an agent may do none of it
    async with aiohttp.ClientSession(base_url=base, headers={
            "Authorization": f"Bearer {li['token']}"}) as agent_client:
        for method, path, body in (
                ("GET", "/api/wallboard", None),
                ("POST", "/api/monitor", {"agent": "1002", "mode": "listen"}),
                ("POST", "/api/supervise/agents/1002/pause", {"reason": "x"}),
                ("POST", "/api/supervise/move-caller", {"queue": "q12345", "position": 1,
                                                        "to_queue": "q12315"})):
            async with agent_client.request(method, path, json=body) as reply:
                assert reply.status == 403, (path, await reply.text())

    # and `run.py audit` lists what was done, by whom
    rows = await audit_listed(lab)
    done = {(r["user"], r["action"], r["result"]) for r in rows}
    for action in ("supervise.pause", "supervise.skills", "supervise.move_caller",
                   "supervise.unpause", "supervise.logout"):
        assert (SUPERVISOR, action, "ok") in done, action
    for action in ("wallboard.get", "monitor.start", "supervise.pause",
                   "supervise.move_caller"):
        assert ("floor.li", action, "CC1301") in done, action
    pause = next(r for r in rows if r["action"] == "supervise.pause"
                 and r["user"] == SUPERVISOR)
    assert pause["target"] == f"agent {AGENT}" and pause["via"] == "web"
