"""A transfer's phases and transitions, and the board's rules: pure, time passed in, no event
loop (the desk that carries the effects out is tested in test_transfers.py)."""

from __future__ import annotations

import pytest

from callcenter.ami import events as ev
from callcenter.calls.state import LiveCall
from callcenter.config.loader import load_config
from callcenter.errors import TransferConflict
from callcenter.paths import PROJECT_ROOT
from callcenter.transfers.board import DIAL_EVENT, TOGETHER, Together, TransferBoard
from callcenter.transfers.destinations import resolve
from callcenter.transfers.model import Outcome, Phase, Transfer, TransferMode
from callcenter.transfers.outcomes import (
    AwaitDialReason,
    CallerReleased,
    CallerToQueue,
    Closed,
    Effect,
    HandOver,
    HangUp,
    LeaveRoom,
    MoveToRoom,
    PhaseChanged,
    RecordHandoff,
    Rejoin,
    Watch,
)
from callcenter.transfers.state import (
    BACK_IN_QUEUE,
    GRACE_S,
    REASON_WAIT_S,
    handover,
    is_over,
    state_of,
)

HOTLINES = load_config(PROJECT_ROOT / "config").hotlines
CALLER, AGENT = "PJSIP/carrier-00000001", "PJSIP/agent-1001-00000002"
DEST = "Local/dial@cc-xfer-dest-0000000a;1"
S = ev.ChannelState


def transfer(mode: TransferMode = TransferMode.CONFERENCE, wanted: str = "12366") -> Transfer:
    t = Transfer(id="t1", call_id="100.1", agent="1001", destination=resolve(HOTLINES, wanted),
                 mode=mode, caller_channel=CALLER, caller_uid="100.1", agent_channel=AGENT,
                 started_at=10.0)
    if mode is not TransferMode.BLIND:
        t.dest_uid = "xfer-t1-dest"
    return t


def kinds(effects: list[Effect]) -> list[str]:
    return [type(e).__name__ for e in effects]


def change(effects: list[Effect], index: int = 0) -> PhaseChanged:
    found = effects[index]
    assert isinstance(found, PhaseChanged)
    return found


def answered(mode: TransferMode = TransferMode.CONFERENCE) -> Transfer:
    t = transfer(mode)
    state_of(t).answered(t, 12.0, DEST)
    return t


def completed(mode: TransferMode = TransferMode.CONFERENCE) -> Transfer:
    t = answered(mode) if mode is not TransferMode.BLIND else transfer(mode)
    if mode is TransferMode.BLIND:
        state_of(t).answered(t, 12.0, "PJSIP/subcenter-12366-00000009")
    else:
        state_of(t).completed_by_agent(t, 14.0)
    assert t.phase is Phase.COMPLETED
    return t


# -- ringing ---------------------------------------------------------------------------------

def test_answered_records_the_answer_and_the_handoff() -> None:
    t = transfer()
    effects = state_of(t).answered(t, 12.5, DEST)
    assert (t.phase, t.answered_at, t.dest_channel) == (Phase.ANSWERED, 12.5, DEST)
    assert kinds(effects) == ["PhaseChanged", "RecordHandoff"]
    assert change(effects).phase is Phase.ANSWERED and change(effects).ts == 12.5
    assert change(effects).view["phase"] == "answered"
    assert effects[1] == RecordHandoff(t, 12.5)


def test_a_blind_transfer_is_completed_when_answered() -> None:
    t = transfer(TransferMode.BLIND)
    effects = state_of(t).answered(t, 15.0, "PJSIP/agent-2004-00000009")
    assert kinds(effects) == ["PhaseChanged", "RecordHandoff", "PhaseChanged"]
    first, done = change(effects), change(effects, 2)
    assert first.view["phase"] == "answered"  # as it was when it was answered
    assert (done.phase, done.outcome, done.by, done.view["phase"]) == (
        Phase.COMPLETED, Outcome.COMPLETED, "agent", "completed")
    assert (t.phase, t.completed_at, t.outcome) == (Phase.COMPLETED, 15.0, Outcome.COMPLETED)


