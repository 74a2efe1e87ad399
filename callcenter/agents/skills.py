"""An agent's queues for the rest of a shift, as a supervisor set them (``supervise.skills``).
Pure: time is passed in.

The change lives in the agent desk's memory only — agents.yaml is not rewritten — and lasts
until the end of the agent's shift in progress (from the shifts of agents.yaml; with no
shift in progress, until the next local midnight). Within that time a re-login of the agent
and a reload of the configuration keep it; after it, or after an engine restart, the agent
answers their agents.yaml queues again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from callcenter.config.models import DAYS, MAX_SKILL, Shift

PENALTIES = range(MAX_SKILL)  # penalty = 5 − level: 0 (expert) … 4 (basic)


@dataclass(frozen=True, slots=True)
class ShiftSkills:
    """Queue → penalty of one agent, until ``until`` (a timestamp), set by ``by``."""

    penalties: Mapping[str, int]
    until: float
    by: str


@dataclass(frozen=True, slots=True)
class SkillChange:
    """What changes in the agent's queue memberships: queues to join (with their penalty),
    penalties to change, queues to leave."""

    join: Mapping[str, int]
    repenalize: Mapping[str, int]
    leave: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.join or self.repenalize or self.leave)


def change(old: Mapping[str, int], new: Mapping[str, int]) -> SkillChange:
    """From ``old`` to ``new`` (queue → penalty). Joining comes before leaving, so that a
    logged-in agent is never in no queue at all in between."""
    return SkillChange(
        join={q: p for q, p in sorted(new.items()) if q not in old},
        repenalize={q: p for q, p in sorted(new.items()) if q in old and old[q] != p},
        leave=tuple(sorted(q for q in old if q not in new)))


def describe(old: Mapping[str, int], new: Mapping[str, int]) -> str:
    """``old → new`` for the audit trail: ``q12345 3→1, q12315 2→-, q12348 -→0``."""
    shown = [f"{q} {old.get(q, '-')}→{new.get(q, '-')}" for q in sorted({*old, *new})
             if old.get(q) != new.get(q)]
    return ", ".join(shown) or "unchanged"


def _at(day: datetime, minutes: int) -> float:
    return (datetime.combine(day.date(), time(0)) + timedelta(minutes=minutes)).timestamp()


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def shift_end(shifts: Sequence[Shift], now: float) -> float:
    """When the shift in progress at ``now`` (local time) ends — the latest end if shifts
    overlap; the next local midnight when none is in progress."""
    moment = datetime.fromtimestamp(now)
    today, yesterday = DAYS[moment.weekday()], DAYS[(moment.weekday() - 1) % 7]
    minute = moment.hour * 60 + moment.minute
    ends: list[float] = []
    for shift in shifts:
        start, end = _minutes(shift.start), _minutes(shift.end)
        if start < end:
            if today in shift.days and start <= minute < end:
                ends.append(_at(moment, end))
        else:  # overnight: from start on a listed day to end the next day
            if today in shift.days and minute >= start:
                ends.append(_at(moment, 24 * 60 + end))
            if yesterday in shift.days and minute < end:
                ends.append(_at(moment, end))
    return max(ends) if ends else _at(moment, 24 * 60)
