"""The wallboard without Asterisk: the board computed from live state (time passed in), its
alerts, the throttled push, the command's role, and its routes through the real HTTP app.
(Its agreement with ``run.py report``: tests/unit/test_wallboard_report.py.)"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.agents.desk import AgentDesk
from callcenter.agents.state import AgentBoard, PhoneChange
from callcenter.ami import events as ev
from callcenter.calls.facts import CallBegan, CallFinished
from callcenter.config.loader import load_config
from callcenter.errors import Forbidden
from callcenter.paths import PROJECT_ROOT
from callcenter.ports import CallbacksChanged
from callcenter.queues.watch import QueueWatch
from callcenter.reports.figures import Report, Tally
from callcenter.store.db import CallbackRequest
from callcenter.wallboard.alerts import (
    LONG_WAIT,
    NOBODY,
    SERVICE_RATE,
    QueueView,
    Targets,
    alerts,
    next_change,
)
from callcenter.wallboard.commands import wallboard_handlers
from callcenter.wallboard.live import Wallboard
from callcenter.wallboard.notifier import BOARD, Throttle, WallboardBus, WallboardNotifier
from callcenter.wallboard.screen import ScreenState, next_midnight, screen
from callcenter.web import sse
from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeEngine

CONFIG = load_config(PROJECT_ROOT / "config")
CALLER = "13812345678"
NOW = 1_000_000.0  # 1970-01-12: any moment will do
DAY = date(1970, 1, 12)


def _join(queue: str, uniqueid: str) -> ev.QueueCallerJoin:
    return ev.QueueCallerJoin("PJSIP/carrier-1", uniqueid, uniqueid, queue, 1, 1)


def _state(watch: QueueWatch, agents: AgentBoard, today: Report | None = None,
           callbacks: dict[str, int] | None = None) -> ScreenState:
    return ScreenState(CONFIG, watch, agents, {"1001": NOW - 75.0}, today or Report(DAY, DAY),
                      callbacks)


# -- the board --------------------------------------------------------------------------------

def test_the_board_of_a_moment() -> None:
    watch = QueueWatch(CONFIG.queues)
    watch.on_event(_join("q12345", "1.1"), NOW - 20)  # waited 20 s: past the 15 s
    watch.on_event(_join("q12345", "1.2"), NOW - 4)
    agents = AgentBoard({}, 2)
    li = agents.status("1001")
    li.queues, li.paused, li.pause_reason = {"q12345", "q12315"}, True, "小休"
    wang = agents.status("1002")
    wang.queues, wang.on_call_with = {"q12345"}, "1.0"
    today = Report(DAY, DAY)
    today.by_queue["q12345"] = Tally(offered=10, answered=8, answered_in_15s=6, abandoned=2,
                                     abandoned_5s=1, talk_total_s=800, talk_count=8,
                                     wrapup_total_s=80)
    today.by_queue["q12333"] = Tally(overflowed=3)
    today.by_agent["1002"] = Tally(answered=5, talk_total_s=500, talk_count=5,
                                   wrapup_total_s=50)
    today.total = Tally(offered=10, answered=8, answered_in_15s=6, abandoned=2, abandoned_5s=1,
                        overflowed=3)
    shown = screen(_state(watch, agents, today, {"q12345": 2, "q12315": 1}), NOW)

    assert shown["day"] == DAY.isoformat() and shown["now"] == NOW
    q = {row["queue"]: row for row in shown["queues"]}["q12345"]
    assert (q["waiting"], q["oldest_joined_at"], q["longest_wait_s"]) == (2, NOW - 20, 20.0)
    assert (q["answered"], q["abandoned"], q["service_rate"], q["connection_rate"]) == (
        8, 2, 0.75, round(8 / 9, 4))
    assert (q["logged_in"], q["paused"], q["busy"], q["callbacks_waiting"]) == (2, 1, 1, 2)
    assert q["takes_calls"] and q["service_level_s"] == 15
    assert {row["queue"]: row for row in shown["queues"]}["q12333"]["overflowed"] == 3
    agents_shown = {a["agent"]: a for a in shown["agents"]}
    assert len(agents_shown) == len(CONFIG.agents.agents)  # every agent, logged in or not
    assert agents_shown["1001"] | {"queues": None} == {
        "agent": "1001", "name": "王芳", "state": "paused", "paused": True, "reason": "小休",
        "paused_by": "", "forced": False, "phone": "online",
        "since": NOW - 75.0, "queues": None, "calls_today": 0, "aht_s": None}
    assert (agents_shown["1002"]["state"], agents_shown["1002"]["calls_today"],
            agents_shown["1002"]["aht_s"]) == ("on_call", 5, 110.0)
    assert agents_shown["1003"]["state"] == "logged_out"
    t = shown["totals"]
    assert (t["waiting"], t["callbacks_waiting"], t["logged_in"], t["overflowed"]) == (2, 3, 2, 3)
    assert shown["targets"] == {"answer_within_s": 15, "service_rate": 0.95,
                                "connection_rate": 0.95}
    kinds = {(a["kind"], a["queue"]) for a in shown["alerts"]}
    assert (LONG_WAIT, "q12345") in kinds and (SERVICE_RATE, "q12345") in kinds
    assert (NOBODY, "q12345") not in kinds and (NOBODY, "q12333") in kinds
    assert shown["alerts"][0]["kind"] == LONG_WAIT  # the most urgent first
    # the queue's alert is up already: nothing changes with time until midnight …
    assert shown["next_change_at"] == next_midnight(NOW)
    # … but once the first caller is answered, the second passes 15 s at NOW + 11
    watch.on_event(ev.QueueCallerLeave("PJSIP/carrier-1", "1.1", "1.1", "q12345", 1, 1), NOW)
    assert screen(_state(watch, agents, today), NOW)["next_change_at"] == NOW - 4 + 15
    assert CALLER not in json.dumps(shown) and "1.1" not in json.dumps(shown)


def test_an_empty_morning() -> None:
    shown = screen(_state(QueueWatch(CONFIG.queues), AgentBoard({}, 2)), NOW)
    assert shown["totals"]["offered"] == 0 and shown["totals"]["service_rate"] is None
    assert shown["totals"]["callbacks_waiting"] is None  # not known yet: not "0"
    assert {a["kind"] for a in shown["alerts"]} == {NOBODY}  # nobody logged in anywhere
    assert shown["next_change_at"] == next_midnight(NOW)  # the day's figures start again


def test_monitoring_sessions_are_on_the_board_without_the_call() -> None:
    session = {"session": "a1b2", "supervisor": "zhao.lei", "agent": "1001",
               "call_id": "1700000000.1", "mode": "whisper", "mode_text": "耳语",
               "phase": "active", "requested_at": NOW - 9, "reason": None,
               "reason_text": None}
    state = dataclasses.replace(_state(QueueWatch(CONFIG.queues), AgentBoard({}, 2)),
                                monitoring=[session])
    assert screen(state, NOW)["monitoring"] == [{
        "session": "a1b2", "supervisor": "zhao.lei", "agent": "1001", "mode": "whisper",
        "mode_text": "耳语", "phase": "active", "reason_text": None,
        "supervisor_name": "赵磊"}]  # people by their names (agents.yaml supervisors:)


# -- the alert rules ----------------------------------------------------------------------------

def _view(**given: Any) -> QueueView:
    fields: dict[str, Any] = {"queue": "q12345", "title": "12345热线", "takes_calls": True,
                              "service_level_s": 15, "oldest_joined_at": None,
                              "logged_in": 1, "service_rate": None}
    return QueueView(**(fields | given))


def test_a_wait_past_the_service_level() -> None:
    targets = Targets()
    at_limit = _view(oldest_joined_at=NOW - 15)
    assert alerts([at_limit], targets, NOW) == []  # 15 s is still within 15 s
    (late,) = alerts([_view(oldest_joined_at=NOW - 15.5)], targets, NOW)
    assert late.kind == LONG_WAIT and late.since == NOW - 0.5
    assert "超过服务水平 15 秒" in late.text and late.text.startswith("12345热线 ")
    assert "q12345" not in late.text  # the queue's title, not its id
    assert alerts([_view(oldest_joined_at=NOW - 25, service_level_s=30)], targets, NOW) == []
    assert next_change([at_limit, _view(oldest_joined_at=NOW - 3)], NOW) == NOW
    assert next_change([_view(oldest_joined_at=NOW - 3)], NOW) == NOW + 12
    assert next_change([_view(oldest_joined_at=NOW - 30), _view()], NOW) is None


def test_a_service_rate_below_target() -> None:
    targets = Targets(service_rate=0.8)
    assert alerts([_view(service_rate=None)], targets, NOW) == []  # nothing answered yet
    assert alerts([_view(service_rate=0.8)], targets, NOW) == []
    (low,) = alerts([_view(service_rate=0.754)], targets, NOW)
    assert low.kind == SERVICE_RATE and "75.4%" in low.text and "目标 80%" in low.text


def test_a_queue_that_takes_calls_with_nobody_logged_in() -> None:
    (nobody,) = alerts([_view(logged_in=0)], Targets(), NOW)
    assert nobody.kind == NOBODY and "无话务员签入" in nobody.text
    assert alerts([_view(logged_in=0, takes_calls=False)], Targets(), NOW) == []


# -- the push -----------------------------------------------------------------------------------

class FakeTimers:
    def __init__(self) -> None:
        self.now = 0.0
        self.due: list[tuple[float, Callable[[], None], FakeTimer]] = []

    def call_later(self, delay: float, action: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer()
        self.due.append((self.now + delay, action, timer))
        return timer

    def run_until(self, t: float) -> None:
        while True:
            ready = sorted((d for d in self.due if d[0] <= t and not d[2].cancelled),
                           key=lambda d: d[0])
            if not ready:
                break
            when, action, _ = ready[0]
            self.due.remove(ready[0])
            self.now = when
            action()
        self.now = t


class FakeTimer:
    cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def test_the_throttle_runs_at_most_twice_a_second() -> None:
    timers = FakeTimers()
    runs: list[float] = []
    throttle = Throttle(0.5, lambda: runs.append(timers.now), lambda: timers.now,
                        timers.call_later)
    throttle.poke()
    assert runs == []  # never inside the event that poked: just after
    timers.run_until(0.0)
    assert runs == [0.0]
    for t in (0.1, 0.2, 0.3, 0.45):  # a burst: one run, at the end of the interval
        timers.run_until(t)
        throttle.poke()
    timers.run_until(2.0)
    assert runs == [0.0, 0.5]
    timers.run_until(3.0)
    throttle.poke()  # after a quiet spell: at once
    timers.run_until(3.0)
    assert runs == [0.0, 0.5, 3.0]
    for step in range(100):  # a steady stream of events: 2 a second
        timers.run_until(4.0 + step * 0.01)
        throttle.poke()
    timers.run_until(6.0)
    assert len([r for r in runs if 4.0 <= r < 5.0]) == 2


def test_the_notifier_pushes_changes_only_to_watchers() -> None:
    timers = FakeTimers()
    bus = WallboardBus()
    shown = {"now": 0.0, "waiting": 0, "queues": [{"queue": "q1", "longest_wait_s": 0}],
             "next_change_at": None}

    def compute(now: float) -> dict[str, Any]:
        return {**shown, "now": now, "queues": [{**shown["queues"][0], "longest_wait_s": now}]}

    notifier = WallboardNotifier(bus, compute, lambda: timers.now,
                                 call_later=timers.call_later)
    notifier.changed()
    timers.run_until(1.0)
    assert notifier.published == 0  # nobody watches: nothing computed
    queue = bus.subscribe(BOARD)
    notifier.changed()
    timers.run_until(2.0)
    first = queue.get_nowait()
    assert first["type"] == "board" and first["now"] == 1.0
    notifier.changed()  # the time moved on, nothing else: not pushed again
    timers.run_until(3.0)
    assert queue.empty()
    shown["waiting"] = 1
    shown["next_change_at"] = 10.0  # a wait will pass the service level at 10 s
    notifier.changed()
    timers.run_until(4.0)
    assert queue.get_nowait()["waiting"] == 1
    shown["waiting"] = 2  # (what the board will show then)
    timers.run_until(9.9)
    assert queue.empty()
    timers.run_until(10.1)  # woken with no event at all
    assert queue.get_nowait()["waiting"] == 2
    notifier.close()
    assert all(timer.cancelled for _, _, timer in timers.due)


# -- the command and the routes -------------------------------------------------------------

async def _no_ami(action: Any) -> Any:
    raise AssertionError(f"no AMI action expected: {action}")


@pytest.fixture
async def wall(tmp_path: Path) -> AsyncIterator[tuple[Door, Wallboard]]:
    clock = {"now": NOW}
    desk = AgentDesk(CONFIG, _no_ami, lambda: clock["now"])
    holder: dict[str, Any] = {}
    wallboard = Wallboard(CONFIG, desk, QueueWatch(CONFIG.queues), lambda: holder["store"],
                          lambda: clock["now"])
    door = await open_door(tmp_path, FakeEngine(), more=wallboard_handlers(wallboard))
    holder["store"] = door.store
    yield door, wallboard
    wallboard.notifier.close()
    await door.store.close()


async def test_the_wallboard_is_the_supervisors(wall: tuple[Door, Wallboard]) -> None:
    door, _ = wall
    await door.store.add_callback(CallbackRequest("9.9", CALLER, "12345", "12345", "q12345",
                                                  "busy", "2026-11-30T08:00:00Z"))
    shown = await door.commands.run("wallboard.get", {}, door.actor("zhao"))
    assert {q["queue"]: q for q in shown["queues"]}["q12345"]["callbacks_waiting"] == 1
    assert CALLER not in json.dumps(shown, ensure_ascii=False)
    for who in ("li", "chen"):  # an agent, an admin
        with pytest.raises(Forbidden):
            await door.commands.run("wallboard.get", {}, door.actor(who))
    rows = [(r["user"], r["action"], r["result"]) for r in await door.audit()]
    assert ("li", "wallboard.get", "CC1301") in rows and ("chen", "wallboard.get",
                                                          "CC1301") in rows


async def test_a_callback_worked_is_counted_again(wall: tuple[Door, Wallboard]) -> None:
    door, wallboard = wall
    callback = await door.store.add_callback(CallbackRequest(
        "9.9", CALLER, "12345", "12345", "q12345", "busy", "2026-11-30T08:00:00Z"))
    await wallboard.refresh_callbacks()
    assert wallboard.screen(NOW)["totals"]["callbacks_waiting"] == 1

    await door.store.callback_done(callback, "2026-11-30T08:05:00Z", "li")
    # what the desktop's callback.done publishes on the hub, as the plug-in subscribes it
    wallboard.on_callbacks(CallbacksChanged(), 0.0)
    for _ in range(50):
        await asyncio.sleep(0.01)
        if wallboard.screen(NOW)["totals"]["callbacks_waiting"] == 0:
            break
    assert wallboard.screen(NOW)["totals"]["callbacks_waiting"] == 0


async def test_the_page_and_the_routes(wall: tuple[Door, Wallboard],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    door, wallboard = wall
    app = door.app(wallboard_events=wallboard.bus)
    async with TestClient(TestServer(app)) as client:
        page = await client.get("/wallboard?screen=1")  # before sign-in: no citizen's data
        text = await page.text()
        assert page.status == 200 and "监控大屏" in text
        assert "<script>" not in text and "onclick" not in text  # no inline script (CSP)
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        for asset in ("wallboard.js", "console.js", "wallboard.css"):
            assert (await client.get(f"/wallboard/assets/{asset}")).status == 200
        for bad in ("/wallboard/assets/..%2Fhttp.py", "/wallboard/assets/../board.py",
                    "/wallboard/assets/nothing.js"):
            assert (await client.get(bad)).status == 404, bad
        assert (await client.get("/api/wallboard")).status == 401
        assert (await client.get("/api/wallboard", headers=door.auth("li"))).status == 403
        assert (await client.get("/api/wallboard/events",
                                 headers=door.auth("li"))).status == 403
        got = await client.get("/api/wallboard", headers=door.auth("zhao"))
        assert got.status == 200 and len((await got.json())["queues"]) == len(
            CONFIG.queues.queues)

        # signed in as a web page does it: the cookie, then the event stream
        signed = await client.post("/api/login", json={"user": "zhao",
                                                       "password": door.passwords["zhao"]})
        assert signed.status == 200
        stream = await client.get("/api/wallboard/events")
        assert stream.status == 200 and wallboard.bus.streams == 1
        first = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
        other = await client.get("/api/wallboard/events", headers=door.auth("zhao"))
        await asyncio.wait_for(other.content.readuntil(b"\n\n"), 5)
        encoded: list[object] = []
        monkeypatch.setattr(sse, "_dumps", lambda data: encoded.append(data) or
                            json.dumps(data, ensure_ascii=False))
        wallboard.queue_watch.on_event(_join("q12345", "7.7"), NOW - 3)
        wallboard.on_event(_join("q12345", "7.7"), NOW - 3)  # as the engine tells it
        second = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
        assert await asyncio.wait_for(other.content.readuntil(b"\n\n"), 5) == second
        assert len(encoded) == 1  # one board, encoded once for both pages
        stream.close()
        other.close()
    kind, data = first.decode().split("\n")[:2]
    assert kind == "event: board"
    assert {q["queue"]: q for q in json.loads(data[6:])["queues"]}["q12345"]["waiting"] == 0
    kind, data = second.decode().split("\n")[:2]
    assert kind == "event: board"
    assert {q["queue"]: q for q in json.loads(data[6:])["queues"]}["q12345"]["waiting"] == 1


async def test_facts_about_calls_change_the_board(wall: tuple[Door, Wallboard]) -> None:
    _, wallboard = wall
    queue = wallboard.bus.subscribe(BOARD)
    try:
        wallboard.on_fact(CallBegan("5.5", "12345", CALLER, "PJSIP/carrier-1", "from-carrier"),
                          NOW - 60)
        wallboard.on_fact(CallFinished("5.5", "12345", CALLER, "PJSIP/carrier-1", 60.0, 16,
                                       "Normal Clearing", "hangup"), NOW)
        update = await asyncio.wait_for(queue.get(), 5)
        assert update["totals"]["offered"] == 1
    finally:
        wallboard.bus.unsubscribe(BOARD, queue)


async def test_an_agents_phone_going_offline_pushes_the_board(
        wall: tuple[Door, Wallboard]) -> None:
    """An agent's phone going offline (a signed-out agent's softphone, say: no queue event
    comes) changes the board at once."""
    _, wallboard = wall
    queue = wallboard.bus.subscribe(BOARD)
    try:
        wallboard.on_event(PhoneChange("1001", "offline", "PJSIP/1001"), NOW)
        update = await asyncio.wait_for(queue.get(), 5)
        assert update["type"] == "board"
    finally:
        wallboard.bus.unsubscribe(BOARD, queue)


# -- in the engine ------------------------------------------------------------------------------

async def test_the_engine_counts_its_own_facts_and_reads_them_back(tmp_path: Path) -> None:
    """What the engine concludes about calls reaches the wallboard and ``run.py status``
    over its hub (the same figures), and is logged; a restarted engine reads the day so far
    back from its call log."""
    import time

    from callcenter.app import Engine
    from callcenter.calls.facts import CallFact, QueueAnswered
    from callcenter.paths import Paths
    from callcenter.secrets import Secrets
    from callcenter.wallboard.catchup import day_start

    paths = Paths(tmp_path, tmp_path / "var")
    engine = Engine(CONFIG, paths, Secrets(ami_secret="x"))
    start = day_start(time.time()) + 1  # today, whenever the test runs
    assert "wallboard" in engine.hub.listeners(CallFact)
    engine.core.decided(CallBegan("e1", "12345", CALLER, "PJSIP/carrier-1", "from-carrier"),
                        start)
    engine.core.decided(QueueAnswered("e1", "q12345", "1001", 5, 1), start + 5)
    engine.core.decided(CallFinished("e1", "12345", CALLER, "PJSIP/carrier-1", 65.0, 16,
                                     "Normal Clearing", "hangup"), start + 65)
    row = next(q for q in engine.snapshot()["queues"] if q["queue"] == "q12345")
    assert (row["answered"], row["in_target_pct"]) == (1, 100.0)
    shown = await engine.commands.run("wallboard.get", {})
    assert (shown["totals"]["answered"], shown["totals"]["aht_s"]) == (1, 60.0 + 10)
    assert {a["agent"]: a for a in shown["agents"]}["1001"]["calls_today"] == 1
    engine.call_log.close()

    again = Engine(CONFIG, paths, Secrets(ami_secret="x"))
    assert again.part(Wallboard).today(time.time()).total.answered == 0  # before reading back
    await again.part(Wallboard).catch_up(again.call_log)
    assert again.part(Wallboard).today(time.time()).total.answered == 1
    again.call_log.close()


async def test_a_stream_ends_when_its_person_is_no_longer_signed_in(
        wall: tuple[Door, Wallboard], monkeypatch: pytest.MonkeyPatch) -> None:
    """A page left open after signing out, or a revoked user's token, must stop receiving
    the board (callers waiting, agents' calls): streams ask again whether they may."""
    door, wallboard = wall
    monkeypatch.setattr(sse, "KEEPALIVE_S", 0.05)
    monkeypatch.setattr(sse, "SIGNED_IN_CHECK_S", 0.1)
    app = door.app(wallboard_events=wallboard.bus)
    async with TestClient(TestServer(app)) as client:
        signed = await client.post("/api/login", json={"user": "zhao",
                                                       "password": door.passwords["zhao"]})
        csrf = (await signed.json())["csrf"]
        page = await client.get("/api/wallboard/events")
        token = await client.get("/api/wallboard/events", headers=door.auth("zhao"))
        for stream in (page, token):
            assert (await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)).startswith(
                b"event: board")
        await asyncio.sleep(0.3)  # checked, and still signed in: nothing but keep-alives
        assert (await client.post("/api/logout", headers={"X-CSRF-Token": csrf})).status == 200
        rest = await asyncio.wait_for(page.content.read(), 5)  # the stream ends
        assert b"event: signed_out" in rest and b"event: board" not in rest
        assert not token.content.at_eof()  # the token still holds
        await door.commands.run("user.revoke", {"name": "zhao"}, door.actor("chen"))
        rest = await asyncio.wait_for(token.content.read(), 5)
        assert b"event: signed_out" in rest
    assert wallboard.bus.streams == 0


