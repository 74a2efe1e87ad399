"""The agent desktop's server side: what an agent's screen is told (the notifier), the
caller's history and callbacks through the command layer, the agent's event stream, and the
page served with its security headers — without Asterisk."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.agents.desk import AgentDesk
from callcenter.agents.state import AgentState, StateChange
from callcenter.ami import events as ev
from callcenter.ami.client import AmiResponse
from callcenter.calls.state import ChannelInfo, LiveCall
from callcenter.config.loader import load_config
from callcenter.config.models import CallbackList, CallbackOrder
from callcenter.desktop.commands import desktop_handlers
from callcenter.desktop.notifier import DesktopNotifier
from callcenter.errors import AgentConflict, CallbackTaken, CommandError, Forbidden
from callcenter.paths import PROJECT_ROOT
from callcenter.routing.decide import Router
from callcenter.store.db import CallbackRequest, NoSuchRow, Store
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
    handlers = desktop_handlers(parts.agents, lambda: parts.calls, lambda: parts.store,
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
                                                      "joinempty", "2026-11-30T08:00:00Z"))
    mine = (await door.commands.run("callback.list", {}, door.actor("li")))["requests"]
    assert [r["queue"] for r in mine] == [sorted(skills)[0]]
    everyone = (await door.commands.run("callback.list", {}, door.actor("zhao")))["requests"]
    assert len(everyone) == 2
    await door.commands.run("callback.done", {"callback": str(mine[0]["id"])}, door.actor("li"))
    assert (await door.commands.run("callback.list", {}, door.actor("zhao")))["total"] == 1
    with pytest.raises(NoSuchRow, match="没有待处理的回拨请求"):
        await door.commands.run("callback.done", {"callback": str(mine[0]["id"])},
                                door.actor("li"))
    with pytest.raises(Forbidden):
        await door.commands.run("callback.list", {}, door.actor("chen"))
    theirs = next(r for r in everyone if r["queue"] == other)
    for action in ("callback.done", "callback.take"):  # a queue li does not answer
        with pytest.raises(Forbidden):
            await door.commands.run(action, {"callback": str(theirs["id"])}, door.actor("li"))
    with pytest.raises(CommandError):
        await door.commands.run("callback.list", {"page": "0"}, door.actor("li"))


async def test_callbacks_are_listed_masked_a_page_at_a_time(desk: tuple[Door, Desk],
                                                            ) -> None:
    """No full number in the list, whoever reads it; a short page in the centre's order
    (agents.yaml callbacks: oldest first, 8 a page, as shipped)."""
    door, parts = desk
    queue = sorted(CONFIG.agents.agents["1001"].skills)[0]
    for minute in range(11):
        await door.store.add_callback(CallbackRequest(
            f"9.{minute}", f"1381234{minute:04d}", "12345", "12345", queue, "joinempty",
            f"2026-11-30T08:{minute:02d}:00Z"))
    first = await door.commands.run("callback.list", {}, door.actor("li"))
    assert (first["total"], first["pages"], first["page"], first["order"]) == (11, 2, 1, "oldest")
    assert [r["requested_at"][14:16] for r in first["requests"]] == [
        f"{m:02d}" for m in range(8)]
    second = await door.commands.run("callback.list", {"page": "2"}, door.actor("li"))
    assert [r["requested_at"][14:16] for r in second["requests"]] == ["08", "09", "10"]
    listed = json.dumps([first, second], ensure_ascii=False)
    assert "13812340003" not in listed and "138****0003" in listed
    assert first["requests"][0]["queue_title"] == CONFIG.queues.queues[queue].title
    assert first["requests"][0]["reason_text"] == "无话务员签入"
    assert all("number" not in r and "call_id" not in r for r in first["requests"])
    newest = CONFIG.agents.model_copy(update={"callbacks": CallbackList(
        order=CallbackOrder.NEWEST, page_size=3)})
    parts.agents.config = replace(CONFIG, agents=newest)
    latest = await door.commands.run("callback.list", {}, door.actor("li"))
    assert [r["requested_at"][14:16] for r in latest["requests"]] == ["10", "09", "08"]
    assert latest["pages"] == 4
    assert not any(row["action"] == "callback.list" for row in await door.audit())


async def test_a_callback_taken_shows_its_number_to_its_taker_alone(
        desk: tuple[Door, Desk]) -> None:
    door, _ = desk
    queue = sorted(CONFIG.agents.agents["1001"].skills)[0]
    assert queue in CONFIG.agents.agents["1002"].skills
    await door.store.add_callback(CallbackRequest("9.1", CALLER, "12345", "12345", queue,
                                                  "timeout", "2026-11-30T08:00:00Z"))
    (row,) = (await door.commands.run("callback.list", {}, door.actor("li")))["requests"]
    taken = await door.commands.run("callback.take", {"callback": str(row["id"])},
                                    door.actor("li"))
    assert taken["number"] == CALLER and taken["mine"] and taken["taken_name"] == "王芳"
    # the list still masks it, and says who took it
    (seen,) = (await door.commands.run("callback.list", {}, door.actor("wang")))["requests"]
    assert seen["caller"] != CALLER and seen["taken"] and not seen["mine"]
    assert seen["taken_name"] == "王芳"
    for action in ("callback.take", "callback.done"):  # li's now: not wang's to work
        with pytest.raises(CallbackTaken, match="已由王芳领取"):
            await door.commands.run(action, {"callback": str(row["id"])}, door.actor("wang"))
    again = await door.commands.run("callback.take", {"callback": str(row["id"])},
                                    door.actor("li"))
    assert again["number"] == CALLER
    await door.commands.run("callback.done", {"callback": str(row["id"])}, door.actor("li"))
    rows = [(r["user"], r["action"], r["result"], r["detail"]) for r in await door.audit()]
    assert rows.count(("li", "callback.take", "ok", "caller number shown")) == 2
    assert [r[:3] for r in rows if r[0] == "wang"] == [("wang", "callback.take", "CC703"),
                                                      ("wang", "callback.done", "CC703")]


def test_the_notifier_tells_the_agent_of_the_call_not_the_number() -> None:
    bus = AgentBus()
    queue = bus.subscribe("1001")
    call = LiveCall("1.5", started_at=100.0, dialed="12350", caller_num=CALLER,
                    route=Router.of(CONFIG.hotlines, CONFIG.queues).decide(
                        "12350", __import__("datetime").date(2026, 11, 30)))
    notifier = DesktopNotifier(bus, {"1.5": call}.get, lambda a: {"agent": a},
                               lambda q: CONFIG.queues.queues[q].title)
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
    # people read the queue's title and the glossary's word for the mode, not ids
    assert offer["call"]["queue_title"] == CONFIG.queues.queues["q12345"].title != "q12345"
    assert offer["call"]["mode_name"] == "整体并入"
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


async def test_a_call_cut_off_by_a_reload_goes_back_to_the_head_of_its_queue(
        tmp_path: Path) -> None:
    """call.requeue: the caller's channel to cc-requeue with its queue (their agent's
    silent leg ends with the bridge); refused without a call, and for another agent."""
    sent: list[Any] = []

    async def send(action: Any) -> Any:
        sent.append(action)
        return AmiResponse(action.name, True, "", {})

    calls: list[LiveCall] = []
    handlers = desktop_handlers(AgentDesk(CONFIG, _no_ami, time.time), lambda: calls,
                                lambda: None, lambda: None,
                                lambda: __import__("datetime").datetime.now(), send)
    door = await open_door(tmp_path, FakeEngine(), more=handlers)
    try:
        with pytest.raises(AgentConflict, match="当前没有通话"):
            await door.commands.run("call.requeue", {"agent": "1001"}, door.actor("li"))
        call = LiveCall("1.7", started_at=1.0, inbound_channel="PJSIP/carrier-7",
                        queue="q12319", agent="1001",
                        agent_channel="PJSIP/agent-1001-web-9",
                        channels={"1.7": ChannelInfo("PJSIP/carrier-7", "1.7",
                                                     ev.ChannelState.UP)})
        calls.append(call)
        with pytest.raises(Forbidden):
            await door.commands.run("call.requeue", {"agent": "1001"}, door.actor("wang"))
        done = await door.commands.run("call.requeue", {"agent": "1001"}, door.actor("li"))
        assert done["queue_title"] == CONFIG.queues.queues["q12319"].title
        assert [(a.name, dict(a.fields)) for a in sent] == [
            ("Setvar", {"Channel": "PJSIP/carrier-7", "Variable": "CC_XFER_BACK",
                        "Value": "q12319"}),
            ("Redirect", {"Channel": "PJSIP/carrier-7", "Context": "cc-requeue",
                          "Exten": "s", "Priority": "1"})]
        rows = [(r["user"], r["action"], r["result"]) for r in await door.audit()]
        assert ("li", "call.requeue", "ok") in rows
    finally:
        await door.store.close()
