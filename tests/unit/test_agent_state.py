from __future__ import annotations

from callcenter.agents.state import (
    OFFLINE,
    ONLINE,
    UNREACHABLE_REASON,
    AgentBoard,
    AgentState,
    LogoutAgent,
    PauseAgent,
    PhoneChange,
    StateChange,
    agent_of,
)
from callcenter.ami import events as ev

S = AgentState
IFACE = "PJSIP/agent-1001"


def member(cls: type[ev.QueueMemberEvent], queue: str = "q12345", paused: bool = False,
           reason: str = "", iface: str = IFACE,
           state: ev.DeviceState = ev.DeviceState.NOT_INUSE) -> ev.QueueMemberEvent:
    return cls(queue=queue, interface=iface, member_name=iface[-4:], state_interface=iface,
               status=state, paused=paused, paused_reason=reason, penalty=0,
               in_call=False, calls_taken=0, dynamic=True)


def called(caller: str = "1.1", iface: str = IFACE) -> ev.AgentCalled:
    return ev.AgentCalled("PJSIP/carrier-1", caller, caller, "q12345", iface, iface[-4:], "x")


def connect(caller: str = "1.1") -> ev.AgentConnect:
    return ev.AgentConnect("PJSIP/carrier-1", caller, caller, "q12345", IFACE, "1001", "x", 3, 1)


def complete(caller: str = "1.1") -> ev.AgentComplete:
    return ev.AgentComplete("PJSIP/carrier-1", caller, caller, "q12345", IFACE, "1001", 3, 60,
                            "caller")


def rna(caller: str = "1.1") -> ev.AgentRingNoAnswer:
    return ev.AgentRingNoAnswer("PJSIP/carrier-1", caller, caller, "q12345", IFACE, "1001", 15)


def changes(outcomes: list) -> list[tuple[S, S]]:  # type: ignore[type-arg]
    return [(o.before, o.after) for o in outcomes if isinstance(o, StateChange)]


def test_agent_of() -> None:
    assert agent_of("PJSIP/agent-1001") == "1001"
    assert agent_of("PJSIP/subcenter-12366") is None


def test_a_call_cycle_with_wrapup() -> None:
    board = AgentBoard({"q12345": 10}, ring_no_answer_limit=2)
    assert changes(board.apply(member(ev.QueueMemberAdded), 0)) == [(S.LOGGED_OUT, S.AVAILABLE)]
    assert changes(board.apply(member(ev.QueueMemberAdded, "q12315"), 0)) == []  # 2nd queue
    assert changes(board.apply(called(), 1)) == [(S.AVAILABLE, S.RINGING)]
    assert changes(board.apply(connect(), 2)) == [(S.RINGING, S.ON_CALL)]
    assert changes(board.apply(complete(), 60)) == [(S.ON_CALL, S.WRAPUP)]
    assert board.state("1001", 65) is S.WRAPUP
    assert board.tick(69, 60) == []
    assert board.tick(71, 69) == [StateChange("1001", S.WRAPUP, S.AVAILABLE, "wrap-up over")]
    assert board.status("1001").calls_taken == 1


def test_pause_with_reason_and_logout() -> None:
    board = AgentBoard({}, ring_no_answer_limit=2)
    board.apply(member(ev.QueueMemberAdded), 0)
    (change,) = board.apply(member(ev.QueueMemberPause, paused=True, reason="就餐"), 1)
    assert (change.before, change.after, change.reason) == (S.AVAILABLE, S.PAUSED, "就餐")  # type: ignore[union-attr]
    assert changes(board.apply(member(ev.QueueMemberPause), 2)) == [(S.PAUSED, S.AVAILABLE)]
    assert changes(board.apply(member(ev.QueueMemberRemoved), 3)) == [
        (S.AVAILABLE, S.LOGGED_OUT)]