async def test_callbacks_stored_are_counted_without_reading_them_all_again(
        wall: tuple[Door, Wallboard], monkeypatch: pytest.MonkeyPatch) -> None:
    """At hundreds of calls a second with thousands of requests waiting, reading every open
    request again for each new one was most of the engine's CPU (bench/routing_load.py):
    a stored request is one more in its queue; a worked one is counted again, once for the
    changes that come before the count."""
    door, wallboard = wall
    await wallboard.refresh_callbacks()
    reads: list[str] = []
    counted = door.store.open_callbacks_per_queue

    async def counting() -> dict[str, int]:
        reads.append("count")
        return await counted()

    monkeypatch.setattr(door.store, "open_callbacks_per_queue", counting)
    for queue in ("q12345", "q12345", "q12315"):
        await door.store.add_callback(CallbackRequest(
            "9.9", CALLER, "12345", "12345", queue, "busy", "2026-11-30T08:00:00Z"))
        wallboard.callback_added(queue)
    shown = wallboard.screen(NOW)
    assert {q["queue"]: q["callbacks_waiting"] for q in shown["queues"]
            if q["callbacks_waiting"]} == {"q12345": 2, "q12315": 1}
    assert reads == []
    for _ in range(3):
        wallboard.callbacks_changed()
    for _ in range(50):
        await asyncio.sleep(0.01)
        if reads:
            break
    await asyncio.sleep(0.05)
    assert reads == ["count"] and wallboard.screen(NOW)["totals"]["callbacks_waiting"] == 3
