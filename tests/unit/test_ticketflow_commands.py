"""The ticket loop's commands through the one command layer: who may do which step (the
centre, a unit's users on their own unit's tickets, root), every step and every refusal in the
audit trail, a unit's user listing only their unit's tickets, bad input refused by name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from callcenter.actors import Actor, Role
from callcenter.audit import AuditTrail
from callcenter.commands import Commands
from callcenter.config.loader import load_config
from callcenter.errors import CommandError, Forbidden, TicketFlowConflict, TicketFlowForbidden
from callcenter.paths import PROJECT_ROOT
from callcenter.routing.decide import Router
from callcenter.store.db import Store
from callcenter.ticketflow.commands import NewTicket, loop_handlers
from callcenter.ticketflow.entered import enter
from callcenter.ticketflow.files import read_loop_config
from callcenter.ticketflow.lists import FlowLists
from callcenter.ticketflow.loop import TicketLoop
from callcenter.ticketflow.store import MIGRATIONS, FlowStore
from callcenter.tickets.store import Tickets

CONFIG = load_config(PROJECT_ROOT / "config")
LOOP_CONFIG = read_loop_config(PROJECT_ROOT / "config")[0]
AGENT = Actor("wang", "http", "127.0.0.1", Role.AGENT, "1001")
SUPERVISOR = Actor("zhao", "http", "127.0.0.1", Role.SUPERVISOR)
CHENGGUAN = Actor("li", "http", "127.0.0.1", Role.UNIT, unit="城关区")
QILIHE = Actor("chen", "http", "127.0.0.1", Role.UNIT, unit="七里河区")
ADMIN = Actor("sun", "http", "127.0.0.1", Role.ADMIN)
LEAK = "城关区雁滩路小区暖气不热，家里有老人，请尽快派人来修"


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[tuple[Commands, Store]]:
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    loop = TicketLoop(lambda: LOOP_CONFIG, lambda: datetime.now().timestamp(),
                      lambda _e, _ts: None)
    loop.tickets, loop.flows = Tickets(store), FlowStore(await store.own_connection())
    loop.lists = FlowLists(await store.own_connection())
    router = Router.of(CONFIG.hotlines, CONFIG.queues)

    async def new_ticket(args: NewTicket, actor: Actor) -> Any:
        assert loop.tickets is not None
        return await enter(loop, loop.tickets, router, CONFIG, args, actor)

    trail = AuditTrail(store)
    commands = Commands(loop_handlers(lambda: loop, new_ticket), lambda: trail,
                        lambda: datetime.now(UTC))
    try:
        yield commands, store
    finally:
        await loop.flows.close()
        await loop.lists.close()
        await store.close()


async def audit_rows(store: Store) -> list[tuple[str, str, str]]:
    async with store.db.execute("SELECT user, action, result FROM audit ORDER BY id") as cursor:
        return [tuple(r) for r in await cursor.fetchall()]  # type: ignore[misc]


async def test_a_request_by_web_goes_round_the_loop_by_each_side_in_turn(
        door: tuple[Commands, Store]) -> None:
    commands, store = door
    made = await commands.run("ticket.new", {"channel": "web", "text": LEAK,
                                             "caller": "13812345678"}, AGENT)
    assert made["step"] == "accepted" and made["suggested"] == {"unit": "城关区", "assists": []}
    ticket = made["ticket"]
    await commands.run("ticket.dispatch", {"ticket": ticket, "unit": "城关区",
                                           "assist": ["省住建厅"]}, AGENT)
    with pytest.raises(TicketFlowForbidden, match="不是本单位承办的工单"):
        await commands.run("ticket.sign", {"ticket": ticket}, QILIHE)
    with pytest.raises(Forbidden):  # a unit's step is not the centre's
        await commands.run("ticket.sign", {"ticket": ticket}, AGENT)
    await commands.run("ticket.sign", {"ticket": ticket}, CHENGGUAN)
    with pytest.raises(Forbidden):  # nor the centre's a unit's
        await commands.run("ticket.review", {"ticket": ticket, "accept": True}, CHENGGUAN)
    await commands.run("ticket.reply", {"ticket": ticket, "text": "已修复"}, CHENGGUAN)
    await commands.run("ticket.review", {"ticket": ticket, "accept": True}, SUPERVISOR)
    shown = await commands.run("ticket.rate", {"ticket": ticket, "rating": "满意"}, AGENT)
    assert (shown["step"], shown["rating"]) == ("closed", "满意")
    assert [a for _, a, r in await audit_rows(store) if r == "ok"] == [
        "ticket.new", "ticket.dispatch", "ticket.sign", "ticket.reply", "ticket.review",
        "ticket.rate"]
    refused = [(u, a) for u, a, r in await audit_rows(store) if r != "ok"]
    assert refused == [("chen", "ticket.sign"), ("wang", "ticket.sign"),
                       ("li", "ticket.review")]


async def test_a_units_user_sees_only_their_units_tickets(
        door: tuple[Commands, Store]) -> None:
    commands, _ = door
    mine = (await commands.run("ticket.new", {"channel": "sms", "text": LEAK}, AGENT))["ticket"]
    other = (await commands.run("ticket.new", {"channel": "letter", "text": "七里河区西津路路灯"
                                               "不亮"}, AGENT))["ticket"]
    await commands.run("ticket.dispatch", {"ticket": mine, "unit": "城关区"}, AGENT)
    await commands.run("ticket.dispatch", {"ticket": other, "unit": "七里河区"}, AGENT)
    listed = await commands.run("ticket.flows", {"unit": "七里河区"}, CHENGGUAN)
    assert [f["ticket"] for f in listed] == [mine]  # their own, whatever they ask
    with pytest.raises(Forbidden, match="不是本单位承办或协办的工单"):
        await commands.run("ticket.timeline", {"ticket": other}, CHENGGUAN)
    assert len(await commands.run("ticket.timeline", {"ticket": mine}, CHENGGUAN)) == 2
    everyone = await commands.run("ticket.flows", {}, SUPERVISOR)
    assert {f["ticket"] for f in everyone} == {mine, other}
    with pytest.raises(Forbidden):  # an admin manages users, not citizens' requests
        await commands.run("ticket.timeline", {"ticket": mine}, ADMIN)


async def test_bad_input_is_refused_by_name_and_changes_nothing(
        door: tuple[Commands, Store]) -> None:
    commands, _ = door
    with pytest.raises(CommandError, match="渠道须为"):
        await commands.run("ticket.new", {"channel": "fax", "text": LEAK}, AGENT)
    made = (await commands.run("ticket.new", {"channel": "email", "text": LEAK}, AGENT))
    ticket = made["ticket"]
    with pytest.raises(CommandError, match="'untis' is not an argument"):
        await commands.run("ticket.dispatch", {"ticket": ticket, "untis": "城关区"}, AGENT)
    with pytest.raises(CommandError, match="assist"):
        await commands.run("ticket.dispatch", {"ticket": ticket, "unit": "城关区",
                                               "assist": [1, 2]}, AGENT)
    with pytest.raises(CommandError, match="step 'nowhere'"):
        await commands.run("ticket.flows", {"step": "nowhere"}, AGENT)
    with pytest.raises(TicketFlowConflict, match="评价只能是"):
        await commands.run("ticket.close", {"ticket": ticket}, AGENT)
        await commands.run("ticket.rate", {"ticket": ticket, "rating": "还行"}, AGENT)
    flow = await commands.run("ticket.flow", {"ticket": ticket}, AGENT)
    assert flow["step"] == "closed" and flow["rating"] == ""
    then = await commands.run("workdays.add", {"date": "2026-09-30", "days": 3}, CHENGGUAN)
    assert then["then"] == "2026-10-10"


async def test_a_new_ticket_of_the_same_matter_is_offered_for_merging(
        door: tuple[Commands, Store]) -> None:
    commands, _ = door
    first = await commands.run("ticket.new", {"channel": "web", "text": LEAK,
                                              "caller": "13812345678"}, AGENT)
    assert first["similar"] == []
    again = await commands.run("ticket.new", {"channel": "sms", "text": "暖气还是不热",
                                              "caller": "13812345678"}, AGENT)
    assert [s["ticket"] for s in again["similar"]] == [first["ticket"]]  # the same caller
    neighbour = await commands.run("ticket.new", {"channel": "letter", "text": LEAK,
                                                  "caller": "13987654321"}, AGENT)
    # another caller, the same place and topic (the second told no place): the first
    assert [s["ticket"] for s in neighbour["similar"]] == [first["ticket"]]
    assert "caller" not in neighbour["similar"][0]  # no citizen's number in the offer
    await commands.run("ticket.merge", {"ticket": again["ticket"], "into": first["ticket"]},
                       AGENT)
    elsewhere = await commands.run("ticket.new", {"channel": "web", "text": "七里河区西津路路灯"
                                                  "不亮", "caller": "13500001111"}, AGENT)
    assert elsewhere["similar"] == []


async def test_a_new_tickets_hotline_text_and_number_are_checked(
        door: tuple[Commands, Store]) -> None:
    commands, store = door
    for given, error in (({"hotline": "99999"}, "不在热线目录中"),
                         ({"hotline": "12345'; DROP TABLE ticket"}, "不在热线目录中"),
                         ({"text": "   "}, "诉求内容不能为空"),
                         ({"text": "长" * 5001}, "'text' is 5001 characters long: at most 5000"),
                         ({"caller": "abc"}, "有效的手机号"),
                         ({"caller": "1381234567"}, "有效的手机号"),  # a digit short
                         ({"caller": "8123456"}, "带区号")):
        with pytest.raises(CommandError, match=error):
            await commands.run("ticket.new", {"channel": "web", "text": LEAK, **given}, AGENT)
    async with store.db.execute("SELECT COUNT(*) FROM ticket") as cursor:
        assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
    made = await commands.run("ticket.new", {"channel": "letter", "text": LEAK, "hotline":
                                             "12315", "caller": "0931-8123456"}, AGENT)
    other = await commands.run("ticket.new", {"channel": "web", "text": LEAK,
                                              "caller": "+86 138 1234 5678"}, AGENT)
    async with store.db.execute("SELECT id, caller, dialed FROM ticket ORDER BY id") as cursor:
        assert [tuple(r) for r in await cursor.fetchall()] == [
            (made["ticket"], "09318123456", "12315"), (other["ticket"], "13812345678", "12345")]
