"""What the engine concluded about a call, as typed events: the facts the call log records
(one line each) and today's figures count.

The decision core (:mod:`callcenter.core`) makes each fact once, writes its line
(:func:`log_fact`) and publishes it on the hub; the wallboard counts them there
(:mod:`callcenter.wallboard.day`) with the report's own code, fed :meth:`CallFact.record` —
the line as the call log writes it, so the live count and ``run.py report`` over the log
agree. Nothing reads the call log back to learn them while the engine runs.

A subscriber may take every fact (``CallFact``) or only some kinds (``QueueJoined`` …).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import structlog

from callcenter.clock import iso_ts


@dataclass(frozen=True, slots=True)
class CallFact:
    """One fact about a call; ``line`` is its call-log event name."""

    line: ClassVar[str] = ""
    warning: ClassVar[bool] = False  # logged as a warning (a call that should not be)
    call_id: str

    def fields(self) -> dict[str, Any]:
        """The line's fields, in the order they are written."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def record(self, ts: float) -> dict[str, Any]:
        """The call log's line for this fact (unmasked: it is never written from here)."""
        return {"ts": iso_ts(ts), "event": self.line, **self.fields()}


def log_fact(logger: Any, fact: CallFact, ts: float) -> None:
    """Write ``fact``'s call-log line (the call log masks numbers as it writes)."""
    with structlog.contextvars.bound_contextvars(call_id=fact.call_id):
        write = logger.warning if fact.warning else logger.info
        write(fact.line, ts=ts, **fact.fields())


@dataclass(frozen=True, slots=True)
class CallBegan(CallFact):
    line: ClassVar[str] = "call.started"
    dialed: str
    caller: str
    channel: str
    context: str


@dataclass(frozen=True, slots=True)
class CallRefused(CallFact):
    """Came by a way that is not the carrier's: hung up before routing."""

    line: ClassVar[str] = "call.refused"
    warning: ClassVar[bool] = True
    reason: str


@dataclass(frozen=True, slots=True)
class CallRouted(CallFact):
    """The route a call was given, by the engine's routing scripts or the dialplan alone;
    ``extra``: what else the decision noted (a menu's key, the sub-center that failed)."""

    line: ClassVar[str] = "call.routed"
    dialed: str
    hotline: str
    number: str
    mode: str
    unit: str
    target: str
    source: str
    reason: str = ""
    extra: tuple[tuple[str, object], ...] = ()

    def fields(self) -> dict[str, Any]:
        shown = {f.name: getattr(self, f.name) for f in fields(self)
                 if f.name not in ("reason", "extra")}
        if self.reason:
            shown["reason"] = self.reason
        shown.update(self.extra)
        return shown


@dataclass(frozen=True, slots=True)
class QueueJoined(CallFact):
    line: ClassVar[str] = "queue.joined"
    queue: str
    position: int
    waiting: int


@dataclass(frozen=True, slots=True)
class QueueAnswered(CallFact):
    line: ClassVar[str] = "queue.answered"
    queue: str
    agent: str
    wait_s: int
    ring_s: int


@dataclass(frozen=True, slots=True)
class QueueAbandoned(CallFact):
    line: ClassVar[str] = "queue.abandoned"
    queue: str
    wait_s: int
    position: int
    original_position: int


@dataclass(frozen=True, slots=True)
class QueueOverflowed(CallFact):
    """Left ``queue`` by its overflow rule, for ``to``."""

    line: ClassVar[str] = "queue.overflowed"
    queue: str
    to: str
    queue_status: str
    wait_s: int


@dataclass(frozen=True, slots=True)
class QueueMoved(CallFact):
    """A supervisor moved the caller from ``queue`` to ``to``."""

    line: ClassVar[str] = "queue.moved"
    queue: str
    to: str
    queue_status: str
    wait_s: int


@dataclass(frozen=True, slots=True)
class CallbackRequested(CallFact):
    line: ClassVar[str] = "callback.requested"
    caller: str
    dialed: str
    hotline: str
    queue: str
    reason: str


@dataclass(frozen=True, slots=True)
class SubcenterAnswered(CallFact):
    """A sub-center's seat took the call: routed there or handed over by a transfer."""

    line: ClassVar[str] = "subcenter.answered"
    subcenter: str
    via: str


@dataclass(frozen=True, slots=True)
class CallFinished(CallFact):
    line: ClassVar[str] = "call.ended"
    dialed: str
    caller: str
    channel: str
    duration_s: float
    cause: int
    cause_text: str
    reason: str
