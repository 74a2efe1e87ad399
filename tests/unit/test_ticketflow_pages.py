"""What the loop's pages read, through the one command layer: a ticket's card (what the
citizen asked, every phone number masked; the catalogue's suggestion for the centre only),
a unit's inbox (the tickets it leads and those it assists, the overdue ones first), the back
office's queues (督办, 延期申请, 待评价; several steps at once), the calendar's guessed years,
who may follow the loop live and which pages hear a step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from multidict import MultiDict

from callcenter.actors import Actor, Role
from callcenter.audit import AuditTrail
from callcenter.commands import Commands
from callcenter.config.loader import load_config
from callcenter.errors import Forbidden
from callcenter.paths import PROJECT_ROOT
from callcenter.routing.decide import Router
from callcenter.store.db import Store
from callcenter.ticketflow.commands import Flows, NewTicket, loop_handlers
from callcenter.ticketflow.entered import enter
from callcenter.ticketflow.files import read_loop_config
from callcenter.ticketflow.lists import FlowLists
from callcenter.ticketflow.live import LoopBus
from callcenter.ticketflow.loop import TicketLoop, TicketStepped
from callcenter.ticketflow.page_commands import page_handlers
from callcenter.ticketflow.store import MIGRATIONS, FlowStore
from callcenter.tickets.store import Tickets
from callcenter.web.body import query_fields

CONFIG = load_config(PROJECT_ROOT / "config")
AGENT = Actor("wang", "http", "127.0.0.1", Role.AGENT, "1001")
SUPERVISOR = Actor("zhao", "http", "127.0.0.1", Role.SUPERVISOR)
CHENGGUAN = Actor("li", "http", "127.0.0.1", Role.UNIT, unit="城关区")
QILIHE = Actor("chen", "http", "127.0.0.1", Role.UNIT, unit="七里河区")
HOUSING = Actor("he", "http", "127.0.0.1", Role.UNIT, unit="省住建厅")
ADMIN = Actor("sun", "http", "127.0.0.1", Role.ADMIN)
HEATING = "城关区雁滩路小区暖气不热，家里有老人，请尽快派人来修，我的电话13912345678"
LAMP = "七里河区西津路路灯不亮，晚上很黑"
MONDAY = datetime(2026, 9, 28, 10, 0).timestamp()
DAY = 86400.0


@dataclass
class Door:
    commands: Commands
    loop: TicketLoop
    now: list[float]

    async def run(self, name: str, args: dict[str, Any], actor: Actor) -> Any:
        return await self.commands.run(name, args, actor)

    async def new(self, text: str, caller: str = "") -> int:
        made = await self.run("ticket.new", {"channel": "web", "text": text,
                                             "caller": caller}, AGENT)
        return int(made["ticket"])


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[Door]:
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    config = read_loop_config(PROJECT_ROOT / "config")[0]  # its own: it notes guessed years
    now = [MONDAY]
    loop = TicketLoop(lambda: config, lambda: now[0], lambda _e, _ts: None)
    loop.tickets, loop.flows = Tickets(store), FlowStore(await store.own_connection())
    loop.lists = FlowLists(await store.own_connection())
    router = Router.of(CONFIG.hotlines, CONFIG.queues)

    async def new_ticket(args: NewTicket, actor: Actor) -> Any:
        assert loop.tickets is not None
        return await enter(loop, loop.tickets, router, CONFIG, args, actor)

    trail = AuditTrail(store)
    commands = Commands(loop_handlers(lambda: loop, new_ticket) | page_handlers(lambda: loop),
                        lambda: trail, lambda: datetime.now(UTC))
    try:
        yield Door(commands, loop, now)
    finally:
        await loop.flows.close()
        await loop.lists.close()
        await store.close()


async def test_a_tickets_card_masks_every_number_and_suggests_to_the_centre_only(
        door: Door) -> None:
    ticket = await door.new(HEATING, caller="13812345678")
    await door.run("ticket.dispatch", {"ticket": ticket, "unit": "城关区",
                                       "assist": ["省住建厅"]}, AGENT)
    seen = await door.run("ticket.content", {"ticket": ticket}, SUPERVISOR)
    card = seen["card"]
    assert (seen["step"], seen["unit"], seen["assists"]) == ("dispatched", "城关区", ["省住建厅"])
    assert card["caller"] == "138****5678"
    assert card["words"] == ("城关区雁滩路小区暖气不热，家里有老人，请尽快派人来修，"
                             "我的电话139****5678")
    assert (card["channel"], card["hotline"], card["topic"], card["request_type"]) == (
        "web", "12345", "水电气热", "求助")
    assert (card["city"], card["county"], card["detail"]) == ("兰州市", "城关区", "雁滩路小区")
    assert seen["card"]["suggested"] == {"unit": "城关区", "assists": []}
    assert "13812345678" not in str(seen) and "13912345678" not in str(seen)
    for unit in (CHENGGUAN, HOUSING):  # the lead unit, and the one that assists
        mine = await door.run("ticket.content", {"ticket": ticket}, unit)
        assert mine["card"]["words"] == card["words"] and mine["card"]["suggested"] is None
    with pytest.raises(Forbidden, match="不是本单位承办或协办的工单"):
        await door.run("ticket.content", {"ticket": ticket}, QILIHE)
    with pytest.raises(Forbidden):  # an admin manages users, not citizens' requests
        await door.run("ticket.content", {"ticket": ticket}, ADMIN)


async def test_a_units_inbox_has_what_it_leads_and_assists_the_overdue_first(
        door: Door) -> None:
    late, soon, assisted, other = [await door.new(t) for t in (HEATING, HEATING, LAMP, LAMP)]
    door.now[0] = MONDAY - 7 * DAY  # dispatched a week ago: its day to sign has passed
    await door.run("ticket.dispatch", {"ticket": late, "unit": "城关区"}, AGENT)
    door.now[0] = MONDAY
    await door.run("ticket.dispatch", {"ticket": soon, "unit": "城关区"}, AGENT)
    await door.run("ticket.dispatch", {"ticket": assisted, "unit": "七里河区",
                                       "assist": ["城关区"]}, AGENT)
    await door.run("ticket.dispatch", {"ticket": other, "unit": "七里河区"}, AGENT)
    await door.run("ticket.sign", {"ticket": assisted}, QILIHE)  # a longer deadline now
    inbox = await door.run("ticket.flows", {"step": "dispatched,handling"}, CHENGGUAN)
    assert [(f["ticket"], f["light"]) for f in inbox] == [
        (late, "red"), (soon, "green"), (assisted, "green")]
    assert (inbox[2]["unit"], inbox[2]["assists"]) == ("七里河区", ["城关区"])
    assert (inbox[0]["topic"], inbox[0]["place"], inbox[0]["channel"]) == (
        "水电气热", "城关区", "web")
    assert "caller" not in inbox[0]
    # whatever unit they ask for: their own
    asked = await door.run("ticket.flows", {"unit": "七里河区"}, CHENGGUAN)
    assert {f["ticket"] for f in asked} == {late, soon, assisted}
    assert [f["ticket"] for f in await door.run("ticket.flows", {"step": "handling"},
                                                 QILIHE)] == [assisted]


async def test_the_back_offices_queues(door: Door) -> None:
    late, asking, done, merged = [await door.new(t) for t in (HEATING, LAMP, HEATING, LAMP)]
    door.now[0] = MONDAY - 30 * DAY
    await door.run("ticket.dispatch", {"ticket": late, "unit": "城关区"}, AGENT)
    door.now[0] = MONDAY
    for ticket in (asking, done):
        await door.run("ticket.dispatch", {"ticket": ticket, "unit": "七里河区"}, AGENT)
        await door.run("ticket.sign", {"ticket": ticket}, QILIHE)
    await door.run("ticket.extend", {"ticket": asking, "days": 3, "reason": "需现场勘查"},
                   QILIHE)
    await door.run("ticket.reply", {"ticket": done, "text": "已修复"}, QILIHE)
    await door.run("ticket.review", {"ticket": done, "accept": True}, SUPERVISOR)
    await door.run("ticket.merge", {"ticket": merged, "into": asking}, AGENT)

    async def listed(**wanted: Any) -> list[int]:
        return [f["ticket"] for f in await door.run("ticket.flows", wanted, SUPERVISOR)]

    assert await listed(supervised=True) == [late]  # overdue, before any scan
    assert await door.loop.scan() == 1  # escalated: still on the list, once
    assert await listed(supervised=True) == [late]
    assert await listed(asked=True) == [asking]
    assert await listed(unrated=True) == [done]  # not the merged one
    await door.run("ticket.rate", {"ticket": done, "rating": "满意"}, AGENT)
    assert await listed(unrated=True) == []
    assert await listed(step="accepted") == []
    assert set(await listed(step="merged,closed")) == {merged, done}


async def test_the_calendar_says_which_years_it_counts_monday_to_friday(door: Door) -> None:
    seen = await door.run("workdays.calendar", {}, SUPERVISOR)
    assert seen["guessed_years"] == []  # 2026 and a month after it: known
    assert seen["known_until"] == 2026
    door.now[0] = datetime(2026, 12, 15, 9, 0).timestamp()  # a month on is 2027
    assert (await door.run("workdays.calendar", {}, AGENT))["guessed_years"] == [2027]
    with pytest.raises(Forbidden):
        await door.run("workdays.calendar", {}, CHENGGUAN)


async def test_who_follows_the_loop_and_which_pages_hear_a_step(door: Door) -> None:
    assert await door.run("loop.watch", {}, CHENGGUAN) == {"unit": "城关区"}
    assert await door.run("loop.watch", {}, SUPERVISOR) == {"unit": ""}
    with pytest.raises(Forbidden):
        await door.run("loop.watch", {}, ADMIN)
    bus = LoopBus()
    queues = {key: bus.subscribe(key, "someone") for key in ("", "城关区", "七里河区", "省住建厅")}
    bus.stepped(TicketStepped(7, "城关区", "dispatch", "dispatched", ("省住建厅",)), 0.0)
    heard = {key: queue.qsize() for key, queue in queues.items()}
    assert heard == {"": 1, "城关区": 1, "七里河区": 0, "省住建厅": 1}
    assert queues["城关区"].get_nowait() == {"type": "stepped", "ticket": 7,
                                             "step": "dispatched", "action": "dispatch"}


def test_a_query_strings_flags_are_flags() -> None:
    given = MultiDict({"overdue": "true", "asked": "false", "unit": "城关区", "other": "x"})
    assert query_fields(given, Flows) == {"unit": "城关区", "overdue": True, "asked": False}
    assert Flows.check(query_fields(MultiDict({"supervised": "true"}), Flows)).supervised
