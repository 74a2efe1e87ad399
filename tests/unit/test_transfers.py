"""The transfer desk's rules on typed events, with a fake AMI that records the actions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.ami import events as ev
from callcenter.calls.state import CallTracker
from callcenter.config.loader import load_config
from callcenter.errors import TransferError
from callcenter.paths import PROJECT_ROOT
from callcenter.store.db import MIGRATIONS, Store
from callcenter.tickets.store import TicketOpen, Tickets
from callcenter.transfers.desk import TransferDesk
from callcenter.transfers.destinations import DestinationKind, resolve
from callcenter.transfers.records import TransferRecords
from tests.unit.live import AGENT, CALLER, FakeAmi, agent_on_a_call

HOTLINES = load_config(PROJECT_ROOT / "config").hotlines
S = ev.ChannelState


def desk_with_call(ami: FakeAmi) -> tuple[TransferDesk, CallTracker]:
    tracker = CallTracker()
    agent_on_a_call(tracker)
    return TransferDesk(lambda: HOTLINES, ami.send, tracker, lambda: 10.0), tracker


def dest_joins(desk: TransferDesk, room: str) -> None:
    (t,) = desk.live.values()
    desk.on_event(ev.Newchannel("Local/dial@cc-xfer-dest-0000000a;1", t.dest_uid, t.dest_uid,
                                S.DOWN, "", "", "dial", "cc-xfer-dest"), 11.0)
    desk.on_event(ev.ConfbridgeJoin("Local/dial@cc-xfer-dest-0000000a;1", t.dest_uid,
                                    t.dest_uid, room), 12.0)


def dial_failed(desk: TransferDesk, status: str) -> None:
    (t,) = desk.live.values()
    desk.on_event(ev.UserEvent("Local/dial@cc-xfer-dest-0000000a;2", "x.2", t.dest_uid,
                               "CcTransferDial", (("Transfer", t.id), ("DialStatus", status))),
                  13.0)


# -- destinations ---------------------------------------------------------------------------

def test_destinations_by_number_queue_or_name() -> None:
    tax = resolve(HOTLINES, "12366")
    assert (tax.kind, tax.target, tax.answer_timeout_s) == (
        DestinationKind.SUBCENTER, "PJSIP/subcenter-12366", 20)
    social = resolve(HOTLINES, " 12333 ")
    assert (social.kind, social.target, social.experts) == (DestinationKind.QUEUE, "q12333",
                                                            True)
    assert resolve(HOTLINES, "q12329").number == "12329"
    assert resolve(HOTLINES, "全国税务系统统一电话").number == "12366"
    with pytest.raises(TransferError, match="已整体并入 12345"):
        resolve(HOTLINES, "12396")
    with pytest.raises(TransferError, match=r"没有转接目标 '8888'.*12366"):
        resolve(HOTLINES, "8888")
    with pytest.raises(TransferError, match="请选择转接目标"):
        resolve(HOTLINES, "")


# -- the desk --------------------------------------------------------------------------------

async def test_conference_moves_both_then_originates_and_completes_by_kicking_the_agent() -> None:
    ami = FakeAmi()
    desk, _tracker = desk_with_call(ami)
    started = await desk.start("1001", "12366", "conference", wait=False)
    assert started["phase"] == "ringing"
    assert ami.names() == ["Setvar"] * 4 + ["Redirect", "Originate"]
    redirect = ami.last("Redirect")
    assert (redirect["Channel"], redirect["ExtraChannel"], redirect["Context"]) == (
        CALLER, AGENT, "cc-xfer-room")
    originate = ami.last("Originate")
    assert originate["Channel"] == "Local/dial@cc-xfer-dest/n"
    assert "CC_XFER_DIAL=PJSIP/subcenter-12366" in originate["Variable"]
    room = f"xfer-{started['transfer']}"
    assert f"CC_XFER_ROOM={room}" in originate["Variable"]
    with pytest.raises(TransferError, match="对方尚未接听"):
        await desk.complete("1001")
    dest_joins(desk, room)
    (t,) = desk.live.values()
    assert t.phase.value == "answered" and t.settled.is_set()
    done = await desk.complete("1001")
    assert done["outcome"] == "completed"
    kick = ami.last("ConfbridgeKick")
    assert (kick["Conference"], kick["Channel"]) == (room, AGENT)
    # the sub-center hangs up later: the caller must not stay alone in the room
    desk.on_event(ev.Hangup("Local/dial@cc-xfer-dest-0000000a;1", t.dest_uid, t.dest_uid, 16,
                            "Normal Clearing"), 30.0)
    await asyncio.sleep(0)
    assert ami.last("Hangup")["Channel"] == CALLER
    assert desk.live == {}


async def test_failed_conference_leaves_caller_and_agent_together() -> None:
    ami = FakeAmi()
    desk, _ = desk_with_call(ami)
    await desk.start("1001", "12313", "conference", wait=False)
    (t,) = desk.live.values()
    dial_failed(desk, "CHANUNAVAIL")
    assert (t.outcome, t.reason) == ("failed", "unavailable")
    assert "未注册" in t.reason_text
    await asyncio.sleep(0)
    assert ami.names().count("Redirect") == 1  # nobody moved again: they are in one room


async def test_failed_attended_brings_the_agent_back_to_the_caller() -> None:
    ami = FakeAmi()
    desk, _ = desk_with_call(ami)
    started = await desk.start("1001", "12305", "attended", wait=False)
    redirect = ami.last("Redirect")
    assert "ExtraChannel" in redirect  # caller to the room, agent to the consult room
    setvars = [a.as_dict() for a in ami.sent if a.name == "Setvar"]
    assert {"Channel": AGENT, "Variable": "CC_XFER_ROOM",
            "Value": f"xfer-{started['transfer']}-consult", "Action": "Setvar"} in setvars
    dial_failed(desk, "NOANSWER")
    await asyncio.sleep(0)
    back = ami.last("Redirect")
    assert (back["Channel"], back["Context"]) == (AGENT, "cc-xfer-room")
    assert ami.last("Setvar")["Value"] == f"xfer-{started['transfer']}"


async def test_agent_gone_and_transfer_failed_puts_the_caller_back_in_the_queue() -> None:
    ami = FakeAmi()
    desk, tracker = desk_with_call(ami)
    await desk.start("1001", "12366", "conference", wait=False)
    hangup = ev.Hangup(AGENT, "100.2", "100.1", 16, "Normal Clearing")
    tracker.apply(hangup, 12.0)
    desk.on_event(hangup, 12.0)
    dial_failed(desk, "BUSY")
    await asyncio.sleep(0)
    back = ami.last("Redirect")
    assert (back["Channel"], back["Context"]) == (CALLER, "cc-xfer-back")


async def test_attended_cancel_hangs_up_the_destination_and_rejoins() -> None:
    ami = FakeAmi()
    desk, _ = desk_with_call(ami)
    started = await desk.start("1001", "12366", "attended", wait=False)
    dest_joins(desk, f"xfer-{started['transfer']}-consult")
    cancelled = await desk.cancel("1001")
    assert (cancelled["outcome"], cancelled["reason"]) == ("cancelled", "agent_cancelled")
    assert ami.last("Hangup")["Channel"] == "Local/dial@cc-xfer-dest-0000000a;1"
    assert ami.last("Redirect")["Channel"] == AGENT
    with pytest.raises(TransferError, match="没有进行中的转接"):
        await desk.complete("1001")


async def test_blind_goes_by_dialplan_and_completes_on_answer() -> None:
    ami = FakeAmi()
    desk, _ = desk_with_call(ami)
    started = await desk.start("1001", "12333", "blind", wait=False)
    assert ami.last("Redirect") == {"Action": "Redirect", "Channel": CALLER,
                                    "Context": "cc-xfer-blind", "Exten": "queue",
                                    "Priority": "1"}
    values = {a.as_dict()["Variable"]: a.as_dict()["Value"] for a in ami.sent
              if a.name == "Setvar"}
    assert values["CC_XFER_QUEUE"] == "q12333" and values["CC_XFER_BACK"] == "q12345"
    with pytest.raises(TransferError, match="不能取消"):
        await desk.cancel("1001")
    desk.on_event(ev.AgentConnect(CALLER, "100.1", "100.1", "q12333", "PJSIP/agent-2004",
                                  "2004", "PJSIP/agent-2004-00000009", 2, 2), 15.0)
    (t,) = desk.live.values()
    assert (t.id, t.outcome) == (started["transfer"], "completed")


async def test_refusals_change_nothing() -> None:
    ami = FakeAmi()
    desk, _ = desk_with_call(ami)
    with pytest.raises(TransferError, match="工号 1002 当前没有可转接的通话"):
        await desk.start("1002", "12366")
    with pytest.raises(TransferError, match=r"转接方式 .* 无效"):
        await desk.start("1001", "12366", "teleport")
    with pytest.raises(TransferError, match="没有转接目标"):
        await desk.start("1001", "4711")
    assert ami.sent == [] and desk.live == {}
    await desk.start("1001", "12366", wait=False)
    with pytest.raises(TransferError, match="正在转接这通电话"):
        await desk.start("1001", "12367")


async def test_redirect_refused_by_asterisk_fails_at_once() -> None:
    ami = FakeAmi()
    ami.refuse.add("Redirect")
    desk, _ = desk_with_call(ami)
    result = await desk.start("1001", "12366", "conference")  # waits: must not hang
    assert (result["outcome"], result["reason"]) == ("failed", "redirect_failed")
    assert "Originate" not in ami.names()


@pytest.mark.parametrize("mode", ["conference", "attended"])
async def test_an_unanswered_originate_brings_caller_and_agent_back_together(mode: str) -> None:
    """The Redirect moved them, then the destination's Originate got no answer: the caller
    must not stay in a room alone (attended: with hold music, the agent in the consult
    room), and the agent hanging up later ends the caller's call."""
    ami = FakeAmi()
    ami.unanswered.add("Originate")
    desk, tracker = desk_with_call(ami)
    result = await desk.start("1001", "12366", mode)  # waits: must not hang
    assert (result["outcome"], result["reason"]) == ("failed", "originate_failed")
    await asyncio.sleep(0.01)  # the rejoin task
    # the leg Asterisk may have made after all is hung up by its ChannelId
    hangups = [a.as_dict()["Channel"] for a in ami.sent if a.name == "Hangup"]
    assert hangups[0] == f"xfer-{result['transfer']}-dest"
    if mode == "attended":
        back = ami.last("Redirect")
        assert (back["Channel"], back["Context"]) == (AGENT, "cc-xfer-room")
    else:
        assert ami.names().count("Redirect") == 1  # both are in the call's room already
    hangup = ev.Hangup(AGENT, "100.2", "100.1", 16, "Normal Clearing")
    tracker.apply(hangup, 20.0)
    desk.on_event(hangup, 20.0)
    await asyncio.sleep(0.01)
    assert ami.last("Hangup")["Channel"] == CALLER


