"""Background work of the engine, never silent when it fails.

- :class:`TaskSet`: short tasks a part spawns (store a ticket line, send an action). They are
  kept referenced until done; one that raises is logged (``task.failed``: which part, the
  error's class and where — not its message, which may quote a caller's number).
- :class:`Supervisor`: the engine's long-running tasks (AMI link, log flusher, timers). One
  that ends when it should not — by an error or by returning — is logged and restarted
  after a pause; one that keeps failing (``max_restarts`` within ``window_s``) makes the
  engine stop with an error, so that whatever runs the engine (``run.py up``, systemd)
  starts a whole one again: never a silent half-engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger("engine")

Work = Callable[[], Coroutine[Any, Any, Any]]


def where(exc: BaseException) -> list[str]:
    """``file:line function`` of the last frames of an exception's traceback."""
    return [f"{Path(f.filename).name}:{f.lineno} {f.name}"
            for f in traceback.extract_tb(exc.__traceback__)[-4:]]


class TaskSet:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("task.failed", part=self.owner, error=type(exc).__name__, at=where(exc))

    def __len__(self) -> int:
        return len(self._tasks)

    async def wait(self) -> None:
        """Until the tasks running now are done (their errors are logged, not raised)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class Supervisor:
    def __init__(self, on_give_up: Callable[[str], None], *, restart_after_s: float = 1.0,
                 max_restarts: int = 5, window_s: float = 60.0) -> None:
        self.on_give_up = on_give_up
        self.restart_after_s = restart_after_s
        self.max_restarts = max_restarts
        self.window_s = window_s
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.restarts: dict[str, list[float]] = {}

    def start(self, name: str, work: Work) -> None:
        """Run ``work()`` for as long as the engine runs (it is not meant to end)."""
        self._tasks[name] = asyncio.get_running_loop().create_task(self._keep(name, work))

    async def _keep(self, name: str, work: Work) -> None:
        while True:
            try:
                await work()
                log.error("task.ended", task=name, error="returned")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("task.ended", task=name, error=type(exc).__name__, at=where(exc))
            now = time.monotonic()
            recent = [t for t in self.restarts.get(name, []) if now - t < self.window_s]
            if len(recent) >= self.max_restarts:
                log.critical("task.given_up", task=name, restarts=len(recent),
                             window_s=self.window_s)
                self.on_give_up(f"{name} failed {len(recent) + 1} times within "
                                f"{self.window_s:.0f} s")
                return
            self.restarts[name] = [*recent, now]
            await asyncio.sleep(self.restart_after_s)
            log.warning("task.restarted", task=name, restarts=len(recent) + 1)

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
