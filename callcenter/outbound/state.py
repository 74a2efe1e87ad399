"""A missed call's callback task (回拨任务), pure: a task and an event (with its time) give
the new task and the :class:`Transition` the store appends to the task's history — or an
:class:`~callcenter.errors.OutboundConflict` saying why not now. Time is passed in (seconds
since the epoch); quiet hours are read in the centre's local time.

The states (one Chinese word each, glossary ``callback_state``): waiting 待回拨 (due at
``next_at``) → dialing 回拨中 (one attempt under way) → reached 已回拨, or back to waiting
after a busy / unanswered / failed attempt (``spacing_s`` later, out of quiet hours), or
given_up 未接通 after the last attempt; closed 已关闭 without calling (the number called again
and was answered, it already has an open task, someone cancelled it, an agent worked it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from callcenter.config.models import OutboundSettings
from callcenter.errors import OutboundConflict


class TaskState(StrEnum):
    WAITING = "waiting"
    DIALING = "dialing"
    REACHED = "reached"
    GIVEN_UP = "given_up"
    CLOSED = "closed"


OPEN = (TaskState.WAITING, TaskState.DIALING)


class Outcome(StrEnum):
    """How one attempt ended."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Missed(StrEnum):
    """Why a call became a task (beside the dialplan's queue statuses: nobody could take it)."""

    ABANDONED = "abandoned"  # hung up in the queue after waiting a while
    GREETING = "greeting"  # hung up during the greeting or the menu


class Closed(StrEnum):
    ANSWERED = "answered"  # the number called again and an agent answered
    DUPLICATE = "duplicate"  # the number already had an open task
    CANCELLED = "cancelled"
    WORKED = "worked"  # an agent worked it from the desktop (callback.done)
    EXPIRED = "expired"  # missed more than a day before the dialer came (an upgrade)


@dataclass(frozen=True, slots=True)
class Rules:
    attempts: int = 3
    spacing_s: float = 600.0
    quiet_from: int = 21 * 60  # minutes after midnight
    quiet_until: int = 8 * 60

    @classmethod
    def of(cls, settings: OutboundSettings) -> Rules:
        quiet_from, quiet_until = settings.quiet_minutes
        return cls(settings.attempts, float(settings.spacing_s), quiet_from, quiet_until)

    def quiet(self, at: float) -> bool:
        moment = datetime.fromtimestamp(at)
        minute = moment.hour * 60 + moment.minute
        start, end = self.quiet_from, self.quiet_until
        if start == end:
            return False
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end  # past midnight

    def allowed_from(self, at: float) -> float:
        """``at``, or the end of the quiet hours ``at`` falls in."""
        if not self.quiet(at):
            return at
        moment = datetime.fromtimestamp(at)
        end = moment.replace(hour=self.quiet_until // 60 % 24, minute=self.quiet_until % 60,
                             second=0, microsecond=0)
        if self.quiet_until == 24 * 60 or end <= moment:
            end = (moment + timedelta(days=1)).replace(
                hour=self.quiet_until // 60 % 24, minute=self.quiet_until % 60, second=0,
                microsecond=0)
        return end.timestamp()


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    queue: str
    hotline: str
    state: TaskState = TaskState.WAITING
    attempts: int = 0
    next_at: float = 0.0  # due from then (out of quiet hours)
    closed_reason: str = ""
    version: int = 0  # the store's: two acting at once, one wins

    def due(self, at: float) -> bool:
        return self.state is TaskState.WAITING and self.next_at <= at


@dataclass(frozen=True, slots=True)
class Transition:
    """One line of a task's history: the event's name, the states before and after."""

    task: int
    at: float
    event: str
    before: TaskState
    after: TaskState
    outcome: str = ""
    note: str = ""


Step = tuple[Task, Transition]


def _line(old: Task, new: Task, at: float, event: str, outcome: str = "",
          note: str = "") -> Step:
    return new, Transition(old.id, at, event, old.state, new.state, outcome, note)


def missed(task: Task, at: float, rules: Rules, open_already: bool) -> Step:
    """A missed call became ``task`` (stored, waiting): due now or when quiet hours end —
    or closed at once when the number already has an open task."""
    if open_already:
        new = replace(task, state=TaskState.CLOSED, closed_reason=Closed.DUPLICATE.value)
        return _line(task, new, at, "missed", note=Closed.DUPLICATE.value)
    return _line(task, replace(task, next_at=rules.allowed_from(at)), at, "missed")


def dialed(task: Task, at: float, rules: Rules) -> Step:
    """An attempt starts. Refused unless the task is waiting, due and out of quiet hours."""
    if task.state is not TaskState.WAITING:
        raise OutboundConflict(f"回拨任务{task.id}不在待回拨状态，不能拨打")
    if task.next_at > at:
        raise OutboundConflict(f"回拨任务{task.id}还没有到拨打时间")
    if rules.quiet(at):
        raise OutboundConflict(f"现在是免打扰时段，回拨任务{task.id}不能拨打")
    new = replace(task, state=TaskState.DIALING, attempts=task.attempts + 1)
    return _line(task, new, at, "dialed", note=str(new.attempts))


def quiet_hours(task: Task, at: float, rules: Rules) -> Step:
    """A due task met quiet hours: it waits until they end."""
    if task.state is not TaskState.WAITING:
        raise OutboundConflict(f"回拨任务{task.id}不在待回拨状态")
    return _line(task, replace(task, next_at=rules.allowed_from(at)), at, "quiet_hours")


def ended(task: Task, outcome: Outcome, at: float, rules: Rules) -> Step:
    """The attempt under way ended with ``outcome``: reached; or waiting for the next
    attempt, ``spacing_s`` later and out of quiet hours; or given up after the last one."""
    if task.state is not TaskState.DIALING:
        raise OutboundConflict(f"回拨任务{task.id}没有正在进行的拨打")
    if outcome is Outcome.REACHED:
        new = replace(task, state=TaskState.REACHED)
    elif task.attempts >= rules.attempts:
        new = replace(task, state=TaskState.GIVEN_UP)
    else:
        new = replace(task, state=TaskState.WAITING,
                      next_at=rules.allowed_from(at + rules.spacing_s))
    return _line(task, new, at, "ended", outcome=outcome.value)


def closed(task: Task, reason: Closed, at: float) -> Step:
    """Closed without (another) call: only a waiting task (one being dialed finishes its
    attempt first)."""
    if task.state is not TaskState.WAITING:
        raise OutboundConflict(f"回拨任务{task.id}不在待回拨状态，不能关闭")
    new = replace(task, state=TaskState.CLOSED, closed_reason=reason.value)
    return _line(task, new, at, "closed", note=reason.value)


def outcome_of(reason: int) -> Outcome:
    """An asynchronous Originate's end (OriginateResponse's Reason, Asterisk's
    ``enum ast_control_frame_type``: 4 answered, 5 busy, 3 ringing with no answer, 8
    congestion, 1 hung up while ringing, 0 could not be placed)."""
    return {4: Outcome.REACHED, 5: Outcome.BUSY, 3: Outcome.NO_ANSWER,
            1: Outcome.NO_ANSWER}.get(reason, Outcome.FAILED)


def outcome_of_cause(cause: int) -> Outcome | None:
    """A hang-up cause (Q.850) of a citizen's leg that never answered: 17 busy, 18/19 no
    answer, 21 rejected; others failed. None: a normal clearing (16), said nothing."""
    if cause == 16:
        return None
    return {17: Outcome.BUSY, 18: Outcome.NO_ANSWER, 19: Outcome.NO_ANSWER,
            21: Outcome.NO_ANSWER}.get(cause, Outcome.FAILED)