@pytest.mark.parametrize("mode", ["conference", "attended"])
async def test_an_unanswered_redirect_puts_caller_and_agent_in_one_room(mode: str) -> None:
    """Nobody knows whether the start's Redirect was done: both are moved into the call's
    room (wherever they are, that brings them together), and nothing is dialled."""
    ami = FakeAmi()
    ami.unanswered.add("Redirect")
    desk, tracker = desk_with_call(ami)
    result = await desk.start("1001", "12366", mode)
    assert (result["outcome"], result["reason"]) == ("failed", "redirect_failed")
    ami.unanswered.clear()
    await asyncio.sleep(0.01)
    assert "Originate" not in ami.names() and ami.names().count("Redirect") == 2
    again = ami.last("Redirect")
    assert (again["Channel"], again["ExtraChannel"], again["Context"]) == (
        CALLER, AGENT, "cc-xfer-room")
    rooms = {(a["Channel"], a["Value"]) for a in (x.as_dict() for x in ami.sent[-5:])
             if a.get("Variable") == "CC_XFER_ROOM"}
    assert rooms == {(CALLER, f"xfer-{result['transfer']}"),
                     (AGENT, f"xfer-{result['transfer']}")}
    hangup = ev.Hangup(AGENT, "100.2", "100.1", 16, "Normal Clearing")
    tracker.apply(hangup, 20.0)
    desk.on_event(hangup, 20.0)
    await asyncio.sleep(0.01)
    assert ami.last("Hangup")["Channel"] == CALLER


