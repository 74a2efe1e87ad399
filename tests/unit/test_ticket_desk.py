"""The ticket desk opens a ticket with the route the call was given (decided once)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from callcenter.ami import events as ev
from callcenter.calls.state import LiveCall
from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.routing.decide import Router
from callcenter.store.db import Store
from callcenter.tickets.desk import TicketDesk
from callcenter.tickets.store import Tickets
from tests.unit.live import answered

CONFIG = load_config(PROJECT_ROOT / "config")


async def test_the_ticket_takes_the_route_the_call_was_given(tmp_path: Path) -> None:
    router = Router.of(CONFIG.hotlines, CONFIG.queues)
    chosen = router.decide("12329", date.today())  # e.g. a menu choice on 12333
    call = LiveCall("5.1", 1.0, dialed="12333", caller_num="13812345678",
                    inbound_channel="PJSIP/carrier-5", route=chosen)
    desk = TicketDesk(router, CONFIG.prefill, {"5.1": call}.get)
    store = await Store.open(tmp_path / "cc.sqlite3")
    desk.tickets = Tickets(store)
    try:
        desk.on_answered(answered(ev.AgentConnect("PJSIP/carrier-5", "5.1", "5.1", "q12329",
                                      "PJSIP/agent-1001", "1001", "PJSIP/agent-1001-1", 3, 1)),
                      2.0)
        ticket_id = await desk.ticket_id("5.1")
        assert ticket_id is not None
        ticket = await desk.tickets.get(ticket_id)
        assert (ticket["hotline"], ticket["unit"], ticket["dialed"]) == (
            chosen.number, chosen.unit, "12333")
        assert ticket["hotline"] != router.decide("12333", date.today()).number
    finally:
        await asyncio.sleep(0)
        await store.close()


async def test_what_is_said_stays_out_of_the_call_log_by_default(tmp_path: Path) -> None:
    from structlog.testing import capture_logs

    from callcenter.asr.segmenter import AsrResult

    router = Router.of(CONFIG.hotlines, CONFIG.queues)
    call = LiveCall("6.1", 1.0, dialed="12345", caller_num="13812345678",
                    inbound_channel="PJSIP/carrier-6")
    store = await Store.open(tmp_path / "cc.sqlite3")
    for log_text in (False, True):
        desk = TicketDesk(router, CONFIG.prefill, {"6.1": call}.get, log_text=log_text)
        desk.tickets = Tickets(store)
        desk.on_answered(answered(ev.AgentConnect("PJSIP/carrier-6", "6.1", "6.1", "q12345",
                                      "PJSIP/agent-1001", "1001", "PJSIP/agent-1001-1", 3, 1)),
                      2.0)
        ticket_id = await desk.ticket_id("6.1")
        assert ticket_id is not None
        said = "我家在城关区雁滩路二八九号楼道里一直漏水电话一三八一二三四五六七八"
        with capture_logs() as logs:
            desk.on_speech("6.1", "caller", AsrResult(True, said, 0.0, 3.0))
            for _ in range(100):  # the pre-fill runs in a task (the first loads its words)
                await asyncio.sleep(0.05)
                if any(e["event"] == "ticket.prefilled" for e in logs):
                    break
        final = next(e for e in logs if e["event"] == "asr.final")
        prefilled = next(e for e in logs if e["event"] == "ticket.prefilled")
        if log_text:
            assert "雁滩路" in final["text"]
        else:
            assert "text" not in final and final["chars"] == len(said)
            assert "雁滩路" not in str(prefilled)
            assert prefilled["fields"]["place"]["county"] == "城关区"
        ticket = await desk.tickets.get(ticket_id)
        assert any("雁滩路" in u["text"] for u in ticket["transcript"])  # the store keeps it
    await store.close()


async def test_the_ticket_lives_on_the_call_record_and_closes_after_the_hang_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk's work on a ticket hangs off the call's record (the ticket's id there for
    every capability); once the call ended it waits off the record for the last words, and
    is gone once the ticket is closed."""
    from callcenter.asr.segmenter import AsrResult
    from callcenter.calls.state import AgentAnswered, CallEnded, CallTracker
    from callcenter.tickets import desk as desk_module
    from tests.unit.live import AGENT, CALLER, agent_on_a_call

    monkeypatch.setattr(desk_module, "CLOSE_AFTER_S", 0.05)
    tracker = CallTracker()
    agent_on_a_call(tracker)
    call = tracker.calls["100.1"]
    desk = TicketDesk(Router.of(CONFIG.hotlines, CONFIG.queues), CONFIG.prefill,
                      tracker.calls.get)
    store = await Store.open(tmp_path / "cc.sqlite3")
    desk.tickets = Tickets(store)
    try:
        desk.on_answered(AgentAnswered("100.1", call, "1001", "1001", "q12345", CALLER, AGENT,
                                       3.0), 3.0)
        ticket_id = await desk.ticket_id("100.1")
        assert ticket_id is not None and call.ticket_id == ticket_id
        assert call.attached(desk_module.TICKET) is desk.call_ticket("100.1")
        assert desk.off_record == {}
        notices = [n for uid, channel in (("100.2", AGENT), ("100.1", CALLER))
                   for n in tracker.apply(ev.Hangup(channel, uid, "100.1", 16, "Normal"), 9.0)]
        (ended,) = notices
        assert isinstance(ended, CallEnded) and tracker.calls == {}
        desk.on_call_ended(ended, 9.0)
        assert call.attached(desk_module.TICKET) is None and "100.1" in desk.off_record
        desk.on_speech("100.1", "caller", AsrResult(True, "谢谢再见", 8.0, 9.0))  # last words
        await asyncio.sleep(0.2)
        ticket = await desk.tickets.get(ticket_id)
        assert [u["text"] for u in ticket["transcript"]] == ["谢谢再见"]
        assert ticket["closed_at"] is not None and desk.off_record == {}
    finally:
        await store.close()


