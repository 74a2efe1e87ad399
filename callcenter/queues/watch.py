"""Live queue figures from AMI events (no polling): who waits, for how long, what happened.

Per queue: callers waiting and the longest wait, calls answered (and within the service-level
target), abandoned, overflowed; agents available/busy/paused come from the agent board. The
events are also the call log's ``queue.*`` lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from callcenter.agents.state import AgentBoard, AgentState
from callcenter.ami import events as ev
from callcenter.config.models import QueuesConfig

log = structlog.get_logger("queues")


@dataclass(slots=True)
class QueueFigures:
    waiting: dict[str, float] = field(default_factory=dict)  # caller uniqueid → joined at
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    overflowed: int = 0


class QueueWatch:
    """Asterisk reports a caller leaving by the queue's own timeout (our overflow) with the
    same QueueCallerAbandon as a caller hanging up. So an abandon is held until the call
    shows which it was: the dialplan's CcOverflow or CcCallback (not abandoned) or the
    caller's Hangup."""

    def __init__(self, queues: QueuesConfig) -> None:
        self.queues = queues
        self.figures: dict[str, QueueFigures] = {name: QueueFigures() for name in queues.queues}
        self._left: dict[str, tuple[ev.QueueCallerAbandon, float]] = {}

    def reconfigure(self, queues: QueuesConfig) -> None:
        """A reloaded configuration: today's figures stay, new queues start at zero."""
        self.queues = queues
        for name in queues.queues:
            self.figures.setdefault(name, QueueFigures())

    def _q(self, name: str) -> QueueFigures:
        return self.figures.setdefault(name, QueueFigures())

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        if isinstance(event, ev.QueueCallerJoin):
            self._q(event.queue).waiting[event.uniqueid] = ts
            log.info("queue.joined", ts=ts, call_id=event.linkedid, queue=event.queue,
                     position=event.position, waiting=event.count)
        elif isinstance(event, ev.QueueEntryListed):  # resync
            self._q(event.queue).waiting.setdefault(event.uniqueid, ts - event.wait)
        elif isinstance(event, ev.QueueCallerLeave):
            self._q(event.queue).waiting.pop(event.uniqueid, None)
        elif isinstance(event, ev.QueueCallerAbandon):
            self._q(event.queue).waiting.pop(event.uniqueid, None)
            self._left[event.uniqueid] = (event, ts)
        elif isinstance(event, ev.Hangup) and event.uniqueid in self._left:
            left, left_ts = self._left.pop(event.uniqueid)
            self._q(left.queue).abandoned += 1
            log.info("queue.abandoned", ts=left_ts, call_id=left.linkedid, queue=left.queue,
                     wait_s=left.hold_time, position=left.position,
                     original_position=left.original_position)
        elif isinstance(event, ev.AgentConnect):
            q = self._q(event.queue)
            q.answered += 1
            spec = self.queues.queues.get(event.queue)
            if spec is None or event.hold_time <= spec.service_level_s:
                q.answered_in_target += 1
            log.info("queue.answered", ts=ts, call_id=event.linkedid, queue=event.queue,
                     agent=event.member_name, wait_s=event.hold_time, ring_s=event.ring_time)
        elif isinstance(event, ev.UserEvent) and event.name == "CcCallback":
            self._left.pop(event.uniqueid, None)  # the queue emptied: a callback, not a hang-up
        elif isinstance(event, ev.UserEvent) and event.name == "CcOverflow":
            fields = dict(event.fields)
            timed_out = self._left.pop(event.uniqueid, None)
            self._q(fields.get("From", "")).overflowed += 1
            log.info("queue.overflowed", ts=ts, call_id=event.linkedid,
                     queue=fields.get("From", ""), to=fields.get("To", ""),
                     queue_status=fields.get("QueueStatus", ""),
                     wait_s=timed_out[0].hold_time if timed_out else 0)

    def begin_resync(self) -> None:
        for q in self.figures.values():
            q.waiting.clear()

    def snapshot(self, board: AgentBoard, now: float) -> list[dict[str, Any]]:
        rows = []
        for name in sorted(self.figures):
            q = self.figures[name]
            states = [a.state(now) for a in board.agents.values() if name in a.queues]
            rows.append({
                "queue": name,
                "title": self.queues.queues[name].title if name in self.queues.queues else "",
                "waiting": len(q.waiting),
                "longest_wait_s": round(now - min(q.waiting.values()), 1) if q.waiting else 0,
                "available": states.count(AgentState.AVAILABLE),
                "busy": sum(s in (AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAPUP)
                            for s in states),
                "paused": states.count(AgentState.PAUSED),
                "answered": q.answered,
                "in_target_pct": round(100 * q.answered_in_target / q.answered, 1)
                if q.answered else None,
                "abandoned": q.abandoned,
                "overflowed": q.overflowed,
            })
        return rows