# -- records ---------------------------------------------------------------------------------

@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "cc.sqlite3")
    yield store
    await store.close()


async def test_transfer_and_handoff_rows_show_in_the_ticket(store: Store) -> None:
    tickets, records = Tickets(store), TransferRecords(store)
    ticket_id = await tickets.open(TicketOpen("100.1", "13812345678", "12345", "12345",
                                              "12345政务服务便民热线", "", "q12345", "1001",
                                              "2026-11-28T08:00:00.000Z"))
    await records.started({"id": "abc", "ticket_id": ticket_id, "call_id": "100.1",
                           "agent": "1001", "destination": "12366",
                           "destination_name": "全国税务系统统一电话", "kind": "subcenter",
                           "mode": "conference", "started_at": "2026-11-28T08:01:00.000Z"})
    await records.update("abc", answered_at="2026-11-28T08:01:05.000Z", outcome="completed")
    with pytest.raises(Exception, match="cannot update"):
        await records.update("abc", agent="x")
    await records.add_handoff("abc", ticket_id, "12366", "2026-11-28T08:01:05.000Z",
                              {"ticket": ticket_id, "caller": "13812345678"})
    ticket = await tickets.get(ticket_id)
    assert [(t["destination"], t["outcome"]) for t in ticket["transfers"]] == [
        ("12366", "completed")]
    assert [h["destination"] for h in ticket["handoffs"]] == ["12366"]
    (handoff,) = await records.handoffs(destination="12366")
    assert handoff["record"]["caller"] == "13812345678"
    assert await records.handoffs(destination="12367") == []
    assert await store.schema_version() == len(MIGRATIONS)


