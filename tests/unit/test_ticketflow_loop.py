"""The ticket loop's service on a real store: a call's ticket through the whole loop, merged
tickets closing together, two people acting at once, the overdue scan idempotent and driven
from the store (a restarted engine's scan finds what the last one left)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from callcenter.errors import TicketFlowConflict, TicketFlowError
from callcenter.paths import PROJECT_ROOT
from callcenter.store.db import Store
from callcenter.ticketflow.files import LoopConfig, read_loop_config
from callcenter.ticketflow.loop import TicketLoop, TicketStepped
from callcenter.ticketflow.state import Flow, Side, Step, Who
from callcenter.ticketflow.store import MIGRATIONS, FlowStore
from callcenter.tickets.store import TicketOpen, Tickets

CONFIG, PROBLEMS = read_loop_config(PROJECT_ROOT / "config")
AGENT = Who("wang", Side.CENTRE)
COUNTY = Who("li", Side.UNIT, "城关区")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 28, 10, 0).timestamp()  # a Monday

    def __call__(self) -> float:
        return self.now


OPEN: list[FlowStore] = []


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[tuple[Store, list[object], Clock]]:
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    try:
        yield store, [], Clock()
    finally:
        while OPEN:  # (a connection left open keeps its thread, and the tests, running)
            await OPEN.pop().close()
        await store.close()


async def loop_on(store: Store, heard: list[object], clock: Clock,
                  config: LoopConfig = CONFIG) -> TicketLoop:
    loop = TicketLoop(lambda: config, clock, lambda event, _ts: heard.append(event))
    loop.flows, loop.tickets = FlowStore(await store.own_connection()), Tickets(store)
    OPEN.append(loop.flows)
    return loop


async def ticket(store: Store, call: str, fields: dict[str, object]) -> int:
    tickets = Tickets(store)
    found = await tickets.open(TicketOpen(call, "13812345678", "12345", "12345", "12345热线", "",
                                          "q12345", "1001", "2026-09-28T02:00:00Z"))
    await tickets.set_prefill(found, fields)
    return found


LEAK = {"request_type": "求助", "topic": "水电气热", "place": {"city": "兰州市",
                                                             "county": "城关区"}}


def test_the_shipped_files_are_sound() -> None:
    assert PROBLEMS == []
    assert CONFIG.units.suggest({"topic": "水电气热", "county": "城关区", "city": "兰州市"
                                 }).unit == "城关区"  # type: ignore[union-attr]


async def test_a_calls_ticket_goes_round_the_whole_loop(
        opened: tuple[Store, list[object], Clock]) -> None:
    store, heard, clock = opened
    loop = await loop_on(store, heard, clock)
    t = await ticket(store, "1.1", LEAK)
    flow = await loop.accept(t, AGENT)
    assert (flow.step, flow.request_type) == (Step.ACCEPTED, "求助")
    with pytest.raises(TicketFlowError, match="没有承办单位"):
        await loop.act(t, AGENT, "dispatch", unit="城关", assists=())
    await loop.act(t, AGENT, "dispatch", unit="城关区", assists=("省住建厅",))
    clock.now += 3600
    await loop.act(t, COUNTY, "sign")
    await loop.act(t, COUNTY, "reply", text="已维修")
    await loop.act(t, AGENT, "review", accept=True, note="")
    flow = await loop.act(t, AGENT, "rate", rating="满意")
    assert (flow.step, flow.rating) == (Step.CLOSED, "满意")
    assert [e["action"] for e in await loop.timeline(t)] == [
        "accept_call", "dispatch", "sign", "reply", "accept", "rate"]
    assert [e.action for e in heard if isinstance(e, TicketStepped)][-1] == "rate"


async def test_a_departments_matter_is_not_pushed_down_to_a_county(
        opened: tuple[Store, list[object], Clock]) -> None:
    store, heard, clock = opened
    loop = await loop_on(store, heard, clock)
    t = await ticket(store, "1.2", {"request_type": "投诉", "topic": "税务",
                                    "place": {"city": "兰州市", "county": "城关区"}})
    await loop.accept(t, AGENT)
    with pytest.raises(TicketFlowError, match="省税务局的职责，不得派至县区单位兰州市城关区"):
        await loop.act(t, AGENT, "dispatch", unit="城关区", assists=())
    await loop.act(t, AGENT, "dispatch", unit="省税务局", assists=())
    # 医保: the catalogue lets it go down (属地办理)
    t2 = await ticket(store, "1.3", {"request_type": "求助", "topic": "医疗保障",
                                     "place": {"city": "兰州市", "county": "城关区"}})
    await loop.accept(t2, AGENT)
    assert (await loop.act(t2, AGENT, "dispatch", unit="城关区", assists=())).unit == "城关区"


async def test_merged_tickets_close_together(opened: tuple[Store, list[object], Clock]) -> None:
    store, heard, clock = opened
    loop = await loop_on(store, heard, clock)
    main, again = await ticket(store, "2.1", LEAK), await ticket(store, "2.2", LEAK)
    for t in (main, again):
        await loop.accept(t, AGENT)
    await loop.act(again, AGENT, "merge", into=main)
    await loop.act(main, AGENT, "close", note="已当场答复")
    assert (await loop.flow(again)).step is Step.CLOSED
    assert [e["action"] for e in await loop.timeline(again)][-1] == "closed_with"


async def test_two_people_acting_at_once_one_wins(
        opened: tuple[Store, list[object], Clock]) -> None:
    store, heard, clock = opened
    first, second = await loop_on(store, heard, clock), await loop_on(store, heard, clock)
    t = await ticket(store, "3.1", LEAK)
    await first.accept(t, AGENT)
    done = await asyncio.gather(
        first.act(t, AGENT, "dispatch", unit="城关区", assists=()),
        second.act(t, Who("zhao", Side.CENTRE), "close", note="已答复"),
        return_exceptions=True)
    assert sorted(type(d).__name__ for d in done) == ["Flow", "TicketFlowConflict"]
    assert len(await first.timeline(t)) == 2  # one step kept, with its one history line


async def test_the_overdue_scan_reminds_once_and_survives_a_restart(
        opened: tuple[Store, list[object], Clock]) -> None:
    store, heard, clock = opened
    loop = await loop_on(store, heard, clock)
    t = await ticket(store, "4.1", LEAK)
    await loop.accept(t, AGENT)
    await loop.act(t, AGENT, "dispatch", unit="城关区", assists=())
    assert await loop.scan() == 0  # signing is due at Tuesday's end: green on Monday
    clock.now = datetime(2026, 9, 29, 22, 0).timestamp()  # 2 h of 38 h left: yellow
    assert await loop.scan() == 1
    assert await loop.scan() == 0
    restarted = await loop_on(store, heard, clock)
    clock.now = datetime(2026, 9, 30, 0, 30).timestamp()
    assert await restarted.scan() == 1 and await restarted.scan() == 0
    flow = await restarted.flow(t)
    assert (flow.reminded, flow.supervised) == ("overdue", True)
    assert [e["action"] for e in await restarted.timeline(t)][-2:] == ["remind", "overdue"]
    with pytest.raises(TicketFlowConflict):
        await restarted.act(t, COUNTY, "reply", text="x")


async def test_dispatch_runs_on_what_the_agent_confirmed_after_the_call_entered_the_loop(
        opened: tuple[Store, list[object], Clock]) -> None:
    """A call's ticket enters the loop as the agent answers, on the pre-fill's guess (求助);
    the agent then confirms 投诉 and urgent: the unit's deadlines are an urgent ticket's."""
    store, heard, clock = opened
    loop = await loop_on(store, heard, clock)
    t = await ticket(store, "1.9", LEAK)
    assert (await loop.accept(t, AGENT)).request_type == "求助"
    await Tickets(store).confirm(t, {"request_type": "投诉", "urgent": True})
    flow = await loop.act(t, AGENT, "dispatch", unit="城关区", assists=())
    assert (flow.request_type, flow.urgent) == ("投诉", True)
    assert flow.sign_due == clock.now + 2 * 3600  # limits.yaml: urgent, signed within 2 h
    clock.now += 600
    signed = await loop.act(t, COUNTY, "sign")
    assert signed.handle_due == clock.now + 24 * 3600  # and handled within 24 h
    stored = await loop.flow(t)
    assert (stored.request_type, stored.urgent) == ("投诉", True)


async def test_a_confirmed_request_type_sets_the_working_day_limit(
        opened: tuple[Store, list[object], Clock]) -> None:
    store, heard, clock = opened
    loop = await loop_on(store, heard, clock)
    t = await ticket(store, "1.10", LEAK)
    await loop.accept(t, AGENT)
    await Tickets(store).confirm(t, {"request_type": "咨询"})
    await loop.act(t, AGENT, "dispatch", unit="城关区", assists=())
    flow = await loop.act(t, COUNTY, "sign")  # Monday 2026-09-28 10:00
    # 咨询: 2 working days → the end of Wednesday 2026-09-30 (the holiday starts 10-01)
    assert flow.handle_due == datetime(2026, 10, 1).timestamp()
    guessed = await ticket(store, "1.11", LEAK)  # left as the pre-fill's 求助: 5 working days
    await loop.accept(guessed, AGENT)
    await loop.act(guessed, AGENT, "dispatch", unit="城关区", assists=())
    flow = await loop.act(guessed, COUNTY, "sign")
    # 09-29, 09-30, (10-01…10-07 off), 10-08, 10-09, 10-10 (a make-up Saturday): its end
    assert flow.handle_due == datetime(2026, 10, 11).timestamp()


async def due_now(loop: TicketLoop, now: float) -> list[int]:
    assert loop.flows is not None
    return [f.ticket async for page in loop.flows.reminders_due(now) for f in page]


async def reminders(loop: TicketLoop, t: int) -> list[str]:
    return [e["action"] for e in await loop.timeline(t) if e["who"] == "engine"]


async def test_the_scan_reminds_each_deadline_once_across_restarts_and_two_engines(
        opened: tuple[Store, list[object], Clock]) -> None:
    store, heard, clock = opened
    loop = await loop_on(store, heard, clock)
    made = [await ticket(store, f"5.{k}", LEAK) for k in range(6)]
    for t in made:
        await loop.accept(t, AGENT)
        await loop.act(t, AGENT, "dispatch", unit="城关区", assists=())
    await loop.act(made[0], COUNTY, "sign")  # its deadline is days away: green throughout
    # Monday 10:00 to Wednesday 2:00 (signing due Wednesday 0:00, yellow from Tuesday 14:30)
    # every 20 minutes; a restart now and then, and at times two engines at once
    scans: list[int] = []
    while clock.now < datetime(2026, 9, 30, 2, 0).timestamp():
        clock.now += 1200
        if len(scans) % 25 == 24:
            loop = await loop_on(store, heard, clock)
        if len(scans) % 10 == 5:
            other = await loop_on(store, heard, clock)
            scans.append(sum(await asyncio.gather(loop.scan(), other.scan())))
        else:
            scans.append(await loop.scan())
        assert await due_now(loop, clock.now) == []  # nothing left for the next scan
    assert sum(scans) == 10  # 催办 and 督办 of the five waiting to be signed
    assert await reminders(loop, made[0]) == []
    for t in made[1:]:
        assert await reminders(loop, t) == ["remind", "overdue"]


async def test_a_database_from_before_the_moments_were_kept_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "cc.sqlite3"
    old = await Store.open(path, MIGRATIONS[:1])  # the loop's tables as first shipped
    dispatched, told, closed = [await ticket(old, f"6.{k}", LEAK) for k in range(3)]
    monday, wednesday = datetime(2026, 9, 28, 10).timestamp(), datetime(2026, 9, 30).timestamp()
    for t, step, reminded in ((dispatched, "dispatched", ""), (told, "dispatched", "overdue"),
                              (closed, "closed", "")):
        await old.db.execute(
            "INSERT INTO ticket_flow (ticket, step, request_type, accepted_at, unit, "
            "dispatched_at, sign_due, due, reminded) "
            "VALUES (?, ?, '求助', ?, '城关区', ?, ?, ?, ?)",
            (t, step, monday, monday, wednesday, wednesday if step == "dispatched" else None,
             reminded))
    await old.db.commit()
    await old.close()
    store = await Store.open(path, MIGRATIONS)
    try:
        clock = Clock()
        loop = await loop_on(store, [], clock)
        assert await due_now(loop, clock.now) == [dispatched]  # at once: its moment unknown
        assert await loop.scan() == 0  # green: its moment kept
        assert await due_now(loop, datetime(2026, 9, 29, 14, 29).timestamp()) == []
        assert await due_now(loop, datetime(2026, 9, 29, 14, 30).timestamp()) == [dispatched]
        clock.now = datetime(2026, 9, 29, 15, 0).timestamp()
        assert await loop.scan() == 1
        assert await reminders(loop, dispatched) == ["remind"]
        assert await reminders(loop, told) == []  # 督办 said before: not again
    finally:
        while OPEN:
            await OPEN.pop().close()
        await store.close()


async def test_another_yellow_share_looks_at_the_tickets_again(
        opened: tuple[Store, list[object], Clock]) -> None:
    store, heard, clock = opened
    config = [CONFIG]
    loop = TicketLoop(lambda: config[0], clock, lambda event, _ts: heard.append(event))
    loop.flows, loop.tickets = FlowStore(await store.own_connection(), loop.limits), \
        Tickets(store)
    OPEN.append(loop.flows)
    t = await ticket(store, "7.1", LEAK)
    await loop.accept(t, AGENT)
    await loop.act(t, AGENT, "dispatch", unit="城关区", assists=())
    clock.now = datetime(2026, 9, 29, 10, 0).timestamp()  # 14 h of 38 left: 37 %
    assert await loop.scan() == 0  # green while yellow means a quarter left
    half = CONFIG.rules.limits.model_copy(update={"yellow_share": 0.5})
    config[0] = replace(CONFIG, rules=replace(CONFIG.rules, limits=half))
    assert await loop.scan() == 1  # yellow when half is left
    assert await reminders(loop, t) == ["remind"]
    assert await due_now(loop, datetime(2026, 9, 29, 23, 59).timestamp()) == []


async def test_a_ticket_acted_on_while_the_scan_reminds_its_page_is_left_out(
        opened: tuple[Store, list[object], Clock]) -> None:
    store, heard, clock = opened
    other = await loop_on(store, heard, clock)

    class Meddled(FlowStore):
        async def reminders_due(self, moment: float,
                                page: int = 500) -> AsyncIterator[list[Flow]]:
            async for found in super().reminders_due(moment, page):
                await other.act(found[1].ticket, COUNTY, "sign")  # read, then signed
                yield found

    loop = TicketLoop(lambda: CONFIG, clock, lambda event, _ts: heard.append(event))
    loop.flows, loop.tickets = Meddled(await store.own_connection(), loop.limits), \
        Tickets(store)
    OPEN.append(loop.flows)
    made = [await ticket(store, f"8.{k}", LEAK) for k in range(3)]
    for t in made:
        await loop.accept(t, AGENT)
        await loop.act(t, AGENT, "dispatch", unit="城关区", assists=())
    clock.now = datetime(2026, 9, 29, 15, 0).timestamp()  # yellow
    assert await loop.scan() == 2
    assert [await reminders(loop, t) for t in made] == [["remind"], [], ["remind"]]
    assert (await loop.flow(made[1])).step is Step.HANDLING


async def test_a_calls_matter_as_confirmed_finds_its_twin_for_merging(
        opened: tuple[Store, list[object], Clock]) -> None:
    """A call's ticket enters the loop as it is answered, before anything is said: at its
    dispatch the topic and place the agent confirmed find the same matter (并单)."""
    store, heard, clock = opened
    loop = await loop_on(store, heard, clock)
    first = await ticket(store, "6.1", {})
    await loop.accept(first, AGENT)
    await Tickets(store).confirm(first, {"topic": "水电气热", "county": "城关区"})
    await loop.act(first, AGENT, "dispatch", unit="城关区", assists=())
    tickets = Tickets(store)
    other = await tickets.open(TicketOpen("6.2", "13900001111", "12345", "12345", "12345热线",
                                          "", "q12345", "1002", "2026-09-28T02:30:00Z"))
    await tickets.set_prefill(other, LEAK)
    await loop.accept(other, AGENT)
    assert [s["ticket"] for s in await loop.similar(other)] == [first]
