"""The ticket loop in the store: a step and its history line in one transaction, a stale
read refused, the history append-only, a unit's inbox by deadline."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from callcenter.errors import TicketFlowConflict
from callcenter.store.db import Store
from callcenter.ticketflow import state as s
from callcenter.ticketflow.limits import Limits
from callcenter.ticketflow.lists import FlowLists, Wanted
from callcenter.ticketflow.state import Flow, Side, Step, Transition, Who
from callcenter.ticketflow.store import MIGRATIONS, FlowStore, Matter
from callcenter.ticketflow.workdays import Calendar
from callcenter.tickets.store import TicketOpen, Tickets

RULES = s.Rules(Limits(), Calendar.of())
AGENT = Who("wang", Side.CENTRE)
UNIT = Who("li", Side.UNIT, "城关区")
T0 = 1_790_000_000.0


def at(*args: int) -> float:
    return datetime(*args).timestamp()  # type: ignore[arg-type]


@pytest.fixture
async def flows(tmp_path: Path) -> AsyncIterator[tuple[Store, FlowStore]]:
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    flows = FlowStore(await store.own_connection())
    try:
        yield store, flows
    finally:
        await flows.close()
        await store.close()


async def listed(store: Store, **wanted: Any) -> list[Flow]:
    """The tickets a page's list shows (``FlowLists``, as the pages read them)."""
    lists = FlowLists(await store.own_connection())
    try:
        return [x.flow for x in await lists.find(Wanted(**wanted))]
    finally:
        await lists.close()


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
    inbox = await listed(store, unit="城关区", steps=(Step.HANDLING,))
    assert [f.request_type for f in inbox] == ["咨询", "求助", "投诉"]  # 2, 5, 15 working days
    assert await listed(store, unit="七里河区") == []
    late = await listed(store, overdue_at=flows_made[1].handle_due or 0)
    assert [f.request_type for f in late] == ["咨询"]


