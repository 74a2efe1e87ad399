"""The ticket loop in the store: a step and its history line in one transaction, a stale
read refused, the history append-only, a unit's inbox by deadline."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.errors import TicketFlowConflict
from callcenter.store.db import Store
from callcenter.ticketflow import state as s
from callcenter.ticketflow.limits import Limits
from callcenter.ticketflow.state import Flow, Side, Step, Transition, Who
from callcenter.ticketflow.store import MIGRATIONS, FlowStore, Matter
from callcenter.ticketflow.workdays import Calendar
from callcenter.tickets.store import TicketOpen, Tickets

RULES = s.Rules(Limits(), Calendar.of())
AGENT = Who("wang", Side.CENTRE)
UNIT = Who("li", Side.UNIT, "城关区")
T0 = 1_790_000_000.0


@pytest.fixture
async def flows(tmp_path: Path) -> AsyncIterator[tuple[Store, FlowStore]]:
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    flows = FlowStore(await store.own_connection())
    try:
        yield store, flows
    finally:
        await flows.close()
        await store.close()


async def accepted(store: Store, flows: FlowStore, call: str, request_type: str = "求助") -> Flow:
    ticket = await Tickets(store).open(TicketOpen(
        call, "13812345678", "12345", "12345", "12345热线", "", "q12345", "1001",
        "2026-12-07T10:00:00Z"))
    flow = Flow(ticket, Step.ACCEPTED, request_type, accepted_at=T0)
    return await flows.accept(flow, Transition(ticket, T0, "wang", "accept_call", Step.ACCEPTED,
                                               Step.ACCEPTED), Matter())


async def test_a_step_and_its_history_are_kept_together(
        flows: tuple[Store, FlowStore]) -> None:
    store, loop = flows
    flow = await accepted(store, loop, "1.1")
    with pytest.raises(TicketFlowConflict, match="已受理"):
        await accepted_again(loop, flow)
    new, line = s.dispatch(flow, AGENT, T0 + 60, RULES, "城关区")
    await loop.step([(flow, new, line)])
    kept = await loop.need(flow.ticket)
    assert (kept.step, kept.unit, kept.version) == (Step.DISPATCHED, "城关区", 1)
    # someone acting on what they read before the dispatch: refused, nothing changed
    closing, line2 = s.close(flow, AGENT, T0 + 61, "已答复")
    with pytest.raises(TicketFlowConflict, match="刚被他人办理"):
        await loop.step([(flow, closing, line2)])
    assert (await loop.need(flow.ticket)).step is Step.DISPATCHED
    assert [(e["action"], e["before"], e["after"]) for e in await loop.timeline(flow.ticket)] == [
        ("accept_call", "accepted", "accepted"), ("dispatch", "accepted", "dispatched")]


async def accepted_again(loop: FlowStore, flow: Flow) -> None:
    await loop.accept(flow, Transition(flow.ticket, T0, "wang", "accept_call", Step.ACCEPTED,
                                       Step.ACCEPTED), Matter())


async def test_the_history_is_append_only(flows: tuple[Store, FlowStore]) -> None:
    store, loop = flows
    flow = await accepted(store, loop, "1.2")
    for sql in ("UPDATE ticket_event SET note = 'x'", "DELETE FROM ticket_event"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await store.db.execute(sql)
    assert len(await loop.timeline(flow.ticket)) == 1


async def test_a_units_inbox_is_by_deadline(flows: tuple[Store, FlowStore]) -> None:
    store, loop = flows
    flows_made = []
    for k, kind in enumerate(("投诉", "咨询", "求助")):
        flow = await accepted(store, loop, f"2.{k}", kind)
        new, line = s.dispatch(flow, AGENT, T0 + k, RULES, "城关区")
        (new,) = await loop.step([(flow, new, line)])
        signed, line = s.sign(new, UNIT, T0 + 100, RULES)
        flows_made += await loop.step([(new, signed, line)])
    inbox = await loop.inbox("城关区", (Step.HANDLING,))
    assert [f.request_type for f in inbox] == ["咨询", "求助", "投诉"]  # 2, 5, 15 working days
    assert await loop.inbox("七里河区") == []
    late = await loop.inbox(None, overdue_at=flows_made[1].handle_due or 0)
    assert [f.request_type for f in late] == ["咨询"]
