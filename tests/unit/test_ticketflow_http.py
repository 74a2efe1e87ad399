"""``/api/loop/…`` probed as an attacker would, on the real aiohttp app and command layer:
no sign-in, malformed and mistyped bodies, ids no store can hold, a step that does not
exist, fields a step does not declare (``who``, ``unit`` of the actor), another unit's
tickets by id, a unit's user doing the centre's step — each a clear error by class, audited
where it reached a command, and nothing changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.actors import Actor
from callcenter.api.server import build_app
from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.routing.decide import Router
from callcenter.store.db import Store
from callcenter.ticketflow.commands import NewTicket, loop_handlers
from callcenter.ticketflow.entered import enter
from callcenter.ticketflow.files import read_loop_config
from callcenter.ticketflow.http import add_routes
from callcenter.ticketflow.lists import FlowLists
from callcenter.ticketflow.loop import TicketLoop
from callcenter.ticketflow.store import MIGRATIONS, FlowStore
from callcenter.tickets.store import Tickets
from callcenter.web.request import command_door
from tests.unit.people import Door, capability_routes, open_door
from tests.unit.test_api import FakeEngine

CONFIG = load_config(PROJECT_ROOT / "config")
LEAK = "城关区雁滩路小区暖气不热，家里有老人，请尽快派人来修"


@dataclass
class Loop:
    door: Door
    client: TestClient  # type: ignore[type-arg]
    ticket: int  # a request by web, dispatched to 城关区

    async def post(self, who: str | None, path: str, body: Any = None,
                   **kwargs: Any) -> tuple[int, Any]:
        headers = self.door.auth(who) if who else {}
        if body is not None:
            kwargs["json"] = body
        r = await self.client.post(path, headers=headers, **kwargs)
        return r.status, await r.json()

    async def get(self, who: str | None, path: str, **params: str) -> tuple[int, Any]:
        headers = self.door.auth(who) if who else {}
        r = await self.client.get(path, headers=headers, params=params)
        return r.status, await r.json()


@pytest.fixture
async def loop(tmp_path: Path) -> AsyncIterator[Loop]:
    store_tickets: list[Tickets] = []
    loop = TicketLoop(lambda: read_loop_config(PROJECT_ROOT / "config")[0],
                      lambda: datetime(2026, 11, 30, 10, 0).timestamp(), lambda _e, _t: None)
    router = Router.of(CONFIG.hotlines, CONFIG.queues)

    async def new_ticket(args: NewTicket, actor: Actor) -> Any:
        return await enter(loop, store_tickets[0], router, CONFIG, args, actor)

    await (await Store.open(tmp_path / "people.sqlite3", MIGRATIONS)).close()  # the loop's
    door = await open_door(tmp_path, FakeEngine(), loop_handlers(lambda: loop, new_ticket))
    loop.tickets = Tickets(door.store)
    store_tickets.append(loop.tickets)
    loop.flows = FlowStore(await door.store.own_connection())
    loop.lists = FlowLists(await door.store.own_connection())
    for name, unit in (("li.cg", "城关区"), ("chen.qlh", "七里河区")):
        made = await door.users.add(name, "unit", "", door.clock(), unit=unit)
        door.tokens[name], door.who[name] = made.token, made.user
    app = build_app(door.signin, door.commands.run,
                    [*capability_routes(),
                     lambda app, run, json: add_routes(app, command_door(run, json))])
    try:
        async with TestClient(TestServer(app)) as client:
            probe = Loop(door, client, 0)
            status, made = await probe.post("li", "/api/loop/tickets",
                                            {"channel": "web", "text": LEAK})
            assert status == 200, made
            probe.ticket = made["ticket"]
            status, _ = await probe.post("li", f"/api/loop/tickets/{probe.ticket}/dispatch",
                                         {"unit": "城关区"})
            assert status == 200
            yield probe
    finally:
        await loop.flows.close()
        await loop.lists.close()
        await door.store.close()


async def audited(door: Door) -> list[tuple[str, str, str]]:
    return [(r["user"], r["action"], r["result"]) for r in await door.audit()]


async def test_no_sign_in_no_loop(loop: Loop) -> None:
    for status, _ in (await loop.get(None, "/api/loop/tickets"),
                      await loop.get(None, f"/api/loop/tickets/{loop.ticket}"),
                      await loop.post(None, f"/api/loop/tickets/{loop.ticket}/sign", {})):
        assert status == 401


async def test_malformed_bodies_are_400_before_any_command(loop: Loop) -> None:
    before = await audited(loop.door)
    path = f"/api/loop/tickets/{loop.ticket}/reply"
    for kwargs in ({"data": b"{not json", "headers_json": True},
                   {"data": b'"a string"', "headers_json": True},
                   {"data": b"[1, 2]", "headers_json": True},
                   {"data": '{"text": "ok"}'.encode("utf-16"), "headers_json": True},
                   {"data": b'{"text": "\\ud800"}', "headers_json": True},
                   {"data": b'{"text": "ok"}', "headers_json": False}):
        headers = {**loop.door.auth("li.cg"), **(
            {"Content-Type": "application/json"} if kwargs["headers_json"] else {})}
        r = await loop.client.post(path, data=kwargs["data"], headers=headers)
        body = await r.json()
        assert r.status == 400, (kwargs, body)
        assert body["error_id"] == "CC1203" and "JSON" in body["error"]
    # refused before any command, and audited as such
    assert (await audited(loop.door))[len(before):] == [("li.cg", "web.refused", "CC1203")] * 6
    status, flow = await loop.get("li.cg", f"/api/loop/tickets/{loop.ticket}")
    assert (status, flow["step"]) == (200, "dispatched")


@pytest.mark.parametrize("ticket", ["abc", "0", "-1", "99999999999999999999999", "1.5"])
async def test_ids_no_store_can_hold_are_no_ticket(loop: Loop, ticket: str) -> None:
    """As /api/tickets/{id}: a path id that is not an id names no ticket (404, CC801)."""
    for status, body in (await loop.post("li.cg", f"/api/loop/tickets/{ticket}/sign", {}),
                         await loop.get("li.cg", f"/api/loop/tickets/{ticket}/timeline"),
                         await loop.get("li.cg", f"/api/loop/tickets/{ticket}")):
        assert (status, body["error_id"]) == (404, "CC801") and "不是编号" in body["error"]


async def test_a_step_that_does_not_exist_and_fields_no_step_declares(loop: Loop) -> None:
    path = f"/api/loop/tickets/{loop.ticket}"
    status, body = await loop.post("li.cg", f"{path}/delete", {})
    assert status == 404 and "工单办理步骤" in body["error"]
    # a unit's user cannot name who acts or for which unit: undeclared fields are refused
    for extra in ({"who": "root"}, {"unit": "七里河区"}, {"actor": "zhao"}, {"side": "root"}):
        status, body = await loop.post("li.cg", f"{path}/sign", extra)
        assert status == 400 and f"{next(iter(extra))!r} is not an argument" in body["error"]
    status, body = await loop.post("li.cg", f"{path}/extend", {"days": "ten", "reason": "x"})
    assert status == 400 and "days" in body["error"]
    status, body = await loop.post("li.cg", f"{path}/extend", {"days": 10**9, "reason": "x"})
    assert status == 400 and "days" in body["error"]
    status, body = await loop.post("li.cg", f"{path}/return", {"reason": "不" * 1001})
    assert status == 400 and "'reason' is 1001 characters long: at most 1000" in body["error"]
    status, flow = await loop.get("li.cg", path)
    assert (flow["step"], flow["extension_asked"], flow["returns"]) == ("dispatched", 0, 0)
    refused = [(u, a) for u, a, r in await audited(loop.door) if r != "ok"]
    assert ("li.cg", "ticket.sign") in refused and ("li.cg", "ticket.extend") in refused


async def test_another_units_ticket_by_id(loop: Loop) -> None:
    path = f"/api/loop/tickets/{loop.ticket}"
    for status, body in (await loop.get("chen.qlh", path),
                         await loop.get("chen.qlh", f"{path}/timeline"),
                         await loop.post("chen.qlh", f"{path}/sign", {}),
                         await loop.post("chen.qlh", f"{path}/return", {"reason": "不是我们"}),
                         await loop.post("chen.qlh", f"{path}/reply", {"text": "已办"})):
        assert status == 403, body
        assert "城关区" not in body["error"] and LEAK[:6] not in str(body)
    status, listed = await loop.get("chen.qlh", "/api/loop/tickets", unit="城关区")
    assert (status, listed) == (200, [])  # their own unit's, whatever they ask for
    status, body = await loop.get("chen.qlh", f"{path}/similar")
    assert status == 403  # merge candidates are the centre's
    status, flow = await loop.get("li.cg", path)
    assert flow["step"] == "dispatched"
    refused = {(u, a) for u, a, r in await audited(loop.door) if r != "ok"}
    assert {("chen.qlh", "ticket.flow"), ("chen.qlh", "ticket.timeline"),
            ("chen.qlh", "ticket.sign"), ("chen.qlh", "ticket.return"),
            ("chen.qlh", "ticket.reply")} <= refused


async def test_a_units_user_cannot_do_the_centres_steps(loop: Loop) -> None:
    path = f"/api/loop/tickets/{loop.ticket}"
    for step, body in (("dispatch", {"unit": "城关区"}), ("close", {}),
                       ("rate", {"rating": "满意"}), ("review", {"accept": True}),
                       ("extension", {"approve": True})):
        status, answer = await loop.post("li.cg", f"{path}/{step}", body)
        assert status == 403, (step, answer)
    status, answer = await loop.post("li.cg", "/api/loop/tickets",
                                     {"channel": "web", "text": "x"})
    assert status == 403
    status, answer = await loop.post("chen", f"{path}/sign", {})  # an admin
    assert status == 403


async def test_two_at_once_and_a_step_out_of_turn_are_409(loop: Loop) -> None:
    path = f"/api/loop/tickets/{loop.ticket}"
    status, body = await loop.post("li.cg", f"{path}/reply", {"text": "已修好"})
    assert status == 409 and body["error_id"] == "CC1701"  # not signed yet
    assert (await loop.post("li.cg", f"{path}/sign", {}))[0] == 200
    status, body = await loop.post("li.cg", f"{path}/sign", {})
    assert status == 409 and "办理中" in body["error"]
