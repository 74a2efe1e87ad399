"""Listen, whisper and barge on the real Asterisk (#17): who hears whom, measured by tone
(:mod:`tests.integration.listening`): the caller (600 Hz), agent 1001 (440 Hz) and the
supervisor zhao.lei on the desk softphone ``supervisor-zhao.lei`` (1000 Hz), all pyVoIP.
In each mode, over a window of a few seconds:

- listen: the supervisor hears both sides; neither the agent nor the caller hears them;
- whisper: the agent hears the supervisor, the caller does not;
- barge: both do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from callcenter.ami import actions
from callcenter.app import Engine
from callcenter.config.loader import agent_endpoint, supervisor_endpoint
from callcenter.supervision.desk import MonitorDesk
from callcenter.supervision.model import MonitorMode, Phase
from lab.softphone import CallRecord, Softphone
from tests.integration.conftest import Lab
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

SUPERVISOR = "zhao.lei"
WINDOW_S = 3.0
SETTLE_S = 1.0  # after a mode switch, before listening


@dataclass
class Parties:
    caller: Softphone
    agent: Softphone
    supervisor: Softphone

    def call_of(self, phone: Softphone) -> CallRecord:
        return call_of(phone)


@pytest.fixture
def parties(lab: Lab) -> Iterator[Parties]:
    phones = Parties(tone_phone(lab, CALLER_ENDPOINT, 5071, CALLER_HZ),
                     tone_phone(lab, agent_endpoint(AGENT), 5072, AGENT_HZ),
                     tone_phone(lab, supervisor_endpoint(SUPERVISOR), 5073, SUPERVISOR_HZ))
    for phone in (phones.caller, phones.agent, phones.supervisor):
        phone.start()
    yield phones
    for phone in (phones.caller, phones.agent, phones.supervisor):
        phone.stop()


@pytest.fixture
async def talking(lab: Lab, engine: Engine, parties: Parties) -> AsyncIterator[str]:
    """Caller and agent 1001 talking; yields the call id."""
    call_id = await call_the_agent(lab, engine, parties.caller, parties.agent)
    yield call_id
    await end_the_call(engine, call_id)
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
    await lab.wait_for("the supervisor to answer", lambda: session in engine.part(MonitorDesk).live
                       and engine.part(MonitorDesk).live[session].phase is Phase.ACTIVE)
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

    # the supervisor's own keypad (5: whisper) switches ChanSpy — and the engine knows it
    leg = engine.part(MonitorDesk).live[session].leg_channel
    await engine.ami.send(actions.play_dtmf(leg, "5", receive=True))
    await lab.wait_for("the keyed mode to be known", lambda: engine.part(MonitorDesk).live[
        session].mode is MonitorMode.WHISPER)
    keyed = await _window(parties)
    assert keyed["agent hears supervisor"] > HEARD, keyed
    assert keyed["caller hears supervisor"] < NOT_HEARD, keyed

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
    await engine.part(MonitorDesk)._tasks.wait()
    rows = await engine.audit.rows(user="root")
    (row,) = [r for r in rows if r["action"] == "monitor.session"]
    assert "modes=listen" in row["detail"] and "whisper" in row["detail"]
    assert "barge" in row["detail"] and "reason=stopped" in row["detail"]
    (ended,) = [s for s in engine.part(MonitorDesk).board.ended if s.id == session]
    assert [m for m, _ in ended.modes] == ["listen", "whisper", "barge", "whisper", "listen"]
    assert (row["target"], row["result"]) == (f"agent {AGENT}", "ok")
    # the supervisor's leg is not a call
    assert not [c for c in engine.tracker.calls.values()
                if c.inbound_channel.startswith("PJSIP/supervisor-")]


async def test_the_call_ending_ends_the_session(lab: Lab, engine: Engine, parties: Parties,
                                                talking: str) -> None:
    started = await engine.commands.run("monitor.start", {
        "agent": AGENT, "mode": "barge", "supervisor": SUPERVISOR})
    session = str(started["session"])
    await lab.wait_for("the supervisor to answer", lambda: session in engine.part(MonitorDesk).live
                       and engine.part(MonitorDesk).live[session].phase is Phase.ACTIVE)
    await end_the_call(engine, talking)
    await lab.wait_for("the session to end", lambda: session not in engine.part(MonitorDesk).live)
    await lab.wait_for("the supervisor's leg to end (ChanSpy's E)", lambda: parties.call_of(
        parties.supervisor).ended_at is not None)
    ended = await lab.wait_for("monitor.ended", lambda: lab.events("monitor.ended",
                                                                   session=session))
    assert ended[0]["reason"] == "call_ended"