@pytest.mark.parametrize(("mode", "moves"), [
    (TransferMode.CONFERENCE, ()),
    (TransferMode.ATTENDED, (MoveToRoom(DEST, "xfer-t1"),))])
def test_an_answer_after_the_agent_hung_up_hands_the_caller_over(
        mode: TransferMode, moves: tuple[MoveToRoom, ...]) -> None:
    t = transfer(mode)
    assert state_of(t).agent_hung_up(t, 11.0) == [] and t.agent_gone
    effects = state_of(t).answered(t, 12.0, DEST)
    assert effects[-1] == HandOver(t, 12.0, "agent_hung_up", moves)
    assert t.phase is Phase.ANSWERED  # completed once the moves are done


def test_dial_failed_ends_the_transfer_and_brings_the_caller_back() -> None:
    t = transfer()
    effects = state_of(t).dial_failed(t, "CHANUNAVAIL", 13.0)
    assert kinds(effects) == ["PhaseChanged", "Closed", "Rejoin"]
    failed = change(effects)
    assert (failed.phase, failed.outcome, failed.reason) == (Phase.ENDED, Outcome.FAILED,
                                                             "unavailable")
    assert "未注册" in failed.reason_text and failed.view["outcome"] == "failed"
    assert (t.completed_at, t.ended_at, t.reason) == (13.0, 13.0, "unavailable")
    assert effects[1:] == [Closed(t, 13.0), Rejoin(t)] and is_over(t)
    assert state_of(t).dial_failed(t, "BUSY", 14.0) == []  # only once


def test_dial_failed_with_the_leg_up_stays_until_the_leg_is_gone() -> None:
    t = transfer(TransferMode.ATTENDED)
    t.dest_channel = DEST
    effects = state_of(t).dial_failed(t, "WEIRD", 13.0)
    assert kinds(effects) == ["PhaseChanged", "Rejoin"]
    assert (t.reason, t.reason_text) == ("weird", "转接失败（WEIRD）")
    assert not is_over(t)
    assert state_of(t).destination_hung_up(t, 13.2) == [Closed(t, 13.2)] and is_over(t)


def test_a_failed_blind_transfer_says_the_caller_is_back_in_the_queue() -> None:
    t = transfer(TransferMode.BLIND)
    effects = state_of(t).dial_failed(t, "BUSY", 13.0)
    assert kinds(effects) == ["PhaseChanged", "Closed"]  # the dialplan requeues the caller
    assert t.reason_text == "对方座席忙" + BACK_IN_QUEUE


def test_an_originate_failure_waits_for_the_dialplans_reason() -> None:
    t = transfer()
    assert state_of(t).originate_rejected(t, 5) == [
        AwaitDialReason(t, REASON_WAIT_S, " (reason 5)")]
    assert t.phase is Phase.RINGING
    effects = state_of(t).originate_failed(t, 12.0, " (reason 5)")
    assert kinds(effects) == ["PhaseChanged", "Closed", "Rejoin"]
    assert (t.reason, t.reason_text) == ("originate_failed", "无法呼叫对方 (reason 5)")


def test_the_dialplans_reason_first_makes_the_originate_failure_moot() -> None:
    t = transfer()
    state_of(t).dial_failed(t, "CONGESTION", 11.5)
    assert state_of(t).originate_rejected(t, 5) == []
    assert state_of(t).originate_failed(t, 12.0, " (reason 5)") == []
    assert t.reason == "congestion"


def test_a_refused_redirect_fails_without_moving_anybody() -> None:
    t = transfer()
    effects = state_of(t).redirect_failed(t, 10.5, "Redirect: Channel does not exist")
    assert kinds(effects) == ["PhaseChanged", "Closed"]  # no Rejoin
    assert t.reason_text == "无法移动通话（通话可能已结束）: Redirect: Channel does not exist"


