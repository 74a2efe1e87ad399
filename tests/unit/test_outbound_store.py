"""Callback tasks in the store (#26): the callback requests the engine already keeps are the
tasks (a request worked by an agent is closed), every attempt a row, the history
append-only, a stale read refused, numbers masked in lists."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from callcenter.errors import OutboundConflict
from callcenter.outbound import state as s
from callcenter.outbound.state import Outcome, Rules, TaskState
from callcenter.outbound.store import MIGRATIONS, TaskStore
from callcenter.store.db import CallbackRequest, Store

RULES = Rules(attempts=3, spacing_s=60, quiet_from=0, quiet_until=0)
T0 = 1_790_000_000.0


@pytest.fixture
async def tasks(tmp_path: Path) -> AsyncIterator[tuple[Store, TaskStore]]:
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    tasks = TaskStore(await store.own_connection())
    try:
        yield store, tasks
    finally:
        await tasks.close()
        await store.close()


async def test_requests_kept_before_the_capability_become_tasks(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "cc.sqlite3")
    try:
        recent = datetime.now(UTC) - timedelta(hours=2)  # (a day older: expired, below)
        first = await store.add_callback(CallbackRequest(
            "1.1", "13812345678", "12345", "12345", "q12345", "joinempty",
            recent.strftime("%Y-%m-%dT%H:%M:%SZ")))
        second = await store.add_callback(CallbackRequest(
            "1.2", "13900001111", "12345", "12345", "q12345", "joinempty",
            recent.strftime("%Y-%m-%dT%H:%M:%SZ")))
        old = await store.add_callback(CallbackRequest(
            "1.3", "13700002222", "12345", "12345", "q12345", "joinempty",
            (recent - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")))
        taken = await store.add_callback(CallbackRequest(
            "1.4", "13600003333", "12345", "12345", "q12345", "joinempty",
            recent.strftime("%Y-%m-%dT%H:%M:%SZ")))
        await store.db.execute("UPDATE callback_request SET taken_by = 'li' WHERE id = ?",
                               (taken,))
        await store.db.commit()
        assert await store.callback_done(second, "2026-12-07T02:00Z", "wang")
    finally:
        await store.close()
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    tasks = TaskStore(await store.own_connection())
    try:
        # an agent's own (taken) is not the dialer's; one missed days before is not rung now
        assert [(t.id, t.state) for t in await tasks.due(T0)] == [(first, TaskState.WAITING)]
        worked = await tasks.need(second)
        assert (worked.state, worked.closed_reason) == (TaskState.CLOSED, "worked")
        expired = await tasks.need(old)
        assert (expired.state, expired.closed_reason) == (TaskState.CLOSED, "expired")
    finally:
        await tasks.close()
        await store.close()


async def test_busy_no_answer_reached_every_attempt_a_row(
        tasks: tuple[Store, TaskStore]) -> None:
    store, kept = tasks
    task = await kept.add("1.1", "13812345678", "12345", "12345", "q12345", "abandoned",
                          "2026-12-07T01:00:00.000Z")
    task = await kept.step(task, *s.missed(task, T0, RULES, open_already=False))
    for n, outcome in enumerate((Outcome.BUSY, Outcome.NO_ANSWER, Outcome.REACHED)):
        now = T0 + n * 100
        task = await kept.step(task, *s.dialed(task, now, RULES),
                               attempt=(f"cb-{task.id}-{n + 1}", now))
        task = await kept.step(task, *s.ended(task, outcome, now + 5, RULES),
                               attempt_end=(outcome.value, {0: 17, 1: 19, 2: None}[n]))
    assert (task.state, task.attempts) == (TaskState.REACHED, 3)
    [row] = await kept.listing()
    assert row["caller"] == "138****5678" and row["state"] == "reached"
    assert [(a["number"], a["outcome"], a["cause"]) for a in row["attempts"]] == [
        (1, "busy", 17), (2, "no_answer", 19), (3, "reached", None)]
    assert [h["event"] for h in await kept.history(task.id)] == [
        "missed", "dialed", "ended", "dialed", "ended", "dialed", "ended"]
    # the desktop no longer lists it: done
    assert await store.open_callbacks() == []
    assert await kept.number(task.id) == ("13812345678", "12345", "1.1")


async def test_a_stale_read_is_refused_and_changes_nothing(
        tasks: tuple[Store, TaskStore]) -> None:
    _store, kept = tasks
    task = await kept.add("1.1", "13812345678", "12345", "12345", "q12345", "greeting",
                          "2026-12-07T01:00:00.000Z")
    moved = await kept.step(task, *s.dialed(task, T0, RULES), attempt=("cb-1-1", T0))
    with pytest.raises(OutboundConflict):
        await kept.step(task, *s.closed(task, s.Closed.CANCELLED, T0))
    assert await kept.need(task.id) == moved
    assert len(await kept.history(task.id)) == 1


async def test_history_is_append_only(tasks: tuple[Store, TaskStore]) -> None:
    store, kept = tasks
    task = await kept.add("1.1", "13812345678", "12345", "12345", "q12345", "greeting",
                          "2026-12-07T01:00:00.000Z")
    await kept.step(task, *s.missed(task, T0, RULES, open_already=False))
    for sql in ("UPDATE callback_event SET note = 'x'", "DELETE FROM callback_event"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await store.db.execute(sql)


async def test_an_older_open_task_makes_a_duplicate(tasks: tuple[Store, TaskStore]) -> None:
    _store, kept = tasks
    first = await kept.add("1.1", "13812345678", "12345", "12345", "q12345", "abandoned",
                           "2026-12-07T01:00:00.000Z")
    second = await kept.add("1.2", "13812345678", "12345", "12345", "q12345", "greeting",
                            "2026-12-07T01:05:00.000Z")
    other = await kept.add("1.3", "13900001111", "12345", "12345", "q12345", "greeting",
                           "2026-12-07T01:06:00.000Z")
    assert not await kept.open_before(first)
    assert await kept.open_before(second)
    assert not await kept.open_before(other)
    assert [t.id for t in await kept.waiting_of("13812345678")] == [first.id, second.id]
    assert await kept.has_call("1.2") and not await kept.has_call("9.9")