def test_unanswered_rings_ask_for_a_pause() -> None:
    board = AgentBoard({}, ring_no_answer_limit=2)
    board.apply(member(ev.QueueMemberAdded), 0)
    board.apply(called("1.1"), 1)
    assert [o for o in board.apply(rna("1.1"), 16) if isinstance(o, PauseAgent)] == []
    board.apply(called("1.2"), 17)
    outcomes = board.apply(rna("1.2"), 32)
    assert PauseAgent("1001", "未接") in outcomes
    # answering resets the count
    board.apply(member(ev.QueueMemberPause), 33)
    board.apply(called("1.3"), 34)
    board.apply(connect("1.3"), 35)
    assert board.status("1001").unanswered_in_a_row == 0


def test_paused_while_on_call_stays_on_call_until_it_ends() -> None:
    board = AgentBoard({"q12345": 0}, ring_no_answer_limit=2)
    board.apply(member(ev.QueueMemberAdded), 0)
    board.apply(called(), 1)
    board.apply(connect(), 2)
    assert changes(board.apply(member(ev.QueueMemberPause, paused=True, reason="会议"), 3)) == []
    assert changes(board.apply(complete(), 30)) == [(S.ON_CALL, S.PAUSED)]


def test_interfaces_that_are_not_agents_are_ignored() -> None:
    board = AgentBoard({}, ring_no_answer_limit=2)
    assert board.apply(member(ev.QueueMemberAdded, iface="PJSIP/subcenter-12366"), 0) == []
    assert board.agents == {}


def test_recorded_real_agent_call() -> None:
    """Frames recorded from Asterisk 22: a pyVoIP agent added to q12345 answers a call."""
    from callcenter.ami.adapter import adapt
    from tests.recorded import recorded_frames

    board = AgentBoard({"q12345": 10}, ring_no_answer_limit=2)
    seen: list[tuple[S, S]] = []
    last_ts = 0.0
    for ts, frame in recorded_frames("ami_agent_call.jsonl"):
        event = adapt(frame)
        if event is not None:
            seen += changes(board.apply(event, ts))
        last_ts = ts
    assert seen == [(S.LOGGED_OUT, S.AVAILABLE), (S.AVAILABLE, S.RINGING),
                    (S.RINGING, S.ON_CALL), (S.ON_CALL, S.WRAPUP)]
    assert board.state("1001", last_ts + 11) is S.AVAILABLE


def test_resync_drops_memberships_that_ended_meanwhile() -> None:
    board = AgentBoard({}, ring_no_answer_limit=2)
    board.apply(member(ev.QueueMemberAdded, "q12345"), 0)
    board.apply(member(ev.QueueMemberAdded, "q12315"), 0)
    board.begin_resync()
    board.apply(member(ev.QueueMemberListed, "q12315"), 5)
    assert board.end_resync(5) == []
    assert board.status("1001").queues == {"q12315"}
    board.begin_resync()
    assert changes(board.end_resync(6)) == [(S.AVAILABLE, S.LOGGED_OUT)]


def status(state: ev.DeviceState) -> ev.QueueMemberEvent:
    event = member(ev.QueueMemberStatus)
    return ev.QueueMemberStatus(**{**{f: getattr(event, f) for f in event.__dataclass_fields__},
                                   "status": state})


def test_unreachable_softphone_is_logged_out_after_the_grace_period() -> None:
    board = AgentBoard({}, ring_no_answer_limit=2, logout_unreachable_after_s=30)
    board.apply(member(ev.QueueMemberAdded), 0)
    board.apply(status(ev.DeviceState.UNAVAILABLE), 10)
    assert board.tick(39, 38) == []
    # re-registered in time: nothing happens
    board.apply(status(ev.DeviceState.NOT_INUSE), 39)
    assert board.tick(60, 59) == []
    board.apply(status(ev.DeviceState.UNAVAILABLE), 61)
    assert board.tick(90, 89) == []
    assert board.tick(91, 90) == [LogoutAgent("1001", UNREACHABLE_REASON)]
    assert board.tick(92, 91) == []  # asked once
    (change,) = board.apply(member(ev.QueueMemberRemoved, state=ev.DeviceState.UNAVAILABLE), 92)
    assert change == StateChange("1001", S.AVAILABLE, S.LOGGED_OUT, UNREACHABLE_REASON)


