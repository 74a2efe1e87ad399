"""The agent desktop's server side: what an agent's screen is told (the notifier), the
caller's history and callbacks through the command layer, the agent's event stream, and the
page served with its security headers — without Asterisk."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.agents.desk import AgentDesk
from callcenter.agents.state import AgentState, StateChange
from callcenter.ami import events as ev
from callcenter.calls.state import LiveCall
from callcenter.config.loader import load_config
from callcenter.desktop.commands import desktop_handlers
from callcenter.desktop.notifier import DesktopNotifier
from callcenter.errors import CommandError, Forbidden
from callcenter.paths import PROJECT_ROOT
from callcenter.routing.decide import Router
from callcenter.store.db import CallbackRequest, Store
from callcenter.tickets.live import AgentBus
from callcenter.tickets.store import TicketOpen, Tickets
from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeEngine

CONFIG = load_config(PROJECT_ROOT / "config")
CALLER = "13812345678"


async def _no_ami(action: Any) -> Any:
    raise AssertionError(f"no AMI action expected: {action}")


class Desk:
    def __init__(self) -> None:
        self.agents = AgentDesk(CONFIG, _no_ami, time.time)
        self.calls: list[LiveCall] = []
        self.store: Store | None = None
        self.bus = AgentBus()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[tuple[Door, Desk]]:
    parts = Desk()
    handlers = desktop_handlers(parts.agents, lambda: parts.calls, lambda _call: 7,
                                lambda: parts.store,
                                lambda: Tickets(parts.store) if parts.store else None,
                                lambda: door.clock())
    door = await open_door(tmp_path, FakeEngine(), more=handlers)
    parts.store = door.store
    tickets = Tickets(door.store)
    for call, agent, caller, opened in (("1.1", "1002", CALLER, "2026-11-20T09:00:00.000Z"),
                                        ("1.2", "1001", CALLER, "2026-11-30T07:59:00.000Z"),
                                        ("1.3", "1001", "13900000000", "2026-11-30T07:00:00Z"),
                                        ("1.4", "1002", CALLER, "2026-01-01T09:00:00.000Z"),
                                        # a later call of the same caller (after ticket 2)
                                        ("1.5", "1002", CALLER, "2026-11-30T08:00:30.000Z")):
        await tickets.open(TicketOpen(call, caller, "12345", "12345", "12345热线", "", "q12345",
                                      agent, opened))
    yield door, parts
    await door.store.close()


async def test_history_of_the_caller_and_an_earlier_ticket(desk: tuple[Door, Desk]) -> None:
    door, _ = desk
    li = door.actor("li")
    found = await door.commands.run("ticket.history", {"ticket": "2"}, li)
    # 90 days (not #4), opened before ticket 2 (not #5, a later call)
    assert found["repeat"] and [t["id"] for t in found["earlier"]] == [1]
    assert "caller" not in found["earlier"][0]
    with pytest.raises(CommandError):  # an agent sees the centre's window only
        await door.commands.run("ticket.history", {"ticket": "2", "days": "365"}, li)
    longer = await door.commands.run("ticket.history", {"ticket": "2", "days": "365"},
                                     door.actor("zhao"))
    assert [t["id"] for t in longer["earlier"]] == [1, 4]
    for outside in ("4", "5", "2"):  # older than the window; opened later; itself
        with pytest.raises(Forbidden):
            await door.commands.run("ticket.earlier", {"ticket": "2", "earlier": outside}, li)
    earlier = await door.commands.run("ticket.earlier", {"ticket": "2", "earlier": "1"}, li)
    assert earlier["agent"] == "1002" and earlier["caller"] == CALLER
    with pytest.raises(Forbidden):  # not the same caller
        await door.commands.run("ticket.earlier", {"ticket": "2", "earlier": "3"}, li)
    with pytest.raises(Forbidden):  # not li's call
        await door.commands.run("ticket.history", {"ticket": "1"}, li)
    rows = [(r["action"], r["target"], r["result"]) for r in await door.audit()]
    assert ("ticket.earlier", "ticket 2 earlier ticket 1", "ok") in rows
    assert ("ticket.earlier", "ticket 2 earlier ticket 3", "CC1301") in rows


async def test_callbacks_of_the_agents_queues(desk: tuple[Door, Desk]) -> None:
    door, _ = desk
    skills = CONFIG.agents.agents["1001"].skills
    other = next(q for q in CONFIG.queues.queues if q not in skills)
    for queue in (sorted(skills)[0], other):
        await door.store.add_callback(CallbackRequest("9.9", CALLER, "12345", "12345", queue,
                                                      "busy", "2026-11-30T08:00:00Z"))
    mine = await door.commands.run("callback.list", {}, door.actor("li"))
    assert [r["queue"] for r in mine] == [sorted(skills)[0]]
    everyone = await door.commands.run("callback.list", {}, door.actor("zhao"))
    assert len(everyone) == 2
    await door.commands.run("callback.done", {"callback": str(mine[0]["id"])}, door.actor("li"))
    assert len(await door.commands.run("callback.list", {}, door.actor("zhao"))) == 1
    with pytest.raises(Exception, match="no open callback"):
        await door.commands.run("callback.done", {"callback": str(mine[0]["id"])},
                                door.actor("li"))
    with pytest.raises(Forbidden):
        await door.commands.run("callback.list", {}, door.actor("chen"))
    theirs = next(r for r in everyone if r["queue"] == other)
    with pytest.raises(Forbidden):  # a queue li does not answer: not li's to close
        await door.commands.run("callback.done", {"callback": str(theirs["id"])},
                                door.actor("li"))
    assert [r["id"] for r in await door.commands.run("callback.list", {}, door.actor("zhao"))
            ] == [theirs["id"]]
    for minute in (3, 1, 2):  # the oldest first, at most the limit
        await door.store.add_callback(CallbackRequest(
            f"9.{minute}", CALLER, "12345", "12345", sorted(skills)[0], "busy",
            f"2026-11-30T08:0{minute}:00Z"))
    oldest = await door.commands.run("callback.list", {"limit": "2"}, door.actor("li"))
    assert [r["call_id"] for r in oldest] == ["9.1", "9.2"]
    with pytest.raises(CommandError):
        await door.commands.run("callback.list", {"limit": "1001"}, door.actor("li"))


def test_the_notifier_tells_the_agent_of_the_call_not_the_number() -> None:
    bus = AgentBus()
    queue = bus.subscribe("1001")
    call = LiveCall("1.5", started_at=100.0, dialed="12350", caller_num=CALLER,
                    route=Router.of(CONFIG.hotlines, CONFIG.queues).decide(
                        "12350", __import__("datetime").date(2026, 11, 30)))
    notifier = DesktopNotifier(bus, {"1.5": call}.get, lambda a: {"agent": a})
    common = {"channel": "Local/x", "uniqueid": "1.5", "linkedid": "1.5", "queue": "q12345",
              "interface": "PJSIP/agent-1001", "member_name": "1001"}
    notifier.on_event(ev.AgentCalled(dest_channel="PJSIP/agent-1001-1",
                                     **common), 112.0)
    notifier.on_event(ev.AgentCalled(dest_channel="x",
                                     **{**common, "interface": "PJSIP/subcenter-12313"}), 1.0)
    notifier.on_state(StateChange("1001", AgentState.AVAILABLE, AgentState.RINGING), 112.0)
    notifier.on_ticket("1001", "1.5", 9)
    offer, state, ticket = (queue.get_nowait() for _ in range(3))
    assert queue.empty()
    assert offer["type"] == "offer" and offer["call"]["dialed"] == "12350"
    assert offer["call"]["mode"] == "merged" and offer["call"]["waited_s"] == 12.0
    assert offer["call"]["hotline"] and offer["call"]["unit"]
    assert CALLER not in json.dumps(offer, ensure_ascii=False)
    assert state == {"type": "state", "at": state["at"], "agent": "1001"}
    assert ticket == {"type": "ticket", "call_id": "1.5", "ticket": 9}


async def test_the_agent_stream_and_the_page(desk: tuple[Door, Desk]) -> None:
    door, parts = desk
    async with TestClient(TestServer(door.app(agent_events=parts.bus))) as client:
        page = await client.get("/")  # before any sign-in: the page has no citizen's data
        assert page.status == 200 and "话务员工作台" in await page.text()
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert (await client.get("/assets/desk.js")).status == 200
        for bad in ("/assets/..%2Fcommands.py", "/assets/../http.py", "/assets/nothing.js"):
            assert (await client.get(bad)).status == 404, bad
        wang = await client.get("/api/agents/1001/events", headers=door.auth("wang"))
        assert wang.status == 403
        stream = await client.get("/api/agents/1001/events", headers=door.auth("li"))
        assert stream.status == 200

        async def later() -> None:
            await asyncio.sleep(0.1)
            parts.bus.publish("1001", {"type": "state", "agent": "1001", "state": "paused"})

        task = asyncio.create_task(later())
        first = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
        second = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
        await task
        stream.close()
    kind, data = first.decode().split("\n")[:2]
    agent = json.loads(data.removeprefix("data: "))
    assert kind == "event: agent" and agent["state"] == "logged_out"
    assert agent["pause_reasons"] == CONFIG.agents.pause_reasons and agent["call"] is None
    assert second.decode().startswith("event: state")
