"""The engine's life around live calls on the real Asterisk: killed mid-call and restarted,
reloaded with a new configuration, and a demo started while an engine already runs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.app import Engine
from callcenter.clock import parse_ts
from callcenter.config.loader import agent_endpoint, load_config
from callcenter.control.client import query
from callcenter.errors import EngineControlError
from callcenter.paths import PROJECT_ROOT
from callcenter.tickets.desk import TicketDesk
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone, SoftphoneSettings
from tests.integration.conftest import Lab, running_engine

AGENT = "1001"


@pytest.fixture
async def agent_phone(lab: Lab) -> AsyncIterator[Softphone]:
    endpoint = agent_endpoint(AGENT)
    phone = Softphone(SoftphoneSettings(endpoint, lab.secrets.sip_passwords[endpoint],
                                        sip_port=5071, rtp_low=30800, rtp_high=30899,
                                        answer_delay_s=0.5, talk_s=120))
    await asyncio.to_thread(phone.start)
    yield phone
    await asyncio.to_thread(phone.stop)


def _run_engine_process(lab: Lab) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "run.py", "--config", str(lab.config.directory), "run", "--quiet"],
        cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def _engine_ready(lab: Lab, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the engine exited: {process.stderr.read()!r}"
                                 if process.stderr else "the engine exited")
        try:
            status = await asyncio.to_thread(query, lab.paths.control_socket, "status", 1)
            if status["ami"]["connected"] and status["engine"]["resyncs"] >= 1:
                return
        except EngineControlError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("the engine process did not come up in 30 s")


async def test_a_restarted_engine_adopts_the_live_call_its_ticket_agent_and_speech(
        lab: Lab, agent_phone: Softphone, caller_tone: Path) -> None:
    """kill -9 of the engine while agent 1001 talks to a caller, then a new engine: the call
    goes on, its ticket continues and is closed at the hang-up, the caller's speech is
    transcribed again, agent 1001 is on_call (not logged out), log times are when written."""
    process = _run_engine_process(lab)
    try:
        await _engine_ready(lab, process)
        await asyncio.to_thread(query, lab.paths.control_socket, "agent.login", 5,
                                agent=AGENT)
        caller = "13955550071"
        earlier = len(lab.events("call.started"))
        sipp = asyncio.create_task(place_calls([CallSpec("12345", caller)], audio=caller_tone,
                                               hold_ms=30000, local_port=5093,
                                               media_port=20372))
        started = await lab.wait_for("the call", lambda: [
            e for e in lab.events("call.started")[earlier:] if e["caller"] == "139****0071"])
        call_id = started[0]["call_id"]
        created = await lab.wait_for("the ticket", lambda: lab.events(
            "ticket.created", call_id=call_id))
        ticket_id = created[0]["ticket"]
        await lab.wait_for("the first speech fork", lambda: lab.events(
            "asr.started", call_id=call_id))
        await asyncio.sleep(2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    killed_at = time.time()
    assert not sipp.done()  # the caller is still on the line

    await asyncio.sleep(1)
    async with running_engine(lab) as engine:
        restarted = parse_ts(lab.events("engine.started")[-1]["ts"])
        assert restarted >= killed_at - 0.5
        (recovered,) = await lab.wait_for("the call adopted", lambda: lab.events(
            "call.recovered", call_id=call_id))
        assert parse_ts(recovered["ts"]) >= restarted  # written when written, not backdated
        assert lab.events("call.agent_found", call_id=call_id, agent=AGENT)
        states = [e for e in lab.events("agent.state", agent=AGENT)
                  if parse_ts(e["ts"]) >= restarted]
        assert states and (states[0]["from"], states[0]["to"]) == ("logged_out", "on_call")
        resumed = await lab.wait_for("the ticket resumed", lambda: lab.events(
            "ticket.resumed", call_id=call_id))
        assert resumed[0]["ticket"] == ticket_id
        assert len(lab.events("ticket.created", call_id=call_id)) == 1
        forks = await lab.wait_for("the speech fork again", lambda: [
            e for e in lab.events("asr.started", call_id=call_id)
            if parse_ts(e["ts"]) >= restarted])
        assert {f["speaker"] for f in forks} >= {"caller"}

        result = await asyncio.wait_for(sipp, 60)  # the caller hangs up at the end of 30 s
        assert result.successful + result.failed == 1
        await lab.wait_for("the call's end", lambda: lab.events("call.ended", call_id=call_id))
        ended_streams = await lab.wait_for("the fork's audio", lambda: [
            e for e in lab.events("asr.stream_ended") if e["stream"] == f"{call_id}/caller"
            and parse_ts(e["ts"]) >= restarted])
        assert ended_streams[-1]["audio_s"] > 5  # the rest of the call reached the recognizer
        await lab.wait_for("the ticket closed", lambda: lab.events(
            "ticket.closed", call_id=call_id))
        assert engine.part(TicketDesk).tickets is not None
        ticket = await engine.part(TicketDesk).tickets.get(ticket_id)
        assert ticket["closed_at"] and ticket["call_id"] == call_id
        after = [(e["from"], e["to"]) for e in lab.events("agent.state", agent=AGENT)
                 if parse_ts(e["ts"]) >= restarted]
        assert ("on_call", "wrapup") in after
        await engine.agent_desk.logout(AGENT)


async def test_reload_reaches_the_tickets(lab: Lab, engine: Engine, agent_phone: Softphone,
                                          tmp_path: Path) -> None:
    """12322's unit changed by reload: the routing decision and the ticket both say the new
    unit (the ticket desk used to keep the old catalogue)."""
    directory = tmp_path / "config"
    shutil.copytree(lab.config.directory, directory)
    hotlines = directory / "hotlines.yaml"
    hotlines.write_text(hotlines.read_text(encoding="utf-8").replace(
        "units: [省地震局]", "units: [省应急管理厅]"), encoding="utf-8")
    assert load_config(directory).hotlines  # still valid
    await asyncio.to_thread(query, lab.paths.control_socket, "reload", 10,
                            config=str(directory))
    await engine.agent_desk.login(AGENT)
    caller = "13955550072"
    earlier = len(lab.events("call.started"))
    sipp = asyncio.create_task(place_calls([CallSpec("12322", caller)], hold_ms=15000,
                                           local_port=5094, media_port=20376))
    started = await lab.wait_for("the call", lambda: [
        e for e in lab.events("call.started")[earlier:] if e["caller"] == "139****0072"])
    call_id = started[0]["call_id"]
    routed = await lab.wait_for("the route", lambda: lab.events("call.routed", call_id=call_id))
    assert routed[0]["unit"] == "省应急管理厅"
    created = await lab.wait_for("the ticket", lambda: lab.events(
        "ticket.created", call_id=call_id), timeout=30)
    assert created[0]["unit"] == "省应急管理厅"
    assert engine.part(TicketDesk).tickets is not None
    ticket = await engine.part(TicketDesk).tickets.get(created[0]["ticket"])
    assert ticket["unit"] == "省应急管理厅" and ticket["hotline"] == "12322"
    await asyncio.wait_for(sipp, 40)
    await engine.agent_desk.logout(AGENT)


async def test_demo_refuses_to_run_beside_a_running_engine(lab: Lab, engine: Engine) -> None:
    """It used to print an AMI error and hang: now one sentence, exit non-zero, at once."""
    started = time.monotonic()
    done = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "demo", "--seconds", "1", cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "100"})
    out, err = await asyncio.wait_for(done.communicate(), 60)
    assert done.returncode == 1, (out, err)
    assert time.monotonic() - started < 30
    text = err.decode()
    assert "already running" in text and "run.py down" in text, text
    assert engine.ami.connected  # the running engine was not touched
    assert json.loads(json.dumps(engine.snapshot()))["ami"]["connected"]