def test_the_watchdog_starts_when_dialing_and_fails_a_transfer_still_ringing() -> None:
    t = transfer()
    assert state_of(t).dialing(t) == [Watch(t, t.destination.answer_timeout_s + GRACE_S)]
    t.dest_channel = DEST
    effects = state_of(t).watchdog_expired(t, 40.0)
    assert kinds(effects) == ["PhaseChanged", "HangUp", "Rejoin"]
    assert effects[1] == HangUp(DEST) and (t.reason, t.completed_at) == ("timeout", 40.0)
    assert state_of(t).dialing(t) == []


def test_the_watchdog_without_a_leg_closes_at_once() -> None:
    t = transfer(TransferMode.ATTENDED)
    assert kinds(state_of(t).watchdog_expired(t, 40.0)) == ["PhaseChanged", "Closed", "Rejoin"]


def test_the_watchdog_leaves_an_answered_transfer_alone() -> None:
    t = answered()
    assert state_of(t).watchdog_expired(t, 40.0) == [] and t.phase is Phase.ANSWERED


def test_the_caller_hanging_up_cancels() -> None:
    t = transfer()
    effects = state_of(t).caller_hung_up(t, 11.0)
    assert kinds(effects) == ["PhaseChanged", "Closed"]  # nobody to bring back
    assert (t.outcome, t.reason, t.reason_text) == (Outcome.CANCELLED, "caller_hung_up",
                                                    "来电人已挂机")
    assert is_over(t)


def test_the_destination_hanging_up_while_ringing_fails() -> None:
    t = transfer()
    t.dest_channel = DEST
    effects = state_of(t).destination_hung_up(t, 11.0)
    assert kinds(effects) == ["PhaseChanged", "Rejoin", "Closed"]
    assert (t.outcome, t.reason) == (Outcome.FAILED, "destination_hung_up")


def test_cancelling_while_ringing() -> None:
    t = transfer()
    effects = state_of(t).cancelled_by_agent(t, 11.0)
    assert kinds(effects) == ["PhaseChanged", "Closed", "Rejoin"]  # no leg to hang up
    assert (t.outcome, t.reason, t.reason_text) == (Outcome.CANCELLED, "agent_cancelled",
                                                    "话务员取消了转接")


def test_completing_needs_an_answer() -> None:
    t = transfer()
    assert state_of(t).completed_by_agent(t, 11.0) == [] and t.phase is Phase.RINGING


# -- answered ------------------------------------------------------------------------------

def test_completed_by_agent() -> None:
    t = answered()
    effects = state_of(t).completed_by_agent(t, 14.0)
    done = change(effects)
    assert (done.phase, done.outcome, done.by, done.ts) == (Phase.COMPLETED, Outcome.COMPLETED,
                                                            "agent", 14.0)
    assert (t.phase, t.completed_at, t.ended_at) == (Phase.COMPLETED, 14.0, None)


def test_cancelling_after_the_answer_hangs_up_the_destination() -> None:
    t = answered(TransferMode.ATTENDED)
    effects = state_of(t).cancelled_by_agent(t, 14.0)
    assert effects[1:] == [HangUp(DEST), Rejoin(t)]
    assert change(effects).outcome is Outcome.CANCELLED and not is_over(t)


def test_the_agent_hanging_up_after_the_answer_hands_over_once() -> None:
    t = answered(TransferMode.ATTENDED)
    assert state_of(t).agent_hung_up(t, 14.0) == [
        HandOver(t, 14.0, "agent_hung_up", (MoveToRoom(DEST, "xfer-t1"),))]
    assert state_of(t).agent_hung_up(t, 14.1) == []
    effects = state_of(t).completed_by_agent(t, 14.0, "agent_hung_up")
    assert change(effects).by == "agent_hung_up" and t.phase is Phase.COMPLETED


def test_the_destination_hanging_up_after_the_answer_cancels_and_rejoins() -> None:
    t = answered()
    effects = state_of(t).destination_hung_up(t, 20.0)
    assert kinds(effects) == ["PhaseChanged", "Rejoin", "Closed"]
    assert (t.outcome, t.reason) == (Outcome.CANCELLED, "destination_hung_up")
    # a hand-over that was under way when it hung up does not complete it any more
    assert state_of(t).completed_by_agent(t, 20.5, "agent_hung_up") == []
    assert t.outcome is Outcome.CANCELLED


