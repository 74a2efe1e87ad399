"""The callback tasks as people read them (#26): ``run.py callbacks list [--json]`` (id,
hotline, queue, state, attempts with outcomes; the number masked) and
``GET /api/callbacks/tasks`` for the desktop — a role check and an audit row either way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

import callcenter.cli as cli
from callcenter.api.server import build_app
from callcenter.config.loader import load_config
from callcenter.outbound import plugin as outbound_plugin
from callcenter.outbound import state as s
from callcenter.outbound.commands import handlers
from callcenter.outbound.state import Outcome, Rules
from callcenter.outbound.store import MIGRATIONS, TaskStore
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.store.db import Store
from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeEngine

RULES = Rules(quiet_from=0, quiet_until=0)
T0 = 1_790_000_000.0


async def _two_tasks(tasks: TaskStore) -> None:
    """Task 1: busy then reached; task 2: waiting, no attempt yet."""
    task = await tasks.add("1.1", "13812345678", "12345", "12345政务服务便民热线", "q12345",
                           "abandoned", "2026-12-07T01:00:00.000Z")
    for n, outcome in enumerate((Outcome.BUSY, Outcome.REACHED)):
        task = await tasks.step(task, *s.dialed(task, T0 + n * 1000, RULES),
                                attempt=(f"callback-1-{n + 1}", T0 + n * 1000))
        task = await tasks.step(task, *s.ended(task, outcome, T0 + n * 1000 + 5, RULES),
                                attempt_end=(outcome.value, 17 if n == 0 else None))
    await tasks.add("1.2", "13900001111", "12315", "12315热线", "q12315", "greeting",
                    "2026-12-07T02:00:00.000Z")


def test_callbacks_list_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CALLCENTER_VAR", str(tmp_path / "var"))
    config = load_config(PROJECT_ROOT / "config")
    database = Paths.default().own(config.engine.paths.database)

    async def prepare() -> None:
        store = await Store.open(database, MIGRATIONS)
        tasks = TaskStore(await store.own_connection())
        try:
            await _two_tasks(tasks)
        finally:
            await tasks.close()
            await store.close()

    asyncio.run(prepare())
    assert cli.main(["callbacks", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["id"], t["caller"], t["queue"], t["state"], t["state_text"]) for t in listed] == [
        (2, "139****1111", "q12315", "waiting", "待回拨"),
        (1, "138****5678", "q12345", "reached", "已回拨")]
    assert [(a["number"], a["outcome"], a["outcome_text"], a["cause"])
            for a in listed[1]["attempts"]] == [(1, "busy", "占线", 17),
                                                (2, "reached", "已接通", None)]
    assert cli.main(["callbacks", "list", "--open"]) == 0
    table = capsys.readouterr().out
    assert "139****1111" in table and "138****5678" not in table and "13900001111" not in table
    assert cli.main(["callbacks", "cancel", "2"]) == 0
    assert capsys.readouterr().out == "回拨任务 2：已关闭\n"
    assert cli.main(["audit"]) == 0
    audit = capsys.readouterr().out
    assert audit.count("callback.tasks") + audit.count("查看回拨任务") == 2  # one a listing
    assert audit.count("callback.cancel") + audit.count("取消回拨任务") == 1


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[tuple[Door, TestClient]]:  # type: ignore[type-arg]
    await (await Store.open(tmp_path / "people.sqlite3", MIGRATIONS)).close()
    kept: list[TaskStore] = []
    door = await open_door(tmp_path, FakeEngine(), handlers(lambda: kept[0]))
    kept.append(TaskStore(await door.store.own_connection()))
    await _two_tasks(kept[0])
    app = build_app(door.signin, door.commands.run, [outbound_plugin.routes])
    try:
        async with TestClient(TestServer(app)) as client:
            yield door, client
    finally:
        await kept[0].close()
        await door.store.close()


async def test_the_desktops_route_checks_the_role_and_audits(
        door: tuple[Door, TestClient]) -> None:  # type: ignore[type-arg]
    people, client = door
    r = await client.get("/api/callbacks/tasks")
    assert r.status == 401
    r = await client.get("/api/callbacks/tasks", headers=people.auth("wang"),
                         params={"open": "true"})
    body = await r.json()
    assert r.status == 200, body
    assert [(t["id"], t["caller"], t["state"]) for t in body] == [(2, "139****1111", "waiting")]
    assert "13900001111" not in json.dumps(body)
    r = await client.get("/api/callbacks/tasks", headers=people.auth("chen"))
    assert r.status == 403  # an admin sees no citizen's data
    r = await client.get("/api/callbacks/tasks", headers=people.auth("wang"),
                         params={"limit": "0"})
    assert r.status == 400
    rows = [(a["user"], a["action"], a["result"]) for a in await people.audit()
            if a["action"] == "callback.tasks"]
    assert rows[:2] == [("wang", "callback.tasks", "ok"), ("chen", "callback.tasks", "CC1301")]


async def test_a_supervisor_cancels_a_waiting_task(
        door: tuple[Door, TestClient]) -> None:  # type: ignore[type-arg]
    people, client = door
    r = await client.post("/api/callbacks/tasks/2/cancel", headers=people.auth("wang"))
    assert r.status == 403  # an agent may not
    r = await client.post("/api/callbacks/tasks/2/cancel", headers=people.auth("zhao"))
    body = await r.json()
    assert (r.status, body["state"], body["closed_reason"]) == (200, "closed", "cancelled")
    r = await client.post("/api/callbacks/tasks/2/cancel", headers=people.auth("zhao"))
    assert r.status == 409  # not waiting any more
    r = await client.post("/api/callbacks/tasks/1/cancel", headers=people.auth("zhao"))
    assert r.status == 409  # reached already
    r = await client.post("/api/callbacks/tasks/99/cancel", headers=people.auth("zhao"))
    assert r.status == 404
    r = await client.get("/api/callbacks/tasks", headers=people.auth("zhao"))
    assert [(t["id"], t["state"], t["closed_text"]) for t in await r.json()] == [
        (2, "closed", "已取消"), (1, "reached", "")]
    rows = [(a["user"], a["result"]) for a in await people.audit()
            if a["action"] == "callback.cancel"]
    assert rows == [("wang", "CC1301"), ("zhao", "ok"), ("zhao", "CC1801"), ("zhao", "CC1801"),
                    ("zhao", "CC801")]
