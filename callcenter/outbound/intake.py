"""Missed calls become callback tasks. From the hub:

- nobody could take the call: the dialplan's CcCallback, stored as a callback request by
  the engine (store/db.py) — already a task (this capability's migration made the requests
  tasks); the dialer checks it for a duplicate before calling;
- a caller who hung up in a queue after waiting ``abandoned_after_s`` or more, no agent
  having answered: ``abandoned``;
- a caller routed to a queue who hung up before joining it (during the greeting or the
  menu): ``greeting``;
- a number that calls again and is answered by an agent: its waiting tasks are closed
  (``answered``); a new task of a number that already has an open one is closed at once
  (``duplicate``).

The centre's own callbacks (their call ids are the dialer's channel ids) are never missed
calls. What this needs to know of a call while it lasts hangs off the call's record
(:data:`NOTES`)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog

from callcenter.calls.facts import (
    CallbackRequested,
    CallFact,
    QueueJoined,
    SubcenterAnswered,
)
from callcenter.calls.state import AgentAnswered, Attachment, CallEnded, CallTracker
from callcenter.clock import iso_ts
from callcenter.config.models import OutboundSettings
from callcenter.outbound import state as s
from callcenter.outbound.ami_actions import NUMBER, is_outbound
from callcenter.outbound.facts import TaskClosed, TaskOpened
from callcenter.outbound.state import Closed, Missed, Rules
from callcenter.outbound.store import TaskStore
from callcenter.ports import CallbacksChanged
from callcenter.routing.decide import Kind

log = structlog.get_logger("outbound")


@dataclass(slots=True)
class CallNotes:
    joined_at: float | None = None  # first joined a queue
    requested: bool = False  # the dialplan's own callback request (nobody could take it)
    elsewhere: bool = False  # a sub-center's seat took it


NOTES: Attachment[CallNotes] = Attachment("outbound.notes")


class Intake:
    def __init__(self, settings: Callable[[], OutboundSettings], tracker: CallTracker,
                 decided: Callable[[CallFact, float], None],
                 spawn: Callable[[Coroutine[Any, Any, Any]], object],
                 publish: Callable[[object, float], None]) -> None:
        self._settings = settings
        self._publish = publish
        self._tracker = tracker
        self._decided = decided
        self._spawn = spawn
        self.tasks: TaskStore | None = None  # once the store is open

    def _notes(self, call_id: str) -> CallNotes | None:
        call = self._tracker.calls.get(call_id)
        if call is None or is_outbound(call_id):
            return None
        return call.attached(NOTES) or call.attach(NOTES, CallNotes())

    def on_fact(self, fact: CallFact, ts: float) -> None:
        notes = self._notes(fact.call_id)
        if notes is None:
            return
        if isinstance(fact, QueueJoined) and notes.joined_at is None:
            notes.joined_at = ts
        elif isinstance(fact, CallbackRequested):
            notes.requested = True
        elif isinstance(fact, SubcenterAnswered):
            notes.elsewhere = True

    def on_answered(self, event: AgentAnswered, ts: float) -> None:
        call = event.call
        if call is None or is_outbound(event.call_id) or not NUMBER.fullmatch(call.caller_num):
            return
        self._spawn(self._answered_again(call.caller_num, ts))

    def on_ended(self, event: CallEnded, ts: float) -> None:
        call = event.call
        if is_outbound(call.call_id) or call.agent or not NUMBER.fullmatch(call.caller_num):
            return
        notes = call.attached(NOTES) or CallNotes()
        route = call.route
        if notes.requested or notes.elsewhere or route is None or route.kind is not Kind.QUEUE:
            return
        settings = self._settings()
        if notes.joined_at is not None:
            if ts - notes.joined_at < settings.abandoned_after_s:
                return
            reason = Missed.ABANDONED
        elif call.queue or not settings.greeting_hangups:
            return
        else:
            reason = Missed.GREETING
        self._spawn(self.open(call.call_id, call.caller_num, call.dialed, route.hotline,
                              call.queue or route.queue, reason.value, ts))

    async def open(self, call_id: str, caller: str, dialed: str, hotline: str, queue: str,
                   reason: str, at: float) -> None:
        """A missed call's task: stored, then waiting — or closed at once, a duplicate."""
        tasks = self.tasks
        if tasks is None or await tasks.has_call(call_id):
            return
        task = await tasks.add(call_id, caller, dialed, hotline, queue, reason, iso_ts(at))
        duplicate = await tasks.open_before(task)
        task = await tasks.step(task, *s.missed(task, at, Rules.of(self._settings()),
                                                duplicate))
        self._decided(TaskOpened(call_id, task.id, caller, hotline, queue, reason,
                                 task.state.value, task.next_at), at)
        self._publish(CallbacksChanged(queue), at)  # the desktops' and wallboard's lists

    async def _answered_again(self, caller: str, at: float) -> None:
        tasks = self.tasks
        if tasks is None:
            return
        for task in await tasks.waiting_of(caller):
            try:
                await tasks.step(task, *s.closed(task, Closed.ANSWERED, at))
            except Exception as exc:  # taken by the dialer meanwhile: it finishes
                log.info("outbound.close_skipped", task=task.id, error=repr(exc))
                continue
            self._decided(TaskClosed(f"task-{task.id}", task.id, Closed.ANSWERED.value), at)
            self._publish(CallbacksChanged(), at)