def test_the_moves_of_completing() -> None:
    assert handover(answered()) == [LeaveRoom("xfer-t1", AGENT)]
    assert handover(answered(TransferMode.ATTENDED)) == [
        MoveToRoom(DEST, "xfer-t1", required=True), LeaveRoom("xfer-t1-consult", AGENT)]


# -- completed -----------------------------------------------------------------------------

def test_the_destination_ending_a_completed_transfer_ends_the_callers_call() -> None:
    t = completed()
    assert state_of(t).destination_hung_up(t, 30.0) == [HangUp(CALLER), Closed(t, 30.0)]
    assert t.phase is Phase.ENDED and is_over(t)


def test_a_completed_blind_transfer_just_closes() -> None:
    t = completed(TransferMode.BLIND)
    assert state_of(t).destination_hung_up(t, 30.0) == [Closed(t, 30.0)]


def test_the_caller_hanging_up_closes_a_completed_transfer() -> None:
    t = completed()
    assert state_of(t).caller_hung_up(t, 30.0) == [Closed(t, 30.0)] and is_over(t)
    assert state_of(t).destination_hung_up(t, 30.5) == []  # closed once
    assert t.outcome is Outcome.COMPLETED


def test_a_completed_transfer_ignores_the_agent_and_the_commands() -> None:
    t = completed()
    assert state_of(t).agent_hung_up(t, 15.0) == [] and t.agent_gone
    assert state_of(t).cancelled_by_agent(t, 15.0) == []
    assert state_of(t).completed_by_agent(t, 15.0) == []
    assert state_of(t).answered(t, 15.0, "other") == [] and t.dest_channel == DEST


# -- the board -----------------------------------------------------------------------------

def records() -> dict[str, LiveCall]:
    """The record of the call transferred (100.1), as the call tracker holds it."""
    return {"100.1": LiveCall("100.1", 1.0, inbound_channel=CALLER, agent="1001",
                              agent_channel=AGENT)}


def record(board: TransferBoard) -> LiveCall:
    call = board.call_of("100.1")
    assert call is not None
    return call


def board_with(t: Transfer) -> TransferBoard:
    board = TransferBoard(records().get)
    board.add(t)
    if t.mode is not TransferMode.BLIND:
        assert board.leg_ordered(t) == "xfer-t1-dest"
    return board


def dial_event(status: str, transfer_id: str = "t1") -> ev.UserEvent:
    return ev.UserEvent("Local/dial@cc-xfer-dest-0000000a;2", "x.2", "xfer-t1-dest",
                        DIAL_EVENT, (("Transfer", transfer_id), ("DialStatus", status)))


def test_the_board_reads_the_destination_leg_from_ami_events() -> None:
    t = transfer(TransferMode.ATTENDED)
    board = board_with(t)
    assert board.is_leg("xfer-t1-dest") and not board.is_leg("100.1")
    board.apply(ev.Newchannel(DEST, "xfer-t1-dest", "xfer-t1-dest", S.DOWN, "", "", "dial",
                              "cc-xfer-dest"), 11.0)
    assert t.dest_channel == DEST
    assert board.apply(ev.ConfbridgeJoin(DEST, "xfer-t1-dest", "xfer-t1-dest", "xfer-t1"),
                       12.0) == []  # not the room it answers into
    effects = board.apply(ev.ConfbridgeJoin(DEST, "xfer-t1-dest", "xfer-t1-dest",
                                            "xfer-t1-consult"), 12.0)
    assert kinds(effects) == ["PhaseChanged", "RecordHandoff"] and t.phase is Phase.ANSWERED
    assert board.of_agent("1001") is t and board.to_complete("1001") is t


def test_the_board_reads_the_dialplans_reason() -> None:
    t = transfer()
    board = board_with(t)
    assert board.apply(dial_event("ANSWER"), 12.0) == []
    assert board.apply(dial_event("BUSY", "other"), 12.0) == []
    effects = board.apply(dial_event("BUSY"), 13.0)
    assert kinds(effects) == ["PhaseChanged", "Closed", "Rejoin"] and t.reason == "busy"
    assert board.live == {} and board.of_agent("1001") is None


