"""Live queue figures from AMI events (no polling): who waits and since when, and what
happened to each caller — the ``queue.*`` facts (:mod:`callcenter.calls.facts`) that the
decision core logs and publishes.

Per queue the snapshot shows callers waiting and the longest wait, agents
available/busy/paused (from the agent board), and today's calls answered (and within 15 s),
abandoned and overflowed as the report counts them: from those very facts, by
:class:`~callcenter.reports.figures.ReportBuilder` (live: :mod:`callcenter.wallboard.day`),
so that ``run.py status``, the wallboard and ``run.py report`` agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from callcenter.agents.state import AgentBoard, AgentState
from callcenter.ami import events as ev
from callcenter.calls.facts import (
    CallFact,
    QueueAbandoned,
    QueueAnswered,
    QueueJoined,
    QueueMoved,
    QueueOverflowed,
)
from callcenter.config.models import QueuesConfig
from callcenter.reports.figures import Report, Tally

MOVED, OVERFLOWED = "moved", "overflowed"  # how a caller came into the queue they wait in
GONE_KEPT = 10_000  # callers out of a queue whose join time is kept for a move (until hang-up)


@dataclass(slots=True)
class QueueFigures:
    waiting: dict[str, float] = field(default_factory=dict)  # caller uniqueid → joined at
    # callers who came from another queue: uniqueid → (MOVED | OVERFLOWED, that queue)
    came: dict[str, tuple[str, str]] = field(default_factory=dict)


class QueueWatch:
    """Asterisk reports a caller leaving by the queue's own timeout (our overflow) with the
    same QueueCallerAbandon as a caller hanging up. So an abandon is held until the call
    shows which it was: the dialplan's CcOverflow or CcCallback (not abandoned) or the
    caller's Hangup.

    A caller a supervisor moved into another queue waits there since they first joined (the
    wait keeps counting, as the report counts it); one who overflowed waits since joining
    the new queue (the report's 15 s rate counts that queue's wait). Both are known to have
    come from the other queue (:meth:`came_from`)."""

    def __init__(self, queues: QueuesConfig) -> None:
        self.queues = queues
        self.figures: dict[str, QueueFigures] = {name: QueueFigures() for name in queues.queues}
        self._left: dict[str, tuple[ev.QueueCallerAbandon, float]] = {}
        self._gone: dict[str, float] = {}  # out of a queue (Leave/Abandon): when it joined
        self._carry: dict[str, tuple[float | None, str, str]] = {}  # for the next join

    def reconfigure(self, queues: QueuesConfig) -> None:
        """A reloaded configuration: callers waiting stay, new queues start empty."""
        self.queues = queues
        for name in queues.queues:
            self.figures.setdefault(name, QueueFigures())

    def _q(self, name: str) -> QueueFigures:
        return self.figures.setdefault(name, QueueFigures())

    def _leave(self, queue: str, uniqueid: str) -> None:
        q = self._q(queue)
        joined = q.waiting.pop(uniqueid, None)
        q.came.pop(uniqueid, None)
        if joined is not None:
            self._gone[uniqueid] = joined
            while len(self._gone) > GONE_KEPT:
                del self._gone[next(iter(self._gone))]

    def on_event(self, event: ev.AmiEvent, ts: float) -> list[tuple[CallFact, float]]:
        """Take ``event``; what it made of a call (the ``queue.*`` facts), each with its
        time (an abandon is known at the hang-up, and dated when the caller left)."""
        facts: list[tuple[CallFact, float]] = []
        if isinstance(event, ev.QueueCallerJoin):
            q = self._q(event.queue)
            carried = self._carry.pop(event.uniqueid, None)
            q.waiting[event.uniqueid] = ts if carried is None or carried[0] is None \
                else carried[0]
            if carried is not None:
                q.came[event.uniqueid] = carried[1:]
            facts.append((QueueJoined(event.linkedid, event.queue, event.position,
                                      event.count), ts))
        elif isinstance(event, ev.QueueEntryListed):  # resync
            self._q(event.queue).waiting.setdefault(event.uniqueid, ts - event.wait)
        elif isinstance(event, ev.QueueCallerLeave):
            self._leave(event.queue, event.uniqueid)
        elif isinstance(event, ev.QueueCallerAbandon):
            self._leave(event.queue, event.uniqueid)
            self._left[event.uniqueid] = (event, ts)
        elif isinstance(event, ev.Hangup):
            self._gone.pop(event.uniqueid, None)
            self._carry.pop(event.uniqueid, None)
            if event.uniqueid in self._left:
                left, left_ts = self._left.pop(event.uniqueid)
                facts.append((QueueAbandoned(left.linkedid, left.queue, left.hold_time,
                                             left.position, left.original_position), left_ts))
        elif isinstance(event, ev.AgentConnect):
            facts.append((QueueAnswered(event.linkedid, event.queue, event.member_name,
                                        event.hold_time, event.ring_time), ts))
        elif isinstance(event, ev.UserEvent) and event.name == "CcCallback":
            self._left.pop(event.uniqueid, None)  # the queue emptied: a callback, not a hang-up
        elif isinstance(event, ev.UserEvent) and event.name == "CcOverflow":
            fields = dict(event.fields)
            timed_out = self._left.pop(event.uniqueid, None)
            self._carry[event.uniqueid] = (None, OVERFLOWED, fields.get("From", ""))
            facts.append((QueueOverflowed(event.linkedid, fields.get("From", ""),
                                          fields.get("To", ""), fields.get("QueueStatus", ""),
                                          timed_out[0].hold_time if timed_out else 0), ts))
        elif isinstance(event, ev.UserEvent) and event.name == "CcMoved":
            # a supervisor moved the caller ([cc-move]): Asterisk reported the Redirect out
            # of the queue as an abandon, which it is not
            fields = dict(event.fields)
            moved = self._left.pop(event.uniqueid, None)
            self._carry[event.uniqueid] = (self._gone.pop(event.uniqueid, None), MOVED,
                                           fields.get("From", ""))
            facts.append((QueueMoved(event.linkedid, fields.get("From", ""),
                                     fields.get("To", ""), fields.get("QueueStatus", ""),
                                     moved[0].hold_time if moved else 0), ts))
        return facts

    def begin_resync(self) -> None:
        for q in self.figures.values():
            q.waiting.clear()
            q.came.clear()

    def joined_at(self, queue: str, uniqueid: str) -> float | None:
        """Since when the caller waits in ``queue`` (a move does not restart it)."""
        q = self.figures.get(queue)
        return q.waiting.get(uniqueid) if q is not None else None

    def came_from(self, queue: str, uniqueid: str) -> tuple[str, str] | None:
        """(MOVED | OVERFLOWED, the queue) for a caller who came into ``queue`` from another."""
        q = self.figures.get(queue)
        return q.came.get(uniqueid) if q is not None else None

    def oldest(self, queue: str) -> float | None:
        """When the caller waiting longest in ``queue`` joined it (None: nobody waits)."""
        q = self.figures.get(queue)
        return min(q.waiting.values()) if q is not None and q.waiting else None

    def snapshot(self, board: AgentBoard, now: float, today: Report) -> list[dict[str, Any]]:
        """Per queue: who waits now, its agents now, and ``today``'s calls (the report's
        figures of the day: ``ReportBuilder.settled``)."""
        rows = []
        for name in sorted(self.figures):
            q = self.figures[name]
            members = [a for a in board.agents.values() if name in a.queues]
            states = [a.state(now) for a in members]
            oldest = self.oldest(name)
            day = today.by_queue.get(name, Tally())
            rows.append({
                "queue": name,
                "title": self.queues.queues[name].title if name in self.queues.queues else "",
                "waiting": len(q.waiting),
                "longest_wait_s": round(now - oldest, 1) if oldest is not None else 0,
                # their phone registered too: Asterisk rings no unregistered phone
                "available": sum(a.takes_calls(now) for a in members),
                "busy": sum(s in (AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAPUP)
                            for s in states),
                "paused": states.count(AgentState.PAUSED),
                "answered": day.answered,
                "in_target_pct": None if day.service_level is None
                else round(100 * day.service_level, 1),
                "abandoned": day.abandoned,
                "overflowed": day.overflowed,
            })
        return rows
