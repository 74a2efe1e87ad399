"""What the engine did and saw about callbacks, as the call log's ``outbound.*`` lines (one
each, published on the hub too). ``call_id`` is the missed call's for a task opened, the
outbound call's own (its channel id) for an attempt. No line carries a citizen's number
whole: ``caller`` is masked by the call log as it writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from callcenter.calls.facts import CallFact


@dataclass(frozen=True, slots=True)
class TaskOpened(CallFact):
    """A missed call became a callback task (``state`` closed: a duplicate)."""

    line: ClassVar[str] = "outbound.task"
    task: int
    caller: str
    hotline: str
    queue: str
    reason: str
    state: str
    next_at: float


@dataclass(frozen=True, slots=True)
class TaskClosed(CallFact):
    """Closed without calling (the number called again and was answered, a duplicate)."""

    line: ClassVar[str] = "outbound.closed"
    task: int
    reason: str


@dataclass(frozen=True, slots=True)
class TaskDeferred(CallFact):
    """A due task met quiet hours: it waits until they end."""

    line: ClassVar[str] = "outbound.deferred"
    task: int
    next_at: float


@dataclass(frozen=True, slots=True)
class Dialed(CallFact):
    """An attempt: the citizen's phone is called through the outbound trunk."""

    line: ClassVar[str] = "outbound.dialed"
    task: int
    attempt: int
    queue: str
    hotline: str
    missed_call: str  # the call id of the missed call the task is for


@dataclass(frozen=True, slots=True)
class AttemptEnded(CallFact):
    """How the attempt ended, and the task's state after it."""

    line: ClassVar[str] = "outbound.ended"
    task: int
    attempt: int
    outcome: str
    cause: int
    state: str
    missed_call: str = ""


@dataclass(frozen=True, slots=True)
class Bridged(CallFact):
    """The answered citizen was taken by an agent."""

    line: ClassVar[str] = "outbound.bridged"
    task: int
    agent: str
    queue: str