def test_the_board_reads_a_failed_originate() -> None:
    t = transfer()
    board = board_with(t)
    assert board.apply(ev.OriginateResponse("", "xfer-t1-dest", "xfer-t1-dest", True, 4),
                       11.0) == []
    assert board.apply(ev.OriginateResponse("", "xfer-t1-dest", "xfer-t1-dest", False, 5),
                       11.0) == [AwaitDialReason(t, REASON_WAIT_S, " (reason 5)")]
    assert kinds(board.originate_failed(t, 12.0, " (reason 5)")) == [
        "PhaseChanged", "Closed", "Rejoin"]
    assert board.live == {}


@pytest.mark.parametrize("event", [
    ev.DialEnd(CALLER, "100.1", "100.1", "PJSIP/subcenter-12366-00000009", "9.1",
               ev.DialStatus.ANSWER),
    ev.AgentConnect(CALLER, "100.1", "100.1", "q12333", "PJSIP/agent-2004", "2004",
                    "PJSIP/subcenter-12366-00000009", 2, 2)])
def test_the_board_sees_a_blind_transfer_answered_by_the_callers_own_dial(
        event: ev.AmiEvent) -> None:
    t = transfer(TransferMode.BLIND)
    board = board_with(t)
    busy = ev.DialEnd(CALLER, "100.1", "100.1", "PJSIP/x-1", "9.0", ev.DialStatus.BUSY)
    assert board.apply(busy, 14.0) == []
    effects = board.apply(event, 15.0)
    assert kinds(effects) == ["PhaseChanged", "RecordHandoff", "PhaseChanged"]
    assert t.dest_channel == "PJSIP/subcenter-12366-00000009" and t.phase is Phase.COMPLETED
    assert board.apply(ev.Hangup(AGENT, "100.2", "100.1", 16, ""), 16.0) == []
    assert board.apply(ev.Hangup("PJSIP/subcenter-12366-00000009", "9.1", "100.1", 16, ""),
                       30.0) == [Closed(t, 30.0)]
    assert board.live == {}


def test_the_board_tells_the_parties_apart_on_hangup() -> None:
    t = transfer()
    board = board_with(t)
    board.apply(ev.ConfbridgeJoin(DEST, "xfer-t1-dest", "xfer-t1-dest", "xfer-t1"), 12.0)
    assert board.apply(ev.Hangup(AGENT, "100.2", "100.1", 16, ""), 13.0) == [
        HandOver(t, 13.0, "agent_hung_up", ())]
    assert kinds(board.completed_by_agent(t, 13.0, "agent_hung_up")) == ["PhaseChanged"]
    assert board.apply(ev.Hangup(DEST, "xfer-t1-dest", "xfer-t1-dest", 16, ""), 30.0) == [
        HangUp(CALLER), Closed(t, 30.0)]
    assert board.live == {}


def test_the_calls_record_names_its_transfer_and_leg_until_it_is_over() -> None:
    """The transfer going on is on the call's record; its destination leg is no call of its
    own (no ticket) while the transfer lives — answered and completed too."""
    t = transfer()
    board = board_with(t)
    assert record(board).transfer == "t1" and board.is_leg("xfer-t1-dest")
    board.apply(ev.ConfbridgeJoin(DEST, "xfer-t1-dest", "xfer-t1-dest", "xfer-t1"), 12.0)
    board.completed_by_agent(t, 14.0)
    assert record(board).transfer == "t1" and board.is_leg("xfer-t1-dest")
    board.apply(ev.Hangup(DEST, "xfer-t1-dest", "xfer-t1-dest", 16, ""), 30.0)
    assert board.live == {} and record(board).transfer == ""
    assert not board.is_leg("xfer-t1-dest")


