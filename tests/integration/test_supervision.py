"""Listen, whisper and barge on the real Asterisk (#17): who hears whom, measured by tone.

Three pyVoIP softphones that record what they hear, each sending its own tone: the caller
(600 Hz), agent 1001 (440 Hz) and supervisor zhao.lei (1000 Hz, ``supervisor-zhao.lei``).
The caller must be able to tell what it hears, which a sipp caller cannot: it is a pyVoIP
phone registered as the sub-center seat ``subcenter-12313`` (no seat registers there in the
lab), reached through a Local channel that dials 12345 from ``[from-carrier]`` as the
carrier would — the Local channel's ;2 side is the queue's caller, its ;1 side dials the
phone. Then, in each mode, over a window of a few seconds:

- listen: the supervisor hears both sides; neither the agent nor the caller hears them;
- whisper: the agent hears the supervisor, the caller does not;
- barge: both do.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from agents.softphone import CallRecord, Softphone, SoftphoneSettings, tone
from callcenter.ami import actions
from callcenter.app import Engine
from callcenter.config.loader import agent_endpoint, supervisor_endpoint
from callcenter.supervision.model import Phase
from tests.integration.conftest import UNREGISTERED_SUBCENTER, Lab

AGENT, SUPERVISOR = "1001", "zhao.lei"
CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 600.0, 440.0, 1000.0
WINDOW_S = 3.0
SETTLE_S = 1.0  # after a mode switch, before listening
HEARD, NOT_HEARD = 4.0, 1.5  # tone amplitude (of 8-bit samples; each phone sends ~38)


_RTP_BLOCKS = itertools.count()  # each phone its own RTP ports: pyVoIP may keep a call's


def _phone(lab: Lab, endpoint: str, port: int, hz: float) -> Softphone:
    low = 34000 + 100 * next(_RTP_BLOCKS)
    return Softphone(SoftphoneSettings(
        endpoint, lab.secrets.sip_passwords[endpoint], sip_port=port,
        rtp_low=low, rtp_high=low + 99, answer_delay_s=0.3,
        talk_s=120.0, audio=tone(hz, 1.0), record=True))


def level(record: CallRecord, hz: float, since: float, until: float) -> float:
    """The amplitude of the ``hz`` tone in what the phone heard between the two moments."""
    frames = [chunk for at, chunk in record.heard if since <= at <= until]
    if not frames:
        return 0.0
    x = np.frombuffer(b"".join(frames), dtype=np.uint8).astype(float) - 128.0
    n = np.arange(len(x))
    return float(2 * abs(np.sum(x * np.exp(-2j * np.pi * hz * n / 8000))) / len(x))


@dataclass
class Parties:
    caller: Softphone
    agent: Softphone
    supervisor: Softphone

    def call_of(self, phone: Softphone) -> CallRecord:
        (record,) = phone.answered[-1:]
        return record


@pytest.fixture
def parties(lab: Lab) -> Iterator[Parties]:
    phones = Parties(_phone(lab, f"subcenter-{UNREGISTERED_SUBCENTER}", 5071, CALLER_HZ),
                     _phone(lab, agent_endpoint(AGENT), 5072, AGENT_HZ),
                     _phone(lab, supervisor_endpoint(SUPERVISOR), 5073, SUPERVISOR_HZ))
    for phone in (phones.caller, phones.agent, phones.supervisor):
        phone.start()
    yield phones
    for phone in (phones.caller, phones.agent, phones.supervisor):
        phone.stop()


@pytest.fixture
async def talking(lab: Lab, engine: Engine, parties: Parties) -> AsyncIterator[str]:
    """Caller and agent 1001 talking; yields the call id."""
    await engine.agent_desk.login(AGENT)
    reply = await engine.ami.send(actions.originate(
        "Local/12345@from-carrier/n", application="Dial",
        data=f"PJSIP/subcenter-{UNREGISTERED_SUBCENTER},30", caller_id="13766667109 "
        "<13766667109>", timeout_ms=30000))
    assert reply.success, reply.message
    call = await lab.wait_for("the agent to answer", lambda: next(
        (c for c in engine.tracker.calls.values() if c.agent == AGENT), None), timeout=20)
    await lab.wait_for("the caller's phone to answer", lambda: parties.caller.answered)
    await lab.wait_for("the agent to hear the caller", lambda: level(
        parties.call_of(parties.agent), CALLER_HZ, time.time() - 1, time.time()) > HEARD)
    yield call.call_id
    await engine.ami.send(actions.hangup(call.agent_channel))
    await engine.agent_desk.logout(AGENT)


async def _window(parties: Parties) -> dict[str, float]:
    """What each one heard over the next WINDOW_S: levels by (listener, tone)."""
    await asyncio.sleep(SETTLE_S)
    since = time.time()
    await asyncio.sleep(WINDOW_S)
    until = time.time()
    heard = {}
    for who, phone in (("caller", parties.caller), ("agent", parties.agent),
                       ("supervisor", parties.supervisor)):
        record = parties.call_of(phone)
        for name, hz in (("caller", CALLER_HZ), ("agent", AGENT_HZ),
                         ("supervisor", SUPERVISOR_HZ)):
            if name != who:
                heard[f"{who} hears {name}"] = level(record, hz, since, until)
    return heard


async def test_listen_whisper_barge_and_stop(lab: Lab, engine: Engine, parties: Parties,
                                             talking: str) -> None:
    started = await engine.commands.run("monitor.start", {
        "agent": AGENT, "mode": "listen", "supervisor": SUPERVISOR})
    session = str(started["session"])
    await lab.wait_for("the supervisor to answer", lambda: session in engine.monitor_desk.live
                       and engine.monitor_desk.live[session].phase is Phase.ACTIVE)
    assert started["call_id"] == talking

    listen = await _window(parties)
    assert listen["supervisor hears caller"] > HEARD, listen
    assert listen["supervisor hears agent"] > HEARD, listen
    assert listen["agent hears supervisor"] < NOT_HEARD, listen
    assert listen["caller hears supervisor"] < NOT_HEARD, listen
    assert listen["agent hears caller"] > HEARD and listen["caller hears agent"] > HEARD

    await engine.commands.run("monitor.mode", {"session": session, "mode": "whisper"})
    whisper = await _window(parties)
    assert whisper["agent hears supervisor"] > HEARD, whisper
    assert whisper["caller hears supervisor"] < NOT_HEARD, whisper
    assert whisper["supervisor hears caller"] > HEARD, whisper

    await engine.commands.run("monitor.mode", {"session": session, "mode": "barge"})
    barge = await _window(parties)
    assert barge["agent hears supervisor"] > HEARD, barge
    assert barge["caller hears supervisor"] > HEARD, barge

    await engine.commands.run("monitor.mode", {"session": session, "mode": "listen"})
    back = await _window(parties)
    assert back["agent hears supervisor"] < NOT_HEARD, back
    assert back["caller hears supervisor"] < NOT_HEARD, back

    stopped = await engine.commands.run("monitor.stop", {"session": session})
    assert stopped["reason"] == "stopped"
    await lab.wait_for("the supervisor's leg to end", lambda: parties.call_of(
        parties.supervisor).ended_at is not None)
    assert engine.tracker.calls[talking].agent == AGENT  # the call goes on
    assert engine.audit is not None
    await engine.monitor_desk._tasks.wait()
    rows = await engine.audit.rows(user="root")
    (row,) = [r for r in rows if r["action"] == "monitor.session"]
    assert "modes=listen" in row["detail"] and "whisper" in row["detail"]
    assert "barge" in row["detail"] and "reason=stopped" in row["detail"]
    assert (row["target"], row["result"]) == (f"agent {AGENT}", "ok")
    # the supervisor's leg is not a call
    assert not [c for c in engine.tracker.calls.values()
                if c.inbound_channel.startswith("PJSIP/supervisor-")]


async def test_the_call_ending_ends_the_session(lab: Lab, engine: Engine, parties: Parties,
                                                talking: str) -> None:
    started = await engine.commands.run("monitor.start", {
        "agent": AGENT, "mode": "barge", "supervisor": SUPERVISOR})
    session = str(started["session"])
    await lab.wait_for("the supervisor to answer", lambda: session in engine.monitor_desk.live
                       and engine.monitor_desk.live[session].phase is Phase.ACTIVE)
    call = engine.tracker.calls[talking]
    await engine.ami.send(actions.hangup(call.agent_channel))
    await lab.wait_for("the session to end", lambda: session not in engine.monitor_desk.live)
    await lab.wait_for("the supervisor's leg to end (ChanSpy's E)", lambda: parties.call_of(
        parties.supervisor).ended_at is not None)
    ended = await lab.wait_for("monitor.ended", lambda: lab.events("monitor.ended",
                                                                   session=session))
    assert ended[0]["reason"] == "call_ended"
