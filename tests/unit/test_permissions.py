"""Who may run which command: the role matrix written out here by hand (not read from the
rules under test), and an agent's own-agent / own-ticket limits through the command layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter import permissions
from callcenter.actors import LOCAL, Actor, Role
from callcenter.errors import Forbidden
from callcenter.store.db import Store
from callcenter.tickets.store import TicketOpen, Tickets
from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeDesk, FakeEngine, FakeTransfers

A, S, M = "agent", "supervisor", "admin"
EXPECTED: dict[str, set[str]] = {
    "status": {S, M},
    "reload": {M},
    "agent.list": {A, S},
    "agent.login": {A, S}, "agent.logout": {A, S}, "agent.pause": {A, S},
    "agent.unpause": {A, S},
    "transfer.start": {A, S}, "transfer.complete": {A, S}, "transfer.cancel": {A, S},
    "transfer.list": {A, S}, "transfer.destinations": {A, S},
    "ticket.get": {A, S}, "ticket.confirm": {A, S},
    "ticket.list": {S}, "handoff.list": {S},
    "user.add": {M}, "user.list": {M}, "user.revoke": {M}, "user.reset": {M},
    "user.requests": {M}, "user.approve": set(), "user.refuse": {M}, "user.ended": set(),
    "ticket.watch": {A, S},
    "audit.list": {M},
}


def _actor(role: str) -> Actor:
    return Actor("x", "http", "127.0.0.1", Role(role), "1001" if role == A else "")


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("role", [A, S, M, "none"])
def test_the_role_matrix(name: str, role: str) -> None:
    args = {"agent": "1001"}
    if role in EXPECTED[name]:
        permissions.check(_actor(role), name, args)
    else:
        with pytest.raises(Forbidden):
            permissions.check(_actor(role), name, args)
    permissions.check(LOCAL, name, args)  # root, through the control socket: everything


def test_every_command_of_the_engine_is_in_the_matrix() -> None:
    from callcenter.engine_commands import engine_handlers
    from callcenter.users.commands import people_handlers

    names = {*engine_handlers(FakeEngine()), *FakeEngine().handlers(),  # type: ignore[arg-type]
             *people_handlers(lambda: None, lambda: None, lambda: (), lambda: None)}  # type: ignore[arg-type, return-value]
    assert names == set(EXPECTED)
    assert permissions.rule("something.new").roles == frozenset()  # root only, by default


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[Door]:
    store = await Store.open(tmp_path / "tickets.sqlite3")
    tickets = Tickets(store)
    for call, agent in (("1.1", "1001"), ("1.2", "1002")):
        await tickets.open(TicketOpen(call, "13812345678", "12345", "12345", "12345热线", "",
                                      "q12345", agent, "t0"))
    opened = await open_door(tmp_path, FakeEngine(FakeDesk(), FakeTransfers(), tickets))
    yield opened
    await opened.store.close()
    await store.close()


async def test_an_agent_acts_only_on_their_own_agent_and_tickets(door: Door) -> None:
    li, zhao = door.actor("li"), door.actor("zhao")
    run = door.commands.run
    assert (await run("agent.pause", {"agent": "1001", "reason": "小休"}, li))["state"] == \
        "paused"
    for name, args in (("agent.pause", {"agent": "1002", "reason": "小休"}),
                       ("agent.logout", {"agent": "1002"}),
                       ("transfer.start", {"agent": "1002", "destination": "12366"}),
                       ("transfer.complete", {"agent": "1002"}),
                       ("ticket.get", {"ticket": "2"}),
                       ("ticket.confirm", {"ticket": "2", "fields": {"a": "b"}}),
                       ("user.list", {}), ("reload", {}), ("status", {})):
        with pytest.raises(Forbidden):
            await run(name, args, li)
    assert (await run("ticket.get", {"ticket": "1"}, li))["agent"] == "1001"
    assert (await run("ticket.get", {"ticket": "2"}, zhao))["agent"] == "1002"
    await run("agent.pause", {"agent": "1002", "reason": "小休"}, zhao)
    assert [a["agent"] for a in await run("agent.list", {}, li)] == ["1001"]
    with pytest.raises(Forbidden):
        await run("agent.pause", {"agent": "1001", "reason": "小休"}, door.actor("chen"))


async def test_every_change_read_of_a_number_and_refusal_is_audited(door: Door) -> None:
    li = door.actor("li")
    run = door.commands.run
    await run("agent.pause", {"agent": "1001", "reason": "小休"}, li)
    await run("ticket.get", {"ticket": "1"}, li)
    with pytest.raises(Forbidden):
        await run("ticket.get", {"ticket": "2"}, li)
    with pytest.raises(Forbidden):
        await run("agent.logout", {"agent": "1002"}, li)
    await run("agent.list", {}, li)  # a read without a number: no row
    await run("ticket.confirm", {"ticket": "1", "fields": {"phone": "13812345678"}}, li)
    rows = [(r["user"], r["role"], r["via"], r["action"], r["target"], r["result"])
            for r in await door.audit()]
    assert rows == [
        ("li", "agent", "http", "agent.pause", "agent 1001", "ok"),
        ("li", "agent", "http", "ticket.get", "ticket 1", "ok"),
        ("li", "agent", "http", "ticket.get", "ticket 2", "CC1301"),
        ("li", "agent", "http", "agent.logout", "agent 1002", "CC1301"),
        ("li", "agent", "http", "ticket.confirm", "ticket 1", "ok"),
    ]
    detail = [r["detail"] for r in await door.audit()]
    assert "reason=小休" in detail[0] and "caller number shown" in detail[1]
    assert detail[4] == "fields=phone"  # the names of the fields, never what was typed
    assert "13812345678" not in str(await door.audit())
