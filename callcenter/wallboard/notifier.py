"""Pushing the wallboard: when the engine's events change it, the whole board is published
on the :class:`WallboardBus` — at most twice a second (:class:`Throttle`: the first change
right after the event that made it, those that follow within the interval as one), only when
someone watches, and not at all when nothing shown changed. The board is never computed
inside an event's handling or a log line's writing: always just after, on the loop.

The page counts waits and times in state from the board's timestamps, so no per-second push
is needed; a wait that passes the service level with no event is pushed when it does (the
board's ``next_change_at``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from callcenter.tickets.live import LiveBus
from callcenter.web.sse import Encoded

log = structlog.get_logger("wallboard")

BOARD = "board"  # the bus key of the one board
MIN_INTERVAL_S = 0.5  # at most 2 updates a second
PER_BOARD = 200  # open streams on the board (supervisors' pages and wall screens)
WAKE_LATE_S = 0.05  # a timed change is looked at just after it is due
UNSTEADY = ("now",)  # what changes with time alone (not a reason to push)
UNSTEADY_QUEUE = ("longest_wait_s",)


class WallboardBus(LiveBus[str]):
    noun = "wallboard"

    def __init__(self) -> None:
        super().__init__(per_ticket=PER_BOARD)


class Timer(Protocol):
    def cancel(self) -> None: ...


CallLater = Callable[[float, Callable[[], None]], Timer]


def loop_call_later(delay: float, action: Callable[[], None]) -> Timer:
    return asyncio.get_running_loop().call_later(delay, action)


class Throttle:
    """Runs ``action`` at most once per ``interval`` seconds: a poke after a quiet interval
    runs it as soon as the loop is free; pokes within the interval are one run at its
    end."""

    def __init__(self, interval: float, action: Callable[[], None], clock: Callable[[], float],
                 call_later: CallLater = loop_call_later) -> None:
        self.interval = interval
        self._action = action
        self._clock = clock
        self._call_later = call_later
        self._last: float | None = None
        self._pending: Timer | None = None

    def poke(self) -> None:
        if self._pending is not None:
            return  # the run that is due will show this change too
        wait = 0.0 if self._last is None else self._last + self.interval - self._clock()
        self._pending = self._call_later(max(0.0, wait), self._fire)

    def _fire(self) -> None:
        self._pending = None
        self._last = self._clock()
        self._action()

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None


def steady(board: dict[str, Any]) -> dict[str, Any]:
    """The board without what changes with time alone (compared to skip a needless push)."""
    kept = {k: v for k, v in board.items() if k not in UNSTEADY}
    kept["queues"] = [{k: v for k, v in q.items() if k not in UNSTEADY_QUEUE}
                      for q in board.get("queues", [])]
    return kept


class WallboardNotifier:
    def __init__(self, bus: WallboardBus, compute: Callable[[float], dict[str, Any]],
                 clock: Callable[[], float], interval: float = MIN_INTERVAL_S,
                 call_later: CallLater = loop_call_later) -> None:
        self.bus = bus
        self._compute = compute
        self._clock = clock
        self._call_later = call_later
        self._throttle = Throttle(interval, self._publish, clock, call_later)
        self._wake: Timer | None = None
        self._last: dict[str, Any] | None = None
        self.published = 0

    def changed(self) -> None:
        """Something on the board may have changed (an engine event, a call-log line)."""
        if not self.bus.streams:
            return
        # not on the engine's loop (a worker thread's log line): the next change on the
        # loop pushes the board
        with contextlib.suppress(RuntimeError):
            self._throttle.poke()

    def watch(self, board: dict[str, Any], now: float) -> None:
        """A board just shown to a new watcher: its timed change is pushed when due."""
        self._wake_at(board.get("next_change_at"), now)

    def _publish(self) -> None:
        if not self.bus.streams:
            return
        now = self._clock()
        try:
            board = self._compute(now)
        except Exception:
            log.exception("wallboard.failed")
            return
        self._wake_at(board.get("next_change_at"), now)
        shown = steady(board)
        if shown == self._last:
            return
        self._last = shown
        self.published += 1
        self.bus.publish(BOARD, Encoded({"type": "board", **board}))  # once for all pages

    def _wake_at(self, at: float | None, now: float) -> None:
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        if at is not None:
            self._wake = self._call_later(max(0.0, at - now) + WAKE_LATE_S, self._woken)

    def _woken(self) -> None:
        self._wake = None
        self.changed()

    def close(self) -> None:
        self._throttle.cancel()
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
