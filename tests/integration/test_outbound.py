"""Missed-call callbacks against the real Asterisk (#26): a sipp UAS on the outbound trunk's
port plays the citizens' phones. A caller who hangs up in the queue after waiting becomes a
task; once an agent is free the citizen's phone rings with caller id 12345 and, answered,
is bridged to that agent; busy, then no answer, then reached on the third attempt."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from callcenter.app import Engine
from callcenter.clock import iso_ts
from callcenter.outbound.intake import Intake
from callcenter.outbound.store import TaskStore
from callcenter.tickets.desk import TicketDesk
from lab.public_network import PublicNetwork
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone
from tests.integration.conftest import LAB_AGENT, LAB_TRUNK_PORT, Lab, agent_softphone

CITIZEN = "13788880031"
SECOND = "13788880032"


@contextlib.asynccontextmanager
async def dialing_engine(lab: Lab) -> AsyncIterator[Engine]:
    """An engine on the lab configuration with the dialer on (short spacing and ringing);
    the callback requests earlier tests left are marked worked first (not dialed here)."""
    import aiosqlite

    async with aiosqlite.connect(lab.config.engine.paths.database) as db:
        with contextlib.suppress(sqlite3.OperationalError):  # (no store yet: nothing left)
            await db.execute("UPDATE callback_request SET done_at = ?, done_by = 'lab' "
                             "WHERE done_at IS NULL", (iso_ts(1_700_000_000),))
            await db.commit()
    outbound = lab.config.engine.outbound.model_copy(update={
        "enabled": True, "spacing_s": 3, "ring_s": 6, "abandoned_after_s": 2,
        "quiet_from": "00:00", "quiet_until": "00:00"})
    config = replace(lab.config, engine=lab.config.engine.model_copy(
        update={"outbound": outbound}))
    engine = Engine(config, lab.paths, lab.secrets)
    lab.engine = engine
    task = asyncio.create_task(engine.run(handle_signals=False))
    connected = asyncio.create_task(engine.ami.wait_connected(15))
    await asyncio.wait({task, connected}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        connected.cancel()
        task.result()
    await connected
    await lab.wait_for("the first resync", lambda: engine.resyncs >= 1)
    try:
        yield engine
    finally:
        engine.stop()
        await asyncio.wait_for(task, 15)
        lab.engine = None
        with contextlib.suppress(AttributeError):
            aiohttp.web_app._cached_build_middleware.cache_clear()


def _tasks(engine: Engine) -> TaskStore:
    tasks = engine.part(Intake).tasks
    assert tasks is not None
    return tasks


@pytest.fixture
async def engine(lab: Lab) -> AsyncIterator[Engine]:
    async with dialing_engine(lab) as engine:
        yield engine


async def test_an_abandoned_caller_is_called_back_and_bridged_to_a_free_agent(
        lab: Lab, engine: Engine, lab_agent_phone: Softphone) -> None:
    # the lab agent is logged in and paused: the caller waits in q12345, then hangs up
    await engine.agent_desk.login(LAB_AGENT)
    await engine.agent_desk.pause(LAB_AGENT, "会议")
    async with PublicNetwork(LAB_TRUNK_PORT, "answer", media_port=17300) as citizens:
        result = await place_calls([CallSpec("12345", CITIZEN)], hold_ms=11000,
                                   local_port=5081, media_port=16900)
        assert result.successful == 1
        call_id = await lab.call_id(CITIZEN)
        (opened,) = await lab.wait_for("outbound.task", lambda: lab.events(
            "outbound.task", call_id=call_id))
        assert (opened["reason"], opened["queue"], opened["hotline"], opened["state"],
                opened["caller"]) == ("abandoned", "q12345", "12345政务服务便民热线", "waiting",
                                      "137****0031")
        await asyncio.sleep(2)  # nobody is free: nobody is called
        assert citizens.invites() == [] and not lab.events("outbound.dialed")
        async with agent_softphone(lab, "1001", 5064, 30400, answer_delay_s=0.5,
                                   talk_s=3.0) as agent:
            await engine.agent_desk.login("1001")
            (dialed,) = await lab.wait_for("outbound.dialed", lambda: lab.events(
                "outbound.dialed", task=opened["task"]))
            assert (dialed["attempt"], dialed["queue"]) == (1, "q12345")
            (bridged,) = await lab.wait_for("outbound.bridged", lambda: lab.events(
                "outbound.bridged", task=opened["task"]), timeout=30)
            assert bridged["agent"] == "1001"
            await lab.wait_for("the agent's call", lambda: agent.answered, timeout=20)
        (invite,) = citizens.invites()
        assert invite.startswith(f"INVITE sip:{CITIZEN}@127.0.0.1:{LAB_TRUNK_PORT} ")
        assert re.search(r"^From: (\"12345\" )?<sip:12345@", invite, re.M), invite
        (ended,) = lab.events("outbound.ended", task=opened["task"])
        assert (ended["outcome"], ended["state"], ended["attempt"]) == ("reached", "reached", 1)
    [row] = [t for t in await _tasks(engine).listing() if t["id"] == opened["task"]]
    assert row["state"] == "reached" and row["caller"] == "137****0031"
    assert [(a["number"], a["outcome"], a["agent"]) for a in row["attempts"]] == [
        (1, "reached", "1001")]
    # the agent's ticket: the citizen's number, the hotline they had dialed
    (created,) = lab.events("ticket.created", call_id=dialed["call_id"])
    ticket_desk = engine.part(TicketDesk).tickets
    assert ticket_desk is not None
    ticket = await ticket_desk.get(created["ticket"])
    assert (ticket["caller"], ticket["hotline"], ticket["agent"]) == (CITIZEN, "12345", "1001")
    assert engine.store is not None
    audit = [r for r in await engine.store.db.execute_fetchall(
        "SELECT action, target FROM audit WHERE action = 'callback.dial'")]
    assert (("callback.dial", f"callback {opened['task']}")) in [tuple(r) for r in audit]
    # the log never shows the number whole
    assert CITIZEN not in lab.call_log.read_text()


async def test_busy_then_no_answer_then_reached_on_the_third_attempt(
        lab: Lab, engine: Engine) -> None:
    intake = engine.part(Intake)
    await intake.open("lab-outbound-2", SECOND, "12345", "12345", "q12345", "greeting",
                      time.time())
    (opened,) = await lab.wait_for("outbound.task", lambda: lab.events(
        "outbound.task", call_id="lab-outbound-2"))
    task = opened["task"]
    outcomes: list[str] = []
    async with agent_softphone(lab, "1001", 5064, 30400, answer_delay_s=0.5,
                               talk_s=2.0) as agent:
        await engine.agent_desk.login("1001")
        for behaviour, outcome in (("busy", "busy"), ("no-answer", "no_answer"),
                                   ("answer", "reached")):
            async with PublicNetwork(LAB_TRUNK_PORT, behaviour, media_port=17300):
                ended = await lab.wait_for(f"attempt {len(outcomes) + 1}", lambda: lab.events(
                    "outbound.ended", task=task)[len(outcomes):], timeout=30)
                outcomes.append(ended[0]["outcome"])
                assert outcomes[-1] == outcome, outcomes
                if behaviour == "answer":
                    await lab.wait_for("the agent's call", lambda: agent.answered, timeout=20)
    assert outcomes == ["busy", "no_answer", "reached"]
    causes = [e["cause"] for e in lab.events("outbound.ended", task=task)]
    assert causes[0] == 17  # busy
    [row] = [t for t in await _tasks(engine).listing() if t["id"] == task]
    assert (row["state"], [a["outcome"] for a in row["attempts"]]) == (
        "reached", ["busy", "no_answer", "reached"])


class _Listener(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[str] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append(data.decode(errors="replace"))


async def test_nothing_that_comes_in_is_taken_for_the_outbound_trunk(
        lab: Lab, engine: Engine) -> None:
    """An INVITE naming the trunk's endpoint as its From user, from an address that is not
    the carrier's: refused before any dialplan (no channel), never a call of the trunk."""
    loop = asyncio.get_running_loop()
    before = len(lab.frames("Newchannel"))
    transport, listener = await loop.create_datagram_endpoint(
        _Listener, local_addr=("127.0.0.3", 5182))
    try:
        invite = "\r\n".join([
            f"INVITE sip:12345@127.0.0.1:{lab.config.engine.asterisk.sip_port} SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.3:5182;branch=z9hG4bK-outbound-probe",
            "From: <sip:outbound-trunk@127.0.0.3:5182>;tag=probe1",
            f"To: <sip:12345@127.0.0.1:{lab.config.engine.asterisk.sip_port}>",
            "Call-ID: outbound-probe-1@127.0.0.3", "CSeq: 1 INVITE",
            "Contact: <sip:outbound-trunk@127.0.0.3:5182>", "Max-Forwards: 70",
            "Content-Length: 0", "", ""])
        transport.sendto(invite.encode(), ("127.0.0.1", lab.config.engine.asterisk.sip_port))
        finals = await lab.wait_for("Asterisk's answer", lambda: [
            m for m in listener.received if re.match(r"SIP/2.0 [2-6]\d\d", m)])
    finally:
        transport.close()
    assert re.match(r"SIP/2.0 (401|403)", finals[0]), finals[0].splitlines()[0]
    await asyncio.sleep(1)
    assert len(lab.frames("Newchannel")) == before
