"""Listen, whisper, barge (#17): the monitoring session's pure states and the monitor desk's
AMI actions and audit rows, with a fake AMI that records the actions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.actors import LOCAL, Actor, Role
from callcenter.ami import events as ev
from callcenter.ami.adapter import adapt
from callcenter.ami.wire import AmiFrame
from callcenter.audit import AuditTrail
from callcenter.calls.state import CallTracker
from callcenter.config.loader import load_config
from callcenter.errors import (
    AmiActionFailed,
    Forbidden,
    SupervisionConflict,
    SupervisionError,
    UnknownAgent,
    UnknownSession,
)
from callcenter.paths import PROJECT_ROOT
from callcenter.store.db import Store
from callcenter.supervision.desk import MonitorDesk
from callcenter.supervision.model import MonitorMode, Phase, Session
from callcenter.supervision.state import durations, requested, state_of
from tests.unit.live import AGENT, CALLER, FakeAmi, agent_on_a_call

CONFIG = load_config(PROJECT_ROOT / "config")  # supervisors: zhao.lei
S = ev.ChannelState
LEG = "PJSIP/supervisor-zhao.lei-00000007"
ZHAO = Actor("zhao.lei", "http", "127.0.0.1", Role.SUPERVISOR)
QIAN = Actor("qian.yu", "http", "127.0.0.1", Role.SUPERVISOR)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Floor:
    def __init__(self, trail: AuditTrail) -> None:
        self.ami, self.clock, self.tracker = FakeAmi(), Clock(), CallTracker()
        agent_on_a_call(self.tracker)
        self.trail = trail
        self.desk = MonitorDesk(self.ami.send, self.tracker, lambda: CONFIG, self.clock,
                                audit_trail=lambda: trail)

    def event(self, event: ev.AmiEvent, dt: float = 1.0) -> None:
        self.clock.now += dt
        self.tracker.apply(event, self.clock.now)
        self.desk.on_event(event, self.clock.now)

    def leg_rings(self, session_id: str) -> None:
        uid = f"mon-{session_id}"
        self.event(ev.Newchannel(LEG, uid, uid, S.DOWN, "", "", "s", "cc-seats"), 0.1)

    def leg_answers(self, session_id: str) -> None:
        uid = f"mon-{session_id}"
        self.event(ev.Newstate(LEG, uid, uid, S.UP), 0.0)
        self.event(ev.OriginateResponse(LEG, uid, uid, True, 4), 0.0)

    async def audit(self) -> list[dict[str, Any]]:
        await self.desk._tasks.wait()
        return [r for r in await self.trail.rows() if r["action"] == "monitor.session"]


@pytest.fixture
async def floor(tmp_path: Path) -> AsyncIterator[Floor]:
    store = await Store.open(tmp_path / "audit.sqlite3")
    yield Floor(AuditTrail(store))
    await store.close()


# -- the pure states ---------------------------------------------------------------------------

def _session(mode: MonitorMode = MonitorMode.LISTEN) -> Session:
    return Session("s1", ZHAO, "zhao.lei", "PJSIP/supervisor-zhao.lei", "1001", "100.1", AGENT,
                   "100.2", mode, requested_at=10.0)


def test_modes_map_to_chanspy_options_and_digits() -> None:
    assert [(m.value, m.option, m.digit) for m in MonitorMode] == [
        ("listen", "", "4"), ("whisper", "w", "5"), ("barge", "B", "6")]


def test_a_session_through_its_phases_and_the_seconds_in_each_mode() -> None:
    s = _session()
    assert [type(e).__name__ for e in requested(s)] == ["CallSupervisor"]
    assert state_of(s).mode_changed(s, MonitorMode.BARGE, 11.0) == []  # not answered yet
    assert [type(e).__name__ for e in state_of(s).supervisor_answered(s, 14.0)] == ["Answered"]
    assert state_of(s).mode_changed(s, MonitorMode.LISTEN, 15.0) == []  # the same mode
    s.leg_channel = LEG
    effects = state_of(s).mode_changed(s, MonitorMode.WHISPER, 20.0)
    assert [type(e).__name__ for e in effects] == ["SwitchMode", "ModeChanged"]
    state_of(s).mode_changed(s, MonitorMode.BARGE, 25.0)
    effects = state_of(s).spied_gone(s, 31.5)
    assert [type(e).__name__ for e in effects] == ["HangUp", "Ended"]
    assert (s.phase, s.reason) == (Phase.ENDED, "call_ended")
    assert durations(s) == {"listen": 6.0, "whisper": 5.0, "barge": 6.5}
    assert state_of(s).supervisor_hung_up(s, 40.0) == []  # over: nothing more happens


def test_a_session_never_answered() -> None:
    s = _session()
    requested(s)
    assert [type(e).__name__ for e in state_of(s).originate_failed(s, 12.0, 5)] == ["Ended"]
    assert (s.reason, durations(s)) == ("busy", {})
    s = _session()
    requested(s)
    assert [type(e).__name__ for e in state_of(s).stop_requested(s, 12.0)] == ["Ended"]
    assert s.reason == "stopped"  # no leg known yet: nothing to hang up (the board will)


# -- the desk ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("mode", "options"), [("listen", "qESud"), ("whisper", "qESudw"),
                                                ("barge", "qESudB")])
async def test_start_calls_the_supervisor_into_chanspy_on_the_agents_channel(
        floor: Floor, mode: str, options: str) -> None:
    started = await floor.desk.start(ZHAO, "1001", mode)
    assert (started["phase"], started["mode"], started["call_id"]) == ("ringing", mode, "100.1")
    originate = floor.ami.last("Originate")
    assert originate["Channel"] == "PJSIP/supervisor-zhao.lei"
    assert (originate["Application"], originate["Data"]) == ("ChanSpy", f"{AGENT},{options}")
    assert originate["ChannelId"] == f"mon-{started['session']}"
    assert originate["CallerID"] == f"{MonitorMode(mode).text} 1001 <1001>"


async def test_the_browser_softphone_can_be_the_one_called(floor: Floor) -> None:
    await floor.desk.start(ZHAO, "1001", "listen", device="webrtc")
    assert floor.ami.last("Originate")["Channel"] == "PJSIP/supervisor-zhao.lei-web"


async def test_answer_switch_modes_by_dtmf_then_stop(floor: Floor) -> None:
    started = await floor.desk.start(ZHAO, "1001", "listen")
    sid = str(started["session"])
    floor.leg_rings(sid)
    with pytest.raises(SupervisionConflict, match="班长话机尚未接听：请先接听，再切换模式"):
        await floor.desk.mode(ZHAO, sid, "whisper")
    floor.leg_answers(sid)
    assert floor.desk.live[sid].phase is Phase.ACTIVE
    floor.clock.now += 10
    changed = await floor.desk.mode(ZHAO, sid, "whisper")
    assert (changed["mode"], changed["modes"]) == ("whisper", ["listen", "whisper"])
    assert floor.ami.last("PlayDTMF") == {"Action": "PlayDTMF", "Channel": LEG, "Digit": "5",
                                          "Duration": "100", "Receive": "true"}
    floor.clock.now += 5
    await floor.desk.mode(ZHAO, sid, "barge")
    assert floor.ami.last("PlayDTMF")["Digit"] == "6"
    floor.clock.now += 4
    stopped = await floor.desk.stop(ZHAO, sid)
    assert (stopped["phase"], stopped["reason"]) == ("ended", "stopped")
    assert floor.ami.last("Hangup")["Channel"] == LEG
    assert floor.desk.live == {}
    assert floor.desk.snapshot() == []
    (row,) = await floor.audit()
    assert (row["user"], row["role"], row["target"], row["result"]) == (
        "zhao.lei", "supervisor", "agent 1001", "ok")
    detail = row["detail"]
    for part in (f"session={sid}", "call=100.1", "modes=listen 10.0s, whisper 5.0s, barge 4.0s",
                 "duration_s=19.0", "reason=stopped", "started=", "ended="):
        assert part in detail, detail
    # the call itself is never touched
    assert not [a for a in floor.ami.sent if a.name == "Hangup"
                and a.as_dict()["Channel"] in (CALLER, AGENT)]


async def test_a_refused_mode_switch_keeps_the_mode(floor: Floor) -> None:
    sid = str((await floor.desk.start(ZHAO, "1001", "listen"))["session"])
    floor.leg_rings(sid)
    floor.leg_answers(sid)
    floor.ami.refuse.add("PlayDTMF")
    with pytest.raises(AmiActionFailed, match="监听模式未切换（仍为监听）"):
        await floor.desk.mode(ZHAO, sid, "barge")
    assert floor.desk.live[sid].mode is MonitorMode.LISTEN
    assert floor.desk.live[sid].modes == [("listen", 1000.0)]


async def test_the_call_ending_ends_the_session(floor: Floor) -> None:
    sid = str((await floor.desk.start(ZHAO, "1001", "barge"))["session"])
    floor.leg_rings(sid)
    floor.leg_answers(sid)
    floor.event(ev.Hangup(AGENT, "100.2", "100.1", 16, "Normal Clearing"), 30.0)
    assert floor.desk.live == {}
    (row,) = await floor.audit()
    assert "reason=call_ended" in row["detail"] and "modes=barge 30.0s" in row["detail"]
    # a second Hangup (the leg, ended by ChanSpy's E) changes nothing
    floor.event(ev.Hangup(LEG, f"mon-{sid}", f"mon-{sid}", 16, "Normal Clearing"))
    assert len(await floor.audit()) == 1


async def test_the_supervisor_hanging_up_ends_it(floor: Floor) -> None:
    sid = str((await floor.desk.start(ZHAO, "1001", "listen"))["session"])
    floor.leg_rings(sid)
    floor.leg_answers(sid)
    floor.event(ev.Hangup(LEG, f"mon-{sid}", f"mon-{sid}", 16, "Normal Clearing"), 8.0)
    (row,) = await floor.audit()
    assert "reason=supervisor_hung_up" in row["detail"]
    assert "Hangup" not in floor.ami.names()


async def test_an_unreachable_softphone_ends_it_unanswered(floor: Floor) -> None:
    sid = str((await floor.desk.start(ZHAO, "1001", "listen"))["session"])
    floor.event(ev.OriginateResponse("", f"mon-{sid}", f"mon-{sid}", False, 0))
    (row,) = await floor.audit()
    assert "reason=unreachable" in row["detail"] and "started=-" in row["detail"]
    assert "modes=listen" in row["detail"]


async def test_a_refused_originate_is_an_error_and_an_ended_session(floor: Floor) -> None:
    floor.ami.refuse.add("Originate")
    with pytest.raises(AmiActionFailed, match="无法呼叫班长话机：请检查班长话机已注册后重试"):
        await floor.desk.start(ZHAO, "1001", "listen")
    assert floor.desk.live == {}
    (row,) = await floor.audit()
    assert "reason=originate_failed" in row["detail"]


async def test_stopped_while_ringing_before_asterisk_named_the_leg(floor: Floor) -> None:
    sid = str((await floor.desk.start(ZHAO, "1001", "listen"))["session"])
    await floor.desk.stop(ZHAO, sid)
    assert "Hangup" not in floor.ami.names()
    floor.leg_rings(sid)  # the leg appears after all: hung up at once
    await floor.desk._tasks.wait()
    assert floor.ami.last("Hangup")["Channel"] == LEG


async def test_the_call_ending_while_the_supervisor_rings_stops_the_ringing(
        floor: Floor) -> None:
    sid = str((await floor.desk.start(ZHAO, "1001", "listen"))["session"])
    floor.leg_rings(sid)
    floor.event(ev.Hangup(AGENT, "100.2", "100.1", 16, "Normal Clearing"))
    await floor.desk._tasks.wait()
    assert floor.ami.last("Hangup")["Channel"] == LEG
    (row,) = await floor.audit()
    assert "reason=call_ended" in row["detail"]


async def test_refusals(floor: Floor) -> None:
    desk = floor.desk
    with pytest.raises(SupervisionConflict, match="话务员 1002 当前没有通话，无法监听"):
        await desk.start(ZHAO, "1002", "listen")
    with pytest.raises(UnknownAgent, match="没有工号为 9999 的话务员"):
        await desk.start(ZHAO, "9999", "listen")
    with pytest.raises(SupervisionError, match="没有这个监听模式"):
        await desk.start(ZHAO, "1001", "shout")
    with pytest.raises(SupervisionError, match="话机 'fax' 无效"):
        await desk.start(ZHAO, "1001", "listen", device="fax")
    with pytest.raises(SupervisionError, match="没有用于监听的话机"):
        await desk.start(QIAN, "1001", "listen")  # not in agents.yaml supervisors
    with pytest.raises(Forbidden, match="班长只能用自己的话机监听（赵磊）"):
        await desk.start(ZHAO, "1001", "listen", supervisor="qian.yu")
    with pytest.raises(SupervisionError, match="请指明用哪位班长的话机监听"):
        await desk.start(LOCAL, "1001", "listen")  # the CLI names whose softphone rings
    sid = str((await desk.start(LOCAL, "1001", "listen", supervisor="zhao.lei"))["session"])
    with pytest.raises(SupervisionConflict, match="赵磊正在监听话务员 1001：请先结束该监听"):
        await desk.start(ZHAO, "1001", "barge")
    with pytest.raises(UnknownSession):
        await desk.stop(ZHAO, "nope")
    other = Actor("sun.li", "http", "", Role.SUPERVISOR)
    with pytest.raises(Forbidden, match="这是班长赵磊的监听"):
        await desk.stop(other, sid)
    assert floor.ami.names() == ["Originate"]  # nothing else was sent


async def test_one_session_per_call() -> None:
    ami, tracker = FakeAmi(), CallTracker()
    agent_on_a_call(tracker)
    config = CONFIG.agents.model_copy(update={"supervisors": {
        **CONFIG.agents.supervisors, "sun.li": CONFIG.agents.supervisors["zhao.lei"]}})
    both = type(CONFIG)(CONFIG.directory, CONFIG.engine, CONFIG.prompts, CONFIG.hotlines,
                        CONFIG.queues, config, CONFIG.prefill)
    desk = MonitorDesk(ami.send, tracker, lambda: both, lambda: 5.0)
    started = await desk.start(ZHAO, "1001", "listen")
    assert tracker.calls["100.1"].monitoring == started["session"]  # on the call's record
    with pytest.raises(SupervisionConflict, match="已由班长赵磊监听"):
        await desk.start(Actor("sun.li", "http", "", Role.SUPERVISOR), "1001", "listen")
    await desk.stop(ZHAO, str(started["session"]))
    assert tracker.calls["100.1"].monitoring == ""
    await desk.start(Actor("sun.li", "http", "", Role.SUPERVISOR), "1001", "listen")
    await asyncio.sleep(0)


def test_the_supervisors_legs_are_not_calls() -> None:
    tracker = CallTracker()
    tracker.apply(ev.Newchannel(LEG, "mon-x", "mon-x", S.DOWN, "", "", "s", "cc-seats"), 1.0)
    assert tracker.calls == {}


async def _active(floor: Floor, actor: Actor = ZHAO) -> str:
    started = await floor.desk.start(actor, "1001", "listen")
    sid = str(started["session"])
    floor.leg_rings(sid)
    floor.leg_answers(sid)
    return sid


async def test_a_stop_asterisk_refuses_keeps_the_session(floor: Floor) -> None:
    sid = await _active(floor)
    floor.ami.refuse.add("Hangup")
    with pytest.raises(AmiActionFailed, match="未能挂断班长话机，监听仍在进行"):
        await floor.desk.stop(ZHAO, sid)
    assert floor.desk.live[sid].phase is Phase.ACTIVE  # the leg still listens: still a session
    assert await floor.audit() == []
    floor.ami.refuse.clear()
    await floor.desk.stop(ZHAO, sid)
    assert [a.as_dict()["Channel"] for a in floor.ami.sent if a.name == "Hangup"] == [LEG, LEG]
    (row,) = await floor.audit()
    assert "reason=stopped" in row["detail"]


async def test_ended_sessions_stay_on_the_board_a_minute_with_why(floor: Floor) -> None:
    sid = await _active(floor)
    await floor.desk.stop(ZHAO, sid)
    (shown,) = floor.desk.recent()
    assert (shown["session"], shown["phase"], shown["reason_text"]) == (sid, "ended",
                                                                        "班长结束了监听")
    assert floor.desk.snapshot() == []
    floor.clock.now += 61
    assert floor.desk.recent() == []


async def test_the_engine_stopping_ends_every_session(floor: Floor) -> None:
    sid = await _active(floor)
    await floor.desk.close()
    assert floor.desk.live == {}
    assert floor.ami.last("Hangup")["Channel"] == LEG
    (row,) = await floor.audit()
    assert f"session={sid}" in row["detail"] and "reason=engine_stopped" in row["detail"]


def _listed(channel: str, uid: str) -> ev.CoreShowChannel:
    return ev.CoreShowChannel(channel, uid, uid, S.UP, "", "", "s", "cc-seats", "ChanSpy", "",
                              30)


async def test_a_resync_hangs_up_legs_nobody_records_and_ends_gone_sessions(
        floor: Floor) -> None:
    sid = await _active(floor)
    stray = "PJSIP/supervisor-qian.yu-00000009"  # of a session an engine restart forgot
    await floor.desk.resynced([_listed(stray, "mon-0123456789ab"), _listed(AGENT, "100.2")])
    assert [a.as_dict()["Channel"] for a in floor.ami.sent if a.name == "Hangup"] == [stray]
    assert floor.desk.live == {}  # its own leg was not listed: hung up meanwhile
    (row,) = await floor.audit()
    assert f"session={sid}" in row["detail"] and "reason=supervisor_hung_up" in row["detail"]
    # a session whose leg is listed goes on
    sid = await _active(floor)
    await floor.desk.resynced([_listed(LEG, f"mon-{sid}")])
    assert floor.desk.live[sid].phase is Phase.ACTIVE


async def test_a_mode_keyed_on_the_supervisors_phone_is_known_and_audited(
        floor: Floor) -> None:
    sid = await _active(floor)
    uid = f"mon-{sid}"
    floor.clock.now += 10
    floor.event(ev.DTMFEnd(LEG, uid, uid, "6", True), 0.0)  # the keypad: barge
    session = floor.desk.live[sid]
    assert (session.mode, [m for m, _ in session.modes]) == (MonitorMode.BARGE,
                                                            ["listen", "barge"])
    assert "PlayDTMF" not in floor.ami.names()  # ChanSpy switched already
    floor.event(ev.DTMFEnd(LEG, uid, uid, "6", False), 0.0)  # sent, not received: nothing
    floor.event(ev.DTMFEnd(LEG, uid, uid, "9", True), 0.0)  # not a mode digit
    floor.event(ev.DTMFEnd(AGENT, "100.2", "100.1", "4", True), 0.0)  # not the leg
    assert [m for m, _ in session.modes] == ["listen", "barge"]
    floor.clock.now += 5
    await floor.desk.mode(ZHAO, sid, "whisper")  # the engine's own digit comes back:
    floor.event(ev.DTMFEnd(LEG, uid, uid, "5", True), 0.0)  # counted once
    floor.clock.now += 2
    await floor.desk.stop(ZHAO, sid)
    (row,) = await floor.audit()
    assert "modes=listen 10.0s, barge 5.0s, whisper 2.0s" in row["detail"], row["detail"]


def test_dtmf_end_frames_become_typed_events() -> None:
    frame = AmiFrame({"Event": "DTMFEnd", "Channel": LEG, "Uniqueid": "mon-1", "Linkedid":
                      "mon-1", "Digit": "5", "DurationMs": "100", "Direction": "Received"})
    assert adapt(frame) == ev.DTMFEnd(LEG, "mon-1", "mon-1", "5", True)
