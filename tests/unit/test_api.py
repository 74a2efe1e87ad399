from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from callcenter.errors import AgentError, TransferConflict, TransferError, UnknownAgent
from callcenter.tickets.commands import ticket_handlers
from callcenter.transfers.commands import handoff_handlers, transfer_handlers
from tests.unit.people import Door, open_door


class FakeDesk:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"agent": "1001", "state": "available"}]

    async def login(self, agent_id: str, device: str = "sip") -> dict[str, Any]:
        if agent_id == "1002":
            raise AgentError("the softphone of agent 1002 (agent-1002) is not registered")
        if agent_id != "1001":
            raise UnknownAgent(f"unknown agent {agent_id!r}")
        self.calls.append(("login", agent_id))
        return {"agent": agent_id, "state": "available"}

    async def logout(self, agent_id: str) -> dict[str, Any]:
        return {"agent": agent_id, "state": "logged_out"}

    async def pause(self, agent_id: str, reason: str) -> dict[str, Any]:
        if reason != "小休":
            raise AgentError(f"pause reason {reason!r} is not one of 小休")
        return {"agent": agent_id, "state": "paused", "reason": reason}

    async def unpause(self, agent_id: str) -> dict[str, Any]:
        return {"agent": agent_id, "state": "available"}



class FakeEngine:
    """What the command layer acts on, with fakes for the desks."""

    def __init__(self, desk: Any = None, transfers: Any = None, tickets: Any = None) -> None:
        self.agent_desk = desk or FakeDesk()
        self.transfer_desk = transfers
        self.transfer_records = None
        self._tickets = tickets
        self.audit_trail: Any = lambda: None  # open_door gives it the test's trail

    def snapshot(self) -> dict[str, Any]:
        return {"calls": [], "ami": {"connected": True}}

    def handlers(self) -> dict[str, Any]:
        """The tickets' and transfers' commands, as their plug-ins declare them."""
        return {**transfer_handlers(self.transfer_desk, self.hotlines_destinations),
                **ticket_handlers(self.tickets), **handoff_handlers(lambda: self.transfer_records)}

    def tickets(self) -> Any:
        return self._tickets

    def hotlines_destinations(self) -> list[dict[str, object]]:
        return []

    async def reload(self, directory: str | None, *, asterisk_too: bool = True
                     ) -> dict[str, Any]:
        self.reloaded = (directory, asterisk_too)
        return {}


async def _client(tmp_path: Path, engine: FakeEngine,
                  ticket_events: Any = None) -> tuple[TestClient, Door]:  # type: ignore[type-arg]
    door = await open_door(tmp_path, engine)
    client = TestClient(TestServer(door.app(ticket_events)))
    await client.start_server()
    return client, door


async def test_a_token_is_required(tmp_path: Path) -> None:
    client, door = await _client(tmp_path, FakeEngine())
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "wrong"},
                        {"Authorization": f"Bearer {door.tokens['zhao']}x"},
                        {"Authorization": door.tokens["zhao"]}):
            response = await client.get("/api/status", headers=headers)
            assert response.status == 401, headers
            body = await response.json()
            assert body["error_id"] == "CC1300", body
        response = await client.get("/api/status", headers=door.auth("zhao"))
        assert response.status == 200 and (await response.json())["ami"]["connected"]
    finally:
        await client.close()
        await door.store.close()


async def test_agent_actions_and_refusals(tmp_path: Path) -> None:
    desk = FakeDesk()
    client, door = await _client(tmp_path, FakeEngine(desk))
    AUTH = door.auth("zhao")
    try:
        ok = await client.post("/api/agents/1001/login", headers=AUTH)
        assert ok.status == 200 and (await ok.json())["state"] == "available"
        unregistered = await client.post("/api/agents/1002/login", headers=AUTH)
        assert unregistered.status == 400
        body = await unregistered.json()
        assert "not registered" in body["error"] and body["error_id"] == "CC700"
        unknown = await client.post("/api/agents/9999/login", headers=AUTH)
        assert unknown.status == 404
        odd = await client.post("/api/agents/1001/teleport", headers=AUTH)
        assert odd.status == 404 and (await odd.json())["error"].startswith("没有这个话务员操作")
        paused = await client.post("/api/agents/1001/pause", headers=AUTH,
                                   json={"reason": "小休"})
        assert (await paused.json())["reason"] == "小休"
        bad = await client.post("/api/agents/1001/pause", headers=AUTH, json={"reason": "x"})
        assert bad.status == 400
        garbage = await client.post("/api/agents/1001/pause", headers=AUTH, data=b"{")
        assert garbage.status == 400
        agents = await client.get("/api/agents", headers=AUTH)
        assert (await agents.json())[0]["agent"] == "1001"
        assert desk.calls == [("login", "1001")]
    finally:
        await client.close()
        await door.store.close()


