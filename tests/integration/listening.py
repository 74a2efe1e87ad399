"""Who hears whom on a real call, by tone (the monitoring tests: test_supervision.py with
pyVoIP phones, test_supervisor_console.py with Chromium).

Each party sends its own tone — the caller 600 Hz, agent 1001 440 Hz, the supervisor 1000 Hz —
and each pyVoIP phone keeps what it hears; :func:`level` is the amplitude of one tone in it.
The caller must be able to tell what it hears, which a sipp caller cannot: it is a pyVoIP
phone registered as the sub-center seat ``subcenter-12313`` (no seat registers there in the
lab), reached through a Local channel that dials 12345 from ``[from-carrier]`` as the
carrier would — the Local channel's ;2 side is the queue's caller, its ;1 side dials the
phone (:func:`call_the_agent`).
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from callcenter.ami import actions
from callcenter.app import Engine
from lab.softphone import CallRecord, Softphone, SoftphoneSettings, tone
from tests.integration.conftest import UNREGISTERED_SUBCENTER, Lab

AGENT = "1001"
CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 600.0, 440.0, 1000.0
HEARD, NOT_HEARD = 4.0, 1.5  # tone amplitude (of 8-bit samples; each phone sends ~38)
CALLER_ENDPOINT = f"subcenter-{UNREGISTERED_SUBCENTER}"
CALLER_NUMBER = "13766667109"

_RTP_BLOCKS = itertools.count()  # each phone its own RTP ports: pyVoIP may keep a call's


def tone_phone(lab: Lab, endpoint: str, port: int, hz: float) -> Softphone:
    """A phone that answers, sends an ``hz`` tone for two minutes and keeps what it hears."""
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


def call_of(phone: Softphone) -> CallRecord:
    """The phone's last answered call."""
    (record,) = phone.answered[-1:]
    return record


async def call_the_agent(lab: Lab, engine: Engine, caller: Softphone,
                         agent: Softphone) -> str:
    """A carrier call to 12345 from the ``caller`` phone, answered by agent 1001 (logged in
    here) on the ``agent`` phone; returns once each hears the other, with the call id."""
    await engine.agent_desk.login(AGENT)
    reply = await engine.ami.send(actions.originate(
        "Local/12345@from-carrier/n", application="Dial",
        data=f"PJSIP/{CALLER_ENDPOINT},30", caller_id=f"{CALLER_NUMBER} <{CALLER_NUMBER}>",
        timeout_ms=30000))
    assert reply.success, reply.message
    call = await lab.wait_for("the agent to answer", lambda: next(
        (c for c in engine.tracker.calls.values() if c.agent == AGENT), None), timeout=20)
    await lab.wait_for("the caller's phone to answer", lambda: caller.answered)
    await lab.wait_for("the agent to hear the caller", lambda: level(
        call_of(agent), CALLER_HZ, time.time() - 1, time.time()) > HEARD)
    await lab.wait_for("the caller to hear the agent", lambda: level(
        call_of(caller), AGENT_HZ, time.time() - 1, time.time()) > HEARD)
    return call.call_id


async def end_the_call(engine: Engine, call_id: str) -> None:
    call = engine.tracker.calls.get(call_id)
    if call is not None and call.agent_channel:
        await engine.ami.send(actions.hangup(call.agent_channel))
