"""The web surface probed as an attacker would (issue #21): bodies that made 500s, a sign-in
from another site, ids in other digits, another agent's flood on a ticket's stream, and a
stream that must end the moment its person is signed out. Every refusal is a clear 4xx with
its audit row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.store.db import Store
from callcenter.tickets.live import TicketBus
from callcenter.tickets.store import TicketOpen, Tickets
from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeEngine

JSON = {"Content-Type": "application/json"}


@dataclass
class Site:
    client: TestClient  # type: ignore[type-arg]
    door: Door
    bus: TicketBus
    ticket: int

    async def rows(self, action: str = "") -> list[tuple[str, str, str, str]]:
        return [(r["user"], r["action"], r["target"], r["result"])
                for r in await self.door.audit() if not action or r["action"] == action]


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    store = await Store.open(tmp_path / "cc.sqlite3")
    tickets, bus = Tickets(store), TicketBus(per_ticket=3)
    ticket = await tickets.open(TicketOpen("1.1", "13812345678", "12345", "12345", "12345热线",
                                           "", "q12345", "1001", "t0"))
    door = await open_door(tmp_path, FakeEngine(tickets=tickets))
    client = TestClient(TestServer(door.app(bus)))
    await client.start_server()
    yield Site(client, door, bus, ticket)
    await client.close()
    await door.store.close()
    await store.close()


async def test_unreadable_sign_in_bodies_are_400_with_their_audit_row(site: Site) -> None:
    deep = b'{"user": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for body, headers in ((deep, JSON),  # RecursionError: a 500 before
                          (b'{"user": "li", "password": "x"}',
                           {"Content-Type": "application/json; charset=x-unknown"}),
                          (b'{"user": "\\ud800", "password": "x"}', JSON),  # lone surrogate
                          (b'{"user": "li", "password": "x"}', {"Content-Type": "text/plain"}),
                          (b'["li", "x"]', JSON), (b"\xff\xfe", JSON)):
        reply = await site.client.post("/api/login", data=body, headers=headers)
        assert reply.status == 400, (body[:40], headers, await reply.text())
        assert (await reply.json())["error_id"] == "CC1203"
    assert await site.rows("sign-in") == [("(unknown)", "sign-in", "POST /api/login",
                                           "CC1203")] * 6


async def test_a_sign_in_from_another_site_is_refused(site: Site) -> None:
    """Login CSRF: another site's page signing the browser in as the attacker."""
    body = {"user": "li", "password": site.door.passwords["li"]}
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}):
        reply = await site.client.post("/api/login", json=body, headers=headers)
        assert reply.status == 403, headers
        assert "cc_session" not in reply.cookies
    ok = await site.client.post("/api/login", json=body, headers={
        "Origin": str(site.client.make_url("")).rstrip("/"), "Sec-Fetch-Site": "same-origin"})
    assert ok.status == 200
    assert [r[3] for r in await site.rows("sign-in")] == ["CC1301"] * 3 + ["ok"]


@pytest.mark.parametrize(("path", "body"), [
    ("/api/agents/1001/pause", {"reason": "\ud800"}),
    ("/api/tickets/{ticket}/confirm", {"fields": {"summary": "漏水\udfff"}}),
    ("/api/tickets/{ticket}/answered-from", {"article": "\ud800"}),
    ("/api/agents/1001/pause", {"reason": "NESTED"}),
])
async def test_text_no_store_can_keep_is_400_and_audited(site: Site, path: str,
                                                          body: dict[str, Any]) -> None:
    if body.get("reason") == "NESTED":  # nested past any request the engine takes
        nested: Any = "x"
        for _ in range(40):
            nested = [nested]
        body = {"reason": nested}
    reply = await site.client.post(path.format(ticket=site.ticket), json=body,
                                   headers=site.door.auth("li"))
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["error_id"] == "CC1203"
    rows = await site.rows("web.refused")
    assert rows == [("li", "web.refused", f"POST {path.format(ticket=site.ticket)}", "CC1203")]


@pytest.mark.parametrize("given", ["１", "١", "0001", " 1", "1 ", "+1", "1.0", "0x1", "1_0"])
async def test_ids_only_as_plain_ascii_digits(site: Site, given: str) -> None:
    assert site.ticket == 1
    reply = await site.client.get(f"/api/tickets/{given}", headers=site.door.auth("li"))
    assert reply.status == 404
    assert (await reply.json())["error_id"] == "CC801"
    read = await site.client.get("/api/tickets/1", headers=site.door.auth("li"))
    assert read.status == 200
    assert [r[2] for r in await site.rows("ticket.get") if r[3] == "ok"] == ["ticket 1"]


async def test_another_agent_takes_no_slot_of_the_owners_ticket_stream(site: Site) -> None:
    """The role is checked before a slot of the bus is taken: another agent's flood of the
    ticket's stream is all 403 and the owner still opens theirs."""
    floods = await asyncio.gather(*(site.client.get(
        f"/api/tickets/{site.ticket}/events", headers=site.door.auth("wang"))
        for _ in range(20)))
    assert {r.status for r in floods} == {403}
    assert site.bus.streams == 0
    own = await site.client.get(f"/api/tickets/{site.ticket}/events",
                                headers=site.door.auth("li"))
    assert own.status == 200
    own.close()


async def test_a_stream_ends_at_once_when_its_session_signs_out(site: Site) -> None:
    login = await site.client.post("/api/login", json={
        "user": "li", "password": site.door.passwords["li"]})
    csrf = (await login.json())["csrf"]
    stream = await site.client.get(f"/api/tickets/{site.ticket}/events")
    assert stream.status == 200
    first = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
    assert first.startswith(b"event: ticket")
    await site.client.post("/api/logout", headers={"X-CSRF-Token": csrf})
    ending = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 2)  # not 30 s later
    assert ending.startswith(b"event: signed_out")
    assert site.bus.streams == 0
