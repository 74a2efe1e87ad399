"""The lists of tickets the loop's pages show, read on a connection of their own: a
unit's inbox (the tickets it leads and those it assists), the back office's queues of work
(待派单, 退单待审, 待审核, 延期申请, 督办, 待评价), each the soonest deadline first — the
overdue ones lead — with what the list shows of the matter (topic, place, channel; never the
caller's number)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from callcenter.ticketflow.state import UNSATISFIED, Flow, Step
from callcenter.ticketflow.store import COLUMNS, flow_of, ordered

SHOWN = (f"SELECT ticket, version, {', '.join(COLUMNS)}, channel, topic, place "
         "FROM ticket_flow")  # never the caller's number


@dataclass(frozen=True, slots=True)
class Wanted:
    """Which tickets: every one that meets all that is given."""

    unit: str | None = None  # led or assisted by this unit (None: every unit's)
    steps: tuple[Step, ...] = ()
    overdue_at: float | None = None  # only those whose deadline has passed by then
    supervised_at: float | None = None  # on the 督办 list then (escalated, or overdue)
    asked: bool = False  # only those with an extension asked for, not yet decided
    unrated: bool = False  # only those closed and not rated yet (待评价; a merged one is not)
    limit: int = 100


@dataclass(frozen=True, slots=True)
class Listed:
    flow: Flow
    matter: dict[str, str]  # channel, topic, place


def _conditions(wanted: Wanted) -> tuple[list[str], list[object]]:
    where: list[str] = []
    args: list[object] = []
    if wanted.steps:
        where.append(f"step IN ({', '.join('?' * len(wanted.steps))})")
        args += [s.value for s in wanted.steps]
    if wanted.overdue_at is not None:
        where.append("due IS NOT NULL AND due <= ?")
        args.append(wanted.overdue_at)
    if wanted.supervised_at is not None:
        # escalated (by the scan, or by a second 不满意) or past its deadline — while it is
        # open; a closed one only when the citizen was not satisfied
        where.append("(((supervised = 1 OR (due IS NOT NULL AND due <= ?)) "
                     "AND step NOT IN ('closed', 'merged')) "
                     "OR (supervised = 1 AND step = 'closed' AND rating = ?))")
        args += [wanted.supervised_at, UNSATISFIED]
    if wanted.asked:
        where.append("extension_asked > 0 AND step = 'handling'")
    if wanted.unrated:
        where.append("step = 'closed' AND rating = '' AND merged_into IS NULL")
    return where, args


class FlowLists:
    """On a connection of its own (``Store.own_connection``: each read sees every step
    committed before it), that only reads."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def close(self) -> None:
        await self._db.close()

    async def find(self, wanted: Wanted) -> list[Listed]:
        where, args = _conditions(wanted)
        running = wanted.overdue_at is not None  # only deadlines running can have passed
        # what is done: the latest first
        newest = wanted.unrated or (bool(wanted.steps) and all(
            s in (Step.CLOSED, Step.MERGED) for s in wanted.steps))
        if wanted.unit is None:
            return await self._select(where, args, wanted.limit, running, newest)
        # the unit's own (the index: unit, step, due), then those it assists (its own rows
        # of ticket_assist)
        led = await self._select(["unit = ?", *where], [wanted.unit, *args], wanted.limit,
                                 running, newest)
        assisted = await self._select(
            ["ticket IN (SELECT ticket FROM ticket_assist WHERE unit = ?)", *where],
            [wanted.unit, *args], wanted.limit, running, newest)
        both = sorted(led + assisted, key=lambda listed: (
            listed.flow.due() is None, listed.flow.due() or 0.0,
            -listed.flow.ticket if newest else listed.flow.ticket))
        return both[:wanted.limit]

    async def _select(self, where: Sequence[str], args: Sequence[object], limit: int,
                      running_only: bool = False, newest_first: bool = False) -> list[Listed]:
        rows = await ordered(self._db, SHOWN, where, args, limit, running_only, newest_first)
        return [Listed(flow_of(row), {"channel": row["channel"], "topic": row["topic"],
                                      "place": row["place"]}) for row in rows]


def as_row(listed: Listed, shown: dict[str, Any]) -> dict[str, Any]:
    """A list's row: the ticket's place in the loop as shown, and its matter."""
    return {**shown, **listed.matter}