async def test_ticket_json_confirm_and_live_events(tmp_path: Path) -> None:
    import asyncio
    import json

    from callcenter.store.db import Store
    from callcenter.tickets.live import TicketBus
    from callcenter.tickets.store import TicketOpen, Tickets

    store = await Store.open(tmp_path / "cc.sqlite3")
    tickets, bus = Tickets(store), TicketBus()
    ticket_id = await tickets.open(TicketOpen("1.1", "13812345678", "12345", "12345",
                                              "12345热线", "", "q12345", "1001", "t0"))
    door = await open_door(tmp_path, FakeEngine(tickets=tickets))
    AUTH = door.auth("li")
    async with TestClient(TestServer(door.app(bus))) as client:
        r = await client.get(f"/api/tickets/{ticket_id}")
        assert r.status == 401
        r = await client.get(f"/api/tickets/{ticket_id}", headers=AUTH)
        assert r.status == 200 and (await r.json())["caller"] == "13812345678"
        r = await client.get("/api/tickets/99", headers=AUTH)
        assert r.status == 404 and (await r.json())["error"] == "没有工单 99：请核对工单号"
        r = await client.post(f"/api/tickets/{ticket_id}/confirm", headers=AUTH,
                              json={"fields": {"phone": "13812345678"}})
        assert (await r.json())["confirmed"] == {"phone": "13812345678"}
        r = await client.post(f"/api/tickets/{ticket_id}/confirm", headers=AUTH, json={})
        assert r.status == 400

        stream = await client.get(f"/api/tickets/{ticket_id}/events", headers=AUTH)
        assert stream.headers["Content-Type"] == "text/event-stream"

        async def publish() -> None:
            await asyncio.sleep(0.1)
            bus.publish(ticket_id, {"type": "utterance", "speaker": "caller", "text": "你好"})
            bus.publish(ticket_id, {"type": "closed", "at": "t1"})

        task = asyncio.create_task(publish())
        body = (await asyncio.wait_for(stream.read(), 5)).decode()
        await task
    events = [block.split("\n") for block in body.strip().split("\n\n")]
    assert [e[0] for e in events] == ["event: ticket", "event: utterance", "event: closed"]
    assert json.loads(events[1][1][len("data: "):])["text"] == "你好"
    await store.close()
    await door.store.close()


class FakeTransfers:
    def snapshot(self) -> list[dict[str, object]]:
        return [{"transfer": "t1", "phase": "ringing"}]

    async def start(self, agent_id: str, wanted: str, mode: str = "conference", *,
                    wait: bool = True) -> dict[str, object]:
        if agent_id != "1001":
            raise TransferConflict(f"agent {agent_id} has no call to transfer")
        if wanted != "12366":
            raise TransferError(f"unknown transfer destination {wanted!r}")
        return {"transfer": "t1", "destination": wanted, "mode": mode, "phase": "answered",
                "wait": wait}

    async def complete(self, agent_id: str) -> dict[str, object]:
        return {"transfer": "t1", "outcome": "completed"}

    async def cancel(self, agent_id: str) -> dict[str, object]:
        raise TransferConflict(f"agent {agent_id} has no transfer in progress")


async def test_transfer_routes(tmp_path: Path) -> None:
    client, door = await _client(tmp_path, FakeEngine(transfers=FakeTransfers()))
    AUTH = door.auth("zhao")
    try:
        ok = await client.post("/api/agents/1001/transfer", headers=AUTH,
                               json={"destination": "12366", "mode": "attended"})
        assert ok.status == 200 and (await ok.json())["mode"] == "attended"
        no_call = await client.post("/api/agents/1002/transfer", headers=AUTH,
                                    json={"destination": "12366"})
        assert no_call.status == 409 and (await no_call.json())["error_id"] == "CC1001"
        unknown = await client.post("/api/agents/1001/transfer", headers=AUTH,
                                    json={"destination": "4711"})
        assert unknown.status == 400 and "4711" in (await unknown.json())["error"]
        bad = await client.post("/api/agents/1001/transfer", headers=AUTH, data=b"{")
        assert bad.status == 400 and "destination" in (await bad.json())["error"]
        done = await client.post("/api/agents/1001/transfer/complete", headers=AUTH)
        assert (await done.json())["outcome"] == "completed"
        cancel = await client.post("/api/agents/1001/transfer/cancel", headers=AUTH)
        assert cancel.status == 409
        odd = await client.post("/api/agents/1001/transfer/teleport", headers=AUTH)
        assert odd.status == 404
        assert (await odd.json())["error"] == \
            "没有这个转接操作：'teleport'（可用：complete、cancel）"
        listed = await client.get("/api/transfers", headers=AUTH)
        assert (await listed.json())[0]["transfer"] == "t1"
        login = await client.post("/api/agents/1001/login", headers=AUTH)  # still routed
        assert login.status == 200
    finally:
        await client.close()
        await door.store.close()


