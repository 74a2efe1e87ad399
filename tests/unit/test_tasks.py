"""Background work is never silent: failed short tasks are logged; a long-running task that
ends is logged and restarted, and one that keeps failing stops the engine with an error."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from callcenter.tasks import Supervisor, TaskSet


async def test_a_failing_short_task_is_logged_with_where_not_what() -> None:
    tasks = TaskSet("ticket-desk")

    async def boom() -> None:
        raise KeyError("13812345678")

    with capture_logs() as logs:
        tasks.spawn(boom())
        await tasks.wait()
        await asyncio.sleep(0)
    (failed,) = [e for e in logs if e["event"] == "task.failed"]
    assert failed["part"] == "ticket-desk" and failed["error"] == "KeyError"
    assert "13812345678" not in str(failed) and failed["at"][-1].startswith("test_tasks.py:")
    assert len(tasks) == 0


async def test_a_task_that_ends_is_restarted() -> None:
    runs: list[int] = []
    given_up: list[str] = []

    async def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("link lost")
        await asyncio.Event().wait()  # then it keeps running

    supervisor = Supervisor(given_up.append, restart_after_s=0.01)
    with capture_logs() as logs:
        supervisor.start("ami", flaky)
        await asyncio.sleep(0.2)
        await supervisor.stop()
    assert len(runs) == 3 and given_up == []
    assert [e["event"] for e in logs].count("task.restarted") == 2
    assert {e["error"] for e in logs if e["event"] == "task.ended"} == {"RuntimeError"}


async def test_a_task_that_keeps_failing_stops_the_engine() -> None:
    given_up: list[str] = []

    async def returns_at_once() -> None:
        return None

    supervisor = Supervisor(given_up.append, restart_after_s=0.0, max_restarts=3,
                            window_s=60)
    with capture_logs() as logs:
        supervisor.start("log-flusher", returns_at_once)
        await asyncio.sleep(0.1)
        await supervisor.stop()
    assert given_up == ["log-flusher failed 4 times within 60 s"]
    assert [e["event"] for e in logs].count("task.given_up") == 1