def test_unreachable_logout_can_be_switched_off() -> None:
    board = AgentBoard({}, ring_no_answer_limit=2, logout_unreachable_after_s=0)
    board.apply(member(ev.QueueMemberAdded), 0)
    board.apply(status(ev.DeviceState.UNAVAILABLE), 1)
    assert board.tick(10_000, 9_999) == []


WEB = "PJSIP/agent-1001-web"


def device(name: str, state: ev.DeviceState) -> ev.DeviceStateChange:
    return ev.DeviceStateChange(device=name, state=state)


def test_the_phone_is_the_device_logged_in_with() -> None:
    """Online: the device the agent logged in with has a registered contact (logged out:
    either of theirs); offline, the agent is not counted as taking calls."""
    board = AgentBoard({}, ring_no_answer_limit=2)
    status_ = board.status("1001")
    assert status_.phone == OFFLINE  # never heard of: not registered
    assert board.apply(device(WEB, ev.DeviceState.NOT_INUSE), 0) == [
        PhoneChange("1001", ONLINE, WEB)]
    board.apply(member(ev.QueueMemberAdded, iface=WEB), 1)
    assert status_.phone == ONLINE and status_.takes_calls(1)
    # the desk phone does not matter while the browser's answers
    assert board.apply(device(IFACE, ev.DeviceState.NOT_INUSE), 2) == []
    assert board.apply(device(WEB, ev.DeviceState.UNAVAILABLE), 3) == [
        PhoneChange("1001", OFFLINE, WEB)]
    assert status_.state(3) is S.AVAILABLE and not status_.takes_calls(3)
    # back (a reloaded page registers again)
    assert board.apply(device(WEB, ev.DeviceState.NOT_INUSE), 4) == [
        PhoneChange("1001", ONLINE, WEB)]
    board.apply(device(WEB, ev.DeviceState.UNAVAILABLE), 5)
    # logged out: the desk phone is registered, so the agent has a phone to log in with
    outcomes = board.apply(member(ev.QueueMemberRemoved, iface=WEB,
                                  state=ev.DeviceState.UNAVAILABLE), 6)
    assert PhoneChange("1001", ONLINE, WEB) in outcomes


def test_a_queue_members_status_is_its_phones_state() -> None:
    board = AgentBoard({}, ring_no_answer_limit=2)
    board.apply(member(ev.QueueMemberAdded), 0)
    assert board.status("1001").phone == ONLINE
    outcomes = board.apply(status(ev.DeviceState.UNAVAILABLE), 1)
    assert outcomes == [PhoneChange("1001", OFFLINE, IFACE)]
    assert board.apply(status(ev.DeviceState.INUSE), 2) == [PhoneChange("1001", ONLINE, IFACE)]


def test_a_resync_reads_the_phones_too() -> None:
    """DeviceStateList's items are DeviceStateChange events; a membership that ended while
    the engine was away leaves the agent's phone as either device says."""
    board = AgentBoard({}, ring_no_answer_limit=2)
    board.apply(member(ev.QueueMemberAdded, iface=WEB), 0)
    board.apply(device(WEB, ev.DeviceState.NOT_INUSE), 0)
    board.begin_resync()
    board.apply(device(WEB, ev.DeviceState.UNAVAILABLE), 10)
    board.apply(device(IFACE, ev.DeviceState.UNAVAILABLE), 10)
    outcomes = board.end_resync(10)
    assert StateChange("1001", S.AVAILABLE, S.LOGGED_OUT, "resync") in outcomes
    assert board.status("1001").phone == OFFLINE and board.status("1001").interface == ""