async def test_ticket_ids_sqlite_cannot_hold_are_json_404(tmp_path: Path) -> None:
    """An id beyond SQLite's integers made sqlite3 raise OverflowError (a 500 with a
    traceback); every {ticket} route answers it like any unknown ticket."""
    from callcenter.store.db import Store
    from callcenter.tickets.store import Tickets

    store = await Store.open(tmp_path / "cc.sqlite3")
    door = await open_door(tmp_path, FakeEngine(tickets=Tickets(store)))
    AUTH = door.auth("zhao")
    try:
        async with TestClient(TestServer(door.app())) as client:
            for ticket in ("99999999999999999999999999", str(2**63), "-99999999999999999999",
                           "0", "-1", "12x", "9" * 5000):
                for method, path in (("GET", ""), ("GET", "/events"), ("POST", "/confirm")):
                    r = await client.request(method, f"/api/tickets/{ticket}{path}",
                                             headers=AUTH, json={"fields": {"a": "b"}})
                    assert r.status == 404, (ticket, path, await r.text())
                    body = await r.json()
                    assert body["error_id"] == "CC801", body
                    assert "不是编号" in body["error"] or "no ticket" in body["error"]
    finally:
        await store.close()
        await door.store.close()


async def test_aiohttp_refusals_are_json(tmp_path: Path) -> None:
    client, door = await _client(tmp_path, FakeEngine())
    AUTH = door.auth("zhao")
    try:
        big = b'{"reason": "' + b"x" * (2 * 1024**2) + b'"}'  # the limit is 1 MiB
        r = await client.post("/api/agents/1001/pause", data=big,
                              headers={**AUTH, "Content-Type": "application/json"})
        assert r.status == 413 and r.content_type == "application/json"
        body = await r.json()
        assert body["error_id"] == "CC1100" and "too large" in body["error"]
        r = await client.get("/api/nothing", headers=AUTH)
        assert r.status == 404 and (await r.json())["error_id"] == "CC1100"
        r = await client.put("/api/status", headers=AUTH)
        assert r.status == 405 and (await r.json())["error_id"] == "CC1100"
        r = await client.get("/api/nothing")  # the token first, as before
        assert r.status == 401
    finally:
        await client.close()
        await door.store.close()


async def test_a_body_cannot_name_what_the_path_names(tmp_path: Path) -> None:
    """Keys a route passes itself (the agent of the path; the route's own parameter names)
    in a body were a TypeError: a 500 with a traceback. The path wins; extra keys are not
    passed on."""
    desk = FakeDesk()
    engine = FakeEngine(desk, transfers=FakeTransfers())
    client, door = await _client(tmp_path, engine)
    AUTH = door.auth("zhao")
    try:
        for body in ({"agent": "1002"}, {"request": 1, "command_name": "reload"},
                     {"agent": "1002", "reason": "小休"}):
            r = await client.post("/api/agents/1001/login", headers=AUTH, json=body)
            assert r.status == 200, (body, await r.text())
        assert desk.calls == [("login", "1001")] * 3
        r = await client.post("/api/agents/1001/transfer", headers=AUTH,
                              json={"destination": "12366", "agent": "1002", "request": 1,
                                    "wait": False})
        assert r.status == 200, await r.text()
        assert (await r.json())["wait"] is False  # every field the command takes is passed
        r = await client.post("/api/reload", headers=door.auth("chen"),
                              json={"config": "/etc", "request": 1})
        assert r.status == 200, await r.text()
        assert engine.reloaded == (None, False)  # the engine's own directory; not Asterisk's
        for path in ("/api/audit?limit=²", "/api/audit?limit=①", "/api/audit?since=0001-01-01"):
            r = await client.get(path, headers=door.auth("chen"))
            assert r.status == 400 and (await r.json())["error_id"], (path, await r.text())
    finally:
        await client.close()
        await door.store.close()