async def test_a_resumed_call_finds_its_ticket_and_a_call_answered_unseen_gets_its_record(
        tmp_path: Path) -> None:
    """After a restart the call's record gets the ticket the store has for it; a ticket opened
    for a call the tracker did not know yet moves onto its record once a resync finds it."""
    from callcenter.calls.state import AgentAnswered
    from callcenter.tickets.desk import TICKET
    from callcenter.tickets.store import TicketOpen

    calls: dict[str, LiveCall] = {}
    desk = TicketDesk(Router.of(CONFIG.hotlines, CONFIG.queues), CONFIG.prefill, calls.get)
    store = await Store.open(tmp_path / "cc.sqlite3")
    desk.tickets = Tickets(store)
    try:
        kept = await desk.tickets.open(TicketOpen("8.1", "13812345678", "12345", "12345",
                                                  "12345热线", "", "q12345", "1001",
                                                  "2026-11-30T08:00:00.000Z"))
        for call_id in ("8.1", "9.1"):
            calls[call_id] = LiveCall(call_id, 1.0, recovered=True,
                                      inbound_channel=f"PJSIP/carrier-{call_id}",
                                      agent="1001", agent_channel="PJSIP/agent-1001-1")
        desk.resume(calls["8.1"], 5.0)
        assert await desk.ticket_id("8.1") == kept and calls["8.1"].ticket_id == kept
        unseen = calls.pop("9.1")
        desk.on_answered(AgentAnswered("9.1", None, "1001", "1001", "q12345",
                                       unseen.inbound_channel, unseen.agent_channel, 3.0), 3.0)
        opened = await desk.ticket_id("9.1")
        assert opened is not None and "9.1" in desk.off_record
        calls["9.1"] = unseen  # the resync lists it
        desk.resume(unseen, 6.0)
        assert desk.off_record == {} and unseen.ticket_id == opened
        assert unseen.attached(TICKET) is desk.call_ticket("9.1")
        assert await desk.ticket_id("9.1") == opened  # the same ticket, not a second one
    finally:
        await asyncio.sleep(0)
        await store.close()
