"""A callback task as a pure state machine (#26): attempts and outcomes, spacing, quiet
hours (a task due at 22:00 waits until 08:00), given up after the last attempt, closed
without calling (duplicate, answered again)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from callcenter.errors import OutboundConflict
from callcenter.outbound import state as s
from callcenter.outbound.state import Closed, Outcome, Rules, Task, TaskState

RULES = Rules(attempts=3, spacing_s=600, quiet_from=21 * 60, quiet_until=8 * 60)


def at(day: int, hour: int, minute: int = 0) -> float:
    """A local time on December ``day``, 2026."""
    return datetime(2026, 12, day, hour, minute).timestamp()


def test_a_missed_call_is_due_at_once_in_the_day() -> None:
    task, line = s.missed(Task(1, "q12345", "12345"), at(7, 10), RULES, open_already=False)
    assert (task.state, task.next_at) == (TaskState.WAITING, at(7, 10))
    assert (line.event, line.before, line.after) == ("missed", TaskState.WAITING,
                                                     TaskState.WAITING)


def test_a_call_missed_at_22_waits_until_8() -> None:
    task, _ = s.missed(Task(1, "q12345", "12345"), at(7, 22), RULES, open_already=False)
    assert task.next_at == at(8, 8)
    assert not task.due(at(8, 7, 59)) and task.due(at(8, 8))
    with pytest.raises(OutboundConflict, match="还没有到拨打时间"):
        s.dialed(task, at(8, 7, 59), RULES)


def test_a_task_due_at_22_is_not_dialed_but_waits_until_8() -> None:
    due = Task(1, "q12345", "12345", next_at=at(7, 20, 55))
    with pytest.raises(OutboundConflict, match="免打扰"):
        s.dialed(due, at(7, 22), RULES)
    waiting, line = s.quiet_hours(due, at(7, 22), RULES)
    assert waiting.next_at == at(8, 8) and line.event == "quiet_hours"
    # after midnight, still the same morning
    assert s.quiet_hours(due, at(8, 1, 30), RULES)[0].next_at == at(8, 8)


@pytest.mark.parametrize(("clock", "quiet"), [
    ((20, 59), False), ((21, 0), True), ((23, 59), True), ((0, 0), True), ((7, 59), True),
    ((8, 0), False), ((12, 0), False)])
def test_quiet_hours_run_past_midnight(clock: tuple[int, int], quiet: bool) -> None:
    assert RULES.quiet(at(7, *clock)) is quiet


def test_quiet_hours_within_a_day_and_none() -> None:
    lunch = Rules(quiet_from=12 * 60, quiet_until=14 * 60)
    assert lunch.quiet(at(7, 13)) and not lunch.quiet(at(7, 14)) and not lunch.quiet(at(7, 11))
    assert lunch.allowed_from(at(7, 12, 30)) == at(7, 14)
    assert not Rules(quiet_from=0, quiet_until=0).quiet(at(7, 3))


def test_busy_then_no_answer_then_reached_on_the_third() -> None:
    task = Task(7, "q12345", "12345", next_at=at(7, 9))
    task, line = s.dialed(task, at(7, 9), RULES)
    assert (task.state, task.attempts, line.note) == (TaskState.DIALING, 1, "1")
    task, line = s.ended(task, Outcome.BUSY, at(7, 9, 1), RULES)
    assert (task.state, task.next_at, line.outcome) == (TaskState.WAITING, at(7, 9, 11), "busy")
    with pytest.raises(OutboundConflict):
        s.dialed(task, at(7, 9, 10), RULES)  # spacing
    task, _ = s.dialed(task, at(7, 9, 11), RULES)
    task, line = s.ended(task, Outcome.NO_ANSWER, at(7, 9, 12), RULES)
    assert (task.state, task.attempts, line.outcome) == (TaskState.WAITING, 2, "no_answer")
    task, _ = s.dialed(task, at(7, 9, 22), RULES)
    task, line = s.ended(task, Outcome.REACHED, at(7, 9, 23), RULES)
    assert (task.state, task.attempts, line.after) == (TaskState.REACHED, 3, TaskState.REACHED)


def test_given_up_after_the_last_attempt() -> None:
    task = Task(7, "q12345", "12345", attempts=2, state=TaskState.DIALING)
    task3 = replace(task, attempts=3)
    assert s.ended(task, Outcome.FAILED, at(7, 10), RULES)[0].state is TaskState.WAITING
    given_up, line = s.ended(task3, Outcome.NO_ANSWER, at(7, 10), RULES)
    assert (given_up.state, line.outcome) == (TaskState.GIVEN_UP, "no_answer")


def test_the_next_attempt_after_spacing_that_runs_into_quiet_hours() -> None:
    task = Task(7, "q12345", "12345", attempts=1, state=TaskState.DIALING)
    assert s.ended(task, Outcome.BUSY, at(7, 20, 55), RULES)[0].next_at == at(8, 8)


def test_a_duplicate_is_closed_with_its_reason() -> None:
    task, line = s.missed(Task(2, "q12345", "12345"), at(7, 10), RULES, open_already=True)
    assert (task.state, task.closed_reason, line.note) == (TaskState.CLOSED, "duplicate",
                                                           "duplicate")


def test_closed_when_answered_again_only_while_waiting() -> None:
    task, line = s.closed(Task(3, "q12345", "12345"), Closed.ANSWERED, at(7, 10))
    assert (task.state, task.closed_reason, line.event) == (TaskState.CLOSED, "answered",
                                                            "closed")
    with pytest.raises(OutboundConflict):
        s.closed(Task(3, "q12345", "12345", state=TaskState.DIALING), Closed.CANCELLED,
                 at(7, 10))
    with pytest.raises(OutboundConflict):
        s.ended(Task(3, "q12345", "12345"), Outcome.BUSY, at(7, 10), RULES)


@pytest.mark.parametrize(("reason", "outcome"), [
    (4, Outcome.REACHED), (5, Outcome.BUSY), (3, Outcome.NO_ANSWER), (1, Outcome.NO_ANSWER),
    (8, Outcome.FAILED), (0, Outcome.FAILED)])
def test_an_originate_reason_is_an_outcome(reason: int, outcome: Outcome) -> None:
    assert s.outcome_of(reason) is outcome


@pytest.mark.parametrize(("cause", "outcome"), [
    (17, Outcome.BUSY), (19, Outcome.NO_ANSWER), (18, Outcome.NO_ANSWER),
    (34, Outcome.FAILED), (16, None)])
def test_a_hangup_cause_is_an_outcome(cause: int, outcome: Outcome | None) -> None:
    assert s.outcome_of_cause(cause) is outcome