async def moment(store: Store, ticket: int) -> float | None:
    async with store.db.execute("SELECT remind_at FROM ticket_flow WHERE ticket = ?",
                                (ticket,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return None if row[0] is None else float(row[0])


async def test_each_step_keeps_when_the_scan_has_something_to_do(
        flows: tuple[Store, FlowStore]) -> None:
    store, loop = flows
    flow = await accepted(store, loop, "3.1")
    assert await moment(store, flow.ticket) is None  # at the centre: no deadline runs
    # dispatched Monday 22:00: to sign by Wednesday 0:00 (26 h), yellow with 6.5 h left
    (flow,) = await loop.step([(flow, *s.dispatch(flow, AGENT, at(2026, 9, 21, 22), RULES,
                                                  "城关区"))])
    assert flow.sign_due == at(2026, 9, 23)
    assert await moment(store, flow.ticket) == at(2026, 9, 22, 17, 30)
    (flow,) = await loop.step([(flow, *(s.remind(flow, at(2026, 9, 22, 18), RULES) or ()))])
    assert (flow.reminded, await moment(store, flow.ticket)) == ("near", at(2026, 9, 23))
    (flow,) = await loop.step([(flow, *(s.remind(flow, at(2026, 9, 23, 1), RULES) or ()))])
    assert (flow.reminded, await moment(store, flow.ticket)) == ("overdue", None)
    (flow,) = await loop.step([(flow, *s.sign(flow, UNIT, at(2026, 9, 23, 9), RULES))])
    assert await moment(store, flow.ticket) is not None  # a new deadline runs
    (flow,) = await loop.step([(flow, *s.reply(flow, UNIT, at(2026, 9, 23, 10), "已处理"))])
    (flow,) = await loop.step([(flow, *s.review(flow, AGENT, at(2026, 9, 23, 11), RULES, True,
                                                ""))])
    assert await moment(store, flow.ticket) is None  # closed


async def test_an_inbox_lists_running_deadlines_first_then_the_others_by_number(
        flows: tuple[Store, FlowStore]) -> None:
    store, loop = flows
    made = [await accepted(store, loop, f"4.{k}", kind)
            for k, kind in enumerate(("咨询", "投诉", "求助", "求助"))]
    closed, returned, complaint, help_ = made
    for flow in made:
        (moved,) = await loop.step([(flow, *s.dispatch(flow, AGENT, T0 + 60, RULES, "城关区"))])
        if flow is returned:
            await loop.step([(moved, *s.give_back(moved, UNIT, T0 + 120, RULES, "非本单位"))])
        elif flow is not help_:  # help_ waits to be signed (due soonest)
            (moved,) = await loop.step([(moved, *s.sign(moved, UNIT, T0 + 120, RULES))])
            if flow is closed:
                (moved,) = await loop.step([(moved, *s.reply(moved, UNIT, T0 + 180, "好"))])
                await loop.step([(moved, *s.review(moved, AGENT, T0 + 240, RULES, True, ""))])
    order = [f.ticket for f in await listed(store, unit="城关区")]
    assert order == [help_.ticket, complaint.ticket, closed.ticket, returned.ticket]
    assert [f.ticket for f in await listed(store, unit="城关区", limit=3)] == order[:3]
    returned_only = await listed(store, unit="城关区", steps=(Step.RETURNED,))
    assert [f.ticket for f in returned_only] == [returned.ticket]
    assert [f.ticket for f in await listed(store, steps=(Step.CLOSED,))] == [closed.ticket]
    assert await listed(store, unit="城关区", overdue_at=T0 + 300) == []


async def test_the_history_keeps_whose_the_ticket_was_after_each_step(
        flows: tuple[Store, FlowStore]) -> None:
    """A report charges a return to the unit that returned it, not the unit of today."""
    store, loop = flows
    flow = await accepted(store, loop, "3.1")
    moves = [lambda f: s.dispatch(f, AGENT, T0 + 60, RULES, "七里河区"),
             lambda f: s.give_back(f, Who("zhao", Side.UNIT, "七里河区"), T0 + 120, RULES,
                                   "不属本区"),
             lambda f: s.redispatch(f, AGENT, T0 + 180, RULES, "城关区"),
             lambda f: s.sign(f, UNIT, T0 + 240, RULES)]
    for move in moves:
        new, line = move(flow)
        (flow,) = await loop.step([(flow, new, line)])
    assert [(e["action"], e["unit"]) for e in await loop.timeline(flow.ticket)] == [
        ("accept_call", ""), ("dispatch", "七里河区"), ("return", "七里河区"),
        ("redispatch", "城关区"), ("sign", "城关区")]


async def test_history_kept_before_the_unit_was_has_none(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = await Store.open(path, MIGRATIONS[:2])  # a store of the loop's second step
    try:
        ticket = await Tickets(store).open(TicketOpen(
            "4.1", "13812345678", "12345", "12345", "12345热线", "", "q12345", "1001",
            "2026-12-07T10:00:00Z"))
        await store.db.execute(
            "INSERT INTO ticket_event (ticket, at, who, action, before, after) VALUES "
            "(?, ?, 'wang', 'accept_call', 'accepted', 'accepted')", (ticket, T0))
        await store.db.commit()
    finally:
        await store.close()
    store = await Store.open(path, MIGRATIONS)
    flows = FlowStore(await store.own_connection())
    try:
        assert [e["unit"] for e in await flows.timeline(ticket)] == [""]
        async with store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                    "name = 'ticket_event_at'") as cursor:
            assert await cursor.fetchall()
    finally:
        await flows.close()
        await store.close()


async def test_the_units_a_ticket_assists_are_kept_and_found_again_from_older_stores(
        tmp_path: Path) -> None:
    """ticket_assist: a unit's inbox reads its own rows, not every ticket with assists."""
    path = tmp_path / "cc.sqlite3"
    store = await Store.open(path, MIGRATIONS[:4])  # before ticket_assist
    try:
        ticket = await Tickets(store).open(TicketOpen(
            "5.1", "13812345678", "12345", "12345", "12345热线", "", "q12345", "1001",
            "2026-12-07T10:00:00Z"))
        await store.db.execute(
            "INSERT INTO ticket_flow (ticket, step, request_type, accepted_at, unit, assists) "
            "VALUES (?, 'dispatched', '求助', ?, '城关区', ?)", (ticket, T0, "省住建厅\n七里河区"))
        await store.db.commit()
    finally:
        await store.close()
    store = await Store.open(path, MIGRATIONS)
    flows = FlowStore(await store.own_connection())
    lists = FlowLists(await store.own_connection())
    try:
        rows = await store.db.execute_fetchall("SELECT unit, ticket FROM ticket_assist "
                                               "ORDER BY unit")
        assert [tuple(r) for r in rows] == [("七里河区", ticket), ("省住建厅", ticket)]
        assert [x.flow.ticket for x in await lists.find(Wanted(unit="七里河区"))] == [ticket]
        flow = await flows.need(ticket)  # the 改派 of a return keeps the assists but the lead
        back, line = s.give_back(flow, Who("li", Side.UNIT, "城关区"), T0 + 60, RULES, "不属本区")
        (flow,) = await flows.step([(flow, back, line)])
        again, line = s.redispatch(flow, AGENT, T0 + 120, RULES, "七里河区")
        await flows.step([(flow, again, line)])
        rows = await store.db.execute_fetchall("SELECT unit FROM ticket_assist")
        assert [r[0] for r in rows] == ["省住建厅"]  # 七里河区 leads it now
        assert await lists.find(Wanted(unit="省住建厅")) != []
    finally:
        await flows.close()
        await lists.close()
        await store.close()


async def test_a_list_of_closed_tickets_shows_the_latest_first(
        flows: tuple[Store, FlowStore]) -> None:
    store, loop = flows
    made = []
    for k in range(3):
        flow = await accepted(store, loop, f"7.{k}")
        done, line = s.close(flow, AGENT, T0 + 60, "已答复")
        await loop.step([(flow, done, line)])
        made.append(flow.ticket)
    lists = FlowLists(await store.own_connection())
    try:
        assert [x.flow.ticket for x in await lists.find(Wanted(steps=(Step.CLOSED,)))] == \
            made[::-1]
        assert [x.flow.ticket for x in await lists.find(Wanted(unrated=True))] == made[::-1]
        assert [x.flow.ticket for x in await lists.find(Wanted(steps=(Step.CLOSED,),
                                                              limit=2))] == made[:0:-1]
    finally:
        await lists.close()