def test_the_commands_checks() -> None:
    board = TransferBoard(records().get)
    with pytest.raises(TransferConflict, match="没有进行中的转接"):
        board.to_cancel("1001")
    t = transfer()
    board.add(t)
    with pytest.raises(TransferConflict, match="对方尚未接听（振铃中）"):
        board.to_complete("1001")
    assert board.to_cancel("1001") is t
    blind = TransferBoard(records().get)
    blind.add(transfer(TransferMode.BLIND))
    with pytest.raises(TransferConflict, match="自动完成"):
        blind.to_complete("1001")
    with pytest.raises(TransferConflict, match="不能取消"):
        blind.to_cancel("1001")


def test_cancel_through_the_board() -> None:
    t = transfer()
    board = board_with(t)
    effects = board.cancelled_by_agent(t, 11.0)
    assert kinds(effects) == ["PhaseChanged", "Closed", "Rejoin"] and board.live == {}
    assert board.watchdog_expired(t, 40.0) == []


# -- rejoin, and the agent hanging up on a caller left in a room ----------------------------

def failed(mode: TransferMode = TransferMode.CONFERENCE) -> tuple[TransferBoard, Transfer]:
    t = transfer(mode)
    board = board_with(t)
    board.apply(dial_event("CHANUNAVAIL"), 13.0)
    return board, t


def test_rejoin_leaves_caller_and_agent_together() -> None:
    board, t = failed()
    assert board.rejoin(t, caller_up=True, agent_up=True) == []  # already in one room
    assert record(board).attached(TOGETHER) == Together(AGENT, CALLER)


def test_rejoin_brings_the_consulting_agent_back() -> None:
    board, t = failed(TransferMode.ATTENDED)
    assert board.rejoin(t, caller_up=True, agent_up=True) == [MoveToRoom(AGENT, "xfer-t1")]


def test_rejoin_without_the_agent_puts_the_caller_back_in_the_queue() -> None:
    board, t = failed()
    assert board.rejoin(t, caller_up=True, agent_up=False) == [CallerToQueue(CALLER)]
    t.agent_gone = True
    assert board.rejoin(t, caller_up=True, agent_up=True) == [CallerToQueue(CALLER)]
    assert record(board).attached(TOGETHER) is None


def test_rejoin_without_the_caller_or_for_blind_does_nothing() -> None:
    board, t = failed()
    assert board.rejoin(t, caller_up=False, agent_up=True) == []
    blind = transfer(TransferMode.BLIND)
    assert board.rejoin(blind, caller_up=True, agent_up=True) == []
    assert record(board).attached(TOGETHER) is None


def test_the_agent_hanging_up_after_a_rejoin_ends_the_callers_call() -> None:
    board, t = failed()
    board.rejoin(t, caller_up=True, agent_up=True)
    assert board.apply(ev.Hangup(AGENT, "100.2", "100.1", 16, ""), 20.0) == [
        CallerReleased("100.1", 20.0), HangUp(CALLER)]
    assert record(board).attached(TOGETHER) is None


def test_the_caller_hanging_up_first_ends_the_watch() -> None:
    board, t = failed()
    board.rejoin(t, caller_up=True, agent_up=True)
    assert board.apply(ev.Hangup(CALLER, "100.1", "100.1", 16, ""), 20.0) == []
    assert board.apply(ev.Hangup(AGENT, "100.2", "100.1", 16, ""), 20.5) == []


def test_a_new_transfer_takes_over_from_the_watch() -> None:
    board, t = failed()
    board.rejoin(t, caller_up=True, agent_up=True)
    board.add(transfer())
    assert record(board).attached(TOGETHER) is None


def test_the_agent_leaving_because_it_asked_to_complete_is_that_completion() -> None:
    """complete() kicks the agent out of the room; its hang-up arrives while the moves are
    under way and must not be taken for a hang-up hand-over (by=agent_hung_up)."""
    t = answered()
    t.completing = True
    assert state_of(t).agent_hung_up(t, 14.0) == [] and t.agent_gone
    effects = state_of(t).completed_by_agent(t, 14.1)
    assert change(effects).transfer.phase is Phase.COMPLETED
    assert t.outcome is Outcome.COMPLETED