@pytest.mark.parametrize(("mode", "ending"), [("conference", "failed"), ("attended", "failed"),
                                              ("conference", "cancelled"),
                                              ("attended", "cancelled")])
async def test_agent_hanging_up_after_a_failed_or_cancelled_transfer_ends_the_caller(
        mode: str, ending: str) -> None:
    """Caller and agent are together again in the room: the agent hanging up must not leave
    the caller alone there with hold music."""
    ami = FakeAmi()
    desk, tracker = desk_with_call(ami)
    await desk.start("1001", "12366", mode, wait=False)
    if ending == "failed":
        dial_failed(desk, "CHANUNAVAIL")
    else:
        await desk.cancel("1001")
    await asyncio.sleep(0.01)  # the rejoin task
    hangup = ev.Hangup(AGENT, "100.2", "100.1", 16, "Normal Clearing")
    tracker.apply(hangup, 20.0)
    desk.on_event(hangup, 20.0)
    await asyncio.sleep(0.01)
    assert ami.last("Hangup")["Channel"] == CALLER


async def test_agent_hanging_up_before_the_rejoin_sends_the_caller_to_the_queue() -> None:
    ami = FakeAmi()
    desk, tracker = desk_with_call(ami)
    await desk.start("1001", "12366", "conference", wait=False)
    dial_failed(desk, "CHANUNAVAIL")
    hangup = ev.Hangup(AGENT, "100.2", "100.1", 16, "Normal Clearing")
    tracker.apply(hangup, 13.5)
    desk.on_event(hangup, 13.5)
    await asyncio.sleep(0.01)
    redirect = ami.last("Redirect")
    assert (redirect["Channel"], redirect["Context"]) == (CALLER, "cc-xfer-back")
    assert "Hangup" not in ami.names()


async def test_the_destination_leg_is_a_leg_while_its_transfer_lives() -> None:
    """The legs are the live transfers' (the ticket desk opens no ticket for them): no
    separate list of calls to bound, gone with the transfer."""
    ami = FakeAmi()
    desk, tracker = desk_with_call(ami)
    await desk.start("1001", "12366", "conference", wait=False)
    (t,) = desk.live.values()
    assert desk.is_transfer_leg(t.dest_uid) and not desk.is_transfer_leg("100.1")
    assert tracker.calls["100.1"].transfer == t.id
    dial_failed(desk, "CHANUNAVAIL")
    await asyncio.sleep(0.01)
    assert desk.live == {} and not desk.is_transfer_leg(t.dest_uid)
    assert tracker.calls["100.1"].transfer == ""
