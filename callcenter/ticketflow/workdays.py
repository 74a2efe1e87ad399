"""Working days as the State Council's calendar has them: weekends off, public holidays off,
and the make-up working days (调休) on weekends that pay for them.

The years the ``chinesecalendar`` package knows (2004–2026 in 1.11) come from it; an admin
adds later years in ``config/holidays.yaml`` (which also overrides a known year, should the
State Council change it). A year nobody has data for is counted Monday to Friday — never a
crash: :meth:`Calendar.guessed` says which years were, for the log and the back office.

Deadlines count whole working days: a limit of N working days from a moment ends at the end
of the Nth working day after that moment's date (:meth:`Calendar.due`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from chinese_calendar import constants as official

SATURDAY = 5
MOST_DAYS = 3660  # a limit longer than ten years is a mistake, not a deadline


@dataclass(frozen=True, slots=True)
class Year:
    """A year's days off that would be working days, and working days that would be off."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


def official_years() -> dict[int, Year]:
    """What the ``chinesecalendar`` package knows, by year."""
    years: dict[int, tuple[set[date], set[date]]] = {}
    for day in official.holidays:
        years.setdefault(day.year, (set(), set()))[0].add(day)
    for day in official.workdays:
        years.setdefault(day.year, (set(), set()))[1].add(day)
    return {y: Year(frozenset(h), frozenset(w)) for y, (h, w) in years.items()}


@dataclass
class Calendar:
    years: Mapping[int, Year]
    guessed: set[int] = field(default_factory=set)  # years counted Monday to Friday

    @classmethod
    def of(cls, added: Mapping[int, Year] | None = None) -> Calendar:
        """The official calendar with ``added`` years (``config/holidays.yaml``) over it."""
        return cls({**official_years(), **(added or {})})

    def is_workday(self, day: date) -> bool:
        year = self.years.get(day.year)
        if year is None:
            self.guessed.add(day.year)
            return day.weekday() < SATURDAY
        if day in year.workdays:
            return True
        return day.weekday() < SATURDAY and day not in year.holidays

    def add(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``n`` ≥ 0; 0: ``day`` itself)."""
        if not 0 <= n <= MOST_DAYS:
            raise ValueError(f"{n} working days is not a limit")
        found = day
        while n:
            found += timedelta(days=1)
            n -= self.is_workday(found)
        return found

    def due(self, start: float, days: int) -> float:
        """The end (local midnight) of the ``days``-th working day after ``start``'s date."""
        last = self.add(datetime.fromtimestamp(start).date(), days)
        return datetime.combine(last + timedelta(days=1), time()).timestamp()

    def between(self, first: date, last: date) -> Iterable[date]:
        """The working days from ``first`` to ``last``, both included."""
        day = first
        while day <= last:
            if self.is_workday(day):
                yield day
            day += timedelta(days=1)
