"""The report's sections that capabilities add (the ticket loop's figures): each a table with
a title, its columns, its rows and a footnote saying how it is counted. The report prints,
writes to CSV and to HTML a section as such, knowing nothing of what is in it; the
composition root (:mod:`callcenter.plugins`) says which capabilities give sections.

A section's source reads the engine's store for a :class:`Period` (the report's ``--from`` and
``--to``, both days included, in the machine's time zone — the centre's) and gives its sections,
or none where the store has nothing of it (an older database without its tables)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path

from callcenter.store.db import Store

Cell = str | int


@dataclass(frozen=True, slots=True)
class Section:
    name: str  # its CSV file's name (``loop_by_unit`` → loop_by_unit.csv)
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    footnote: tuple[str, ...] = ()  # lines under the table: how it is counted
    brief: Section | None = None  # what the console shows where the table is too wide

    def as_dicts(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Period:
    """The days a report covers (None: no bound), and the moment it is made (a deadline that
    has passed by then has run out)."""

    first: date | None
    last: date | None
    now: float

    @cached_property
    def start(self) -> float:
        """The period's first moment (local midnight of its first day)."""
        if self.first is None:
            return float("-inf")
        return datetime.combine(self.first, time()).timestamp()

    @cached_property
    def end(self) -> float:
        """The moment after the period (local midnight after its last day)."""
        if self.last is None:
            return float("inf")
        return datetime.combine(self.last + timedelta(days=1), time()).timestamp()

    def holds(self, moment: float) -> bool:
        return self.start <= moment < self.end


SectionSource = Callable[[Store, Period], Awaitable[Sequence[Section]]]


async def sections_of(database: Path, sources: Sequence[SectionSource],
                      period: Period) -> list[Section]:
    """Every source's sections, in the order of ``sources``, from the store at ``database``."""
    if not sources:
        return []
    store = await Store.open(database)
    try:
        found: list[Section] = []
        for source in sources:
            found += await source(store, period)
        return found
    finally:
        await store.close()
