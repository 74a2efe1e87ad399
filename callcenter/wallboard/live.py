"""The live wallboard of the engine: what the board is computed from (the agent desk, the
queue watch, today's figures, the callbacks waiting) and what tells it that it changed —
events on the hub: AMI events, the facts about calls (:mod:`callcenter.calls.facts`, today's
figures), agents' state and phone changes, a callback stored or worked. Its plug-in
(:mod:`.plugin`) subscribes it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from callcenter.agents.desk import AgentDesk
from callcenter.agents.state import PhoneChange, StateChange
from callcenter.ami import events as ev
from callcenter.calllog.writer import CallLog
from callcenter.calls.facts import CallFact
from callcenter.config.loader import Config
from callcenter.ports import CallbacksChanged
from callcenter.queues.watch import QueueWatch
from callcenter.reports.figures import Report, local_day
from callcenter.routing.decide import Router
from callcenter.store.db import Store
from callcenter.tasks import TaskSet
from callcenter.wallboard.catchup import read_day
from callcenter.wallboard.day import DayFigures
from callcenter.wallboard.notifier import WallboardBus, WallboardNotifier
from callcenter.wallboard.screen import ScreenState, screen

log = structlog.get_logger("wallboard")

# what changes the board besides today's facts: callers joining and leaving queues,
# agents' memberships, pauses (and their reasons) and calls, agents' states and phones
EVENTS = (ev.QueueCallerJoin, ev.QueueCallerLeave, ev.QueueCallerAbandon, ev.QueueEntryListed,
          ev.QueueMemberEvent, ev.QueueMemberRemoved, ev.AgentCalled, ev.AgentComplete,
          ev.AgentRingNoAnswer,  # an agent's answer: the tracker's AgentAnswered
          StateChange, PhoneChange)


def wrapups(config: Config) -> dict[str, int]:
    return {name: q.wrapup_s for name, q in config.queues.queues.items()}


class Wallboard:
    def __init__(self, config: Config, agent_desk: AgentDesk, queue_watch: QueueWatch,
                 store: Callable[[], Store | None], clock: Callable[[], float]) -> None:
        self.config = config
        self.agent_desk = agent_desk
        self.queue_watch = queue_watch
        self.day = DayFigures(wrapups(config))
        self.bus = WallboardBus()
        self.notifier = WallboardNotifier(self.bus, self.screen, clock)
        self._store = store
        self._clock = clock
        self._callbacks: dict[str, int] | None = None
        self._recount_due = False
        self._tasks = TaskSet("wallboard")
        # the live monitoring sessions (the composition root hands the monitor desk's)
        self.monitoring: Callable[[], Sequence[Mapping[str, Any]]] = lambda: ()

    def reconfigure(self, config: Config, _router: Router) -> None:
        self.config = config
        self.day.reconfigure(wrapups(config))
        self.notifier.changed()

    # -- what it is told -------------------------------------------------------------------

    def on_fact(self, fact: CallFact, ts: float) -> None:
        """A fact about a call (today's figures count it)."""
        if self.day.count(fact.record(ts)):
            self.notifier.changed()

    def on_event(self, _event: object, _ts: float) -> None:
        """One of :data:`EVENTS`: the floor changed."""
        self.notifier.changed()

    def callback_added(self, queue: str) -> None:
        """A callback request was stored: one more waiting (counted here, not read again:
        at hundreds of calls a second, with thousands waiting, a recount per request was
        most of the engine's work)."""
        if self._callbacks is None:
            self.callbacks_changed()
            return
        self._callbacks[queue] = self._callbacks.get(queue, 0) + 1
        self.notifier.changed()

    def on_callbacks(self, event: CallbacksChanged, _ts: float) -> None:
        """A callback request stored (one more in its queue) or worked (count again)."""
        if event.queue:
            self.callback_added(event.queue)
        else:
            self.callbacks_changed()

    def callbacks_changed(self) -> None:
        """Callback requests were worked: count them again (once for changes that come
        before the count begins)."""
        if not self._recount_due:
            self._recount_due = True
            self._tasks.spawn(self.refresh_callbacks())

    async def refresh_callbacks(self) -> None:
        self._recount_due = False  # a change from now on is counted by another recount
        store = self._store()
        if store is None:
            return
        self._callbacks = await store.open_callbacks_per_queue()
        self.notifier.changed()

    # -- the board -------------------------------------------------------------------------

    def today(self, now: float) -> Report:
        """Today's figures as ``run.py report`` counts them (``run.py status`` shows them)."""
        return self.day.today(now)

    def screen(self, now: float) -> dict[str, Any]:
        desk_rows = {str(row["agent"]): row for row in self.agent_desk.snapshot()}
        return screen(ScreenState(self.config, self.queue_watch, self.agent_desk.board,
                                self.agent_desk.since, self.day.today(now), self._callbacks,
                                catching_up=self.day.catching_up,
                                monitoring=self.monitoring(), desk_rows=desk_rows,
                                forced=dict(self.agent_desk.forced),
                                overflowing=self.day.reports.overflowing(local_day(now))),
                     now)

    async def current(self) -> dict[str, Any]:
        """The board now (the ``wallboard.get`` command)."""
        if self._callbacks is None:
            await self.refresh_callbacks()
        now = self._clock()
        shown = self.screen(now)
        self.notifier.watch(shown, now)
        return shown

    # -- the day so far, after a (re)start -------------------------------------------------

    async def catch_up(self, call_log: CallLog) -> None:
        """Read today's lines back from the call log; lines logged meanwhile are held (no
        line between the two is lost or counted twice: the log is flushed and its size
        taken, and holding begins, in one step of the loop)."""
        path = call_log.path
        if path is None:
            return
        call_log.flush()
        until = path.stat().st_size if path.exists() else 0
        self.day.hold()
        now = self._clock()
        try:
            reports = await asyncio.to_thread(read_day, path, until, now,
                                              wrapups(self.config))
        except OSError as exc:
            log.warning("wallboard.catch_up_failed", error=type(exc).__name__,
                        message=exc.strerror or "")
            self.day.give_up_catching_up()
        else:
            self.day.caught_up(reports)
        self.notifier.changed()
        await self.refresh_callbacks()
