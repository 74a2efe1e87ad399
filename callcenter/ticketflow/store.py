"""The ticket loop in the store: each ticket's place in the loop (``ticket_flow``, beside the
ticket) and its history (``ticket_event``, append-only). A step is one transaction on a
connection of the loop's own — the new place and its history line together, or neither —
and is refused if someone else moved the ticket since it was read (``version``).

The running deadline is kept in ``due``, and the moment the overdue scan next has something
to do for a ticket in ``remind_at`` (:func:`state.remind_at`, written with each step), both
indexed: a unit's inbox, the overdue lists and the scan read an index, not every ticket."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import aiosqlite

from callcenter.errors import TicketFlowConflict
from callcenter.store.db import NoSuchRow
from callcenter.ticketflow.limits import Limits
from callcenter.ticketflow.schema import MIGRATIONS
from callcenter.ticketflow.state import Flow, Step, Transition, remind_at


@dataclass(frozen=True, slots=True)
class Matter:
    """What a ticket is about, as far as finding the same matter again goes."""

    channel: str = "phone"  # phone web sms letter email
    caller: str = ""  # the caller's number (the store keeps it whole; never logged)
    topic: str = ""
    place: str = ""  # county, else city


COLUMNS = ("step", "request_type", "urgent", "accepted_at", "unit", "assists", "dispatched_at",
           "sign_due", "handle_due", "returns", "extensions", "extension_asked", "redos",
           "reopened", "rating", "supervised", "reminded", "merged_into")


def flow_of(row: aiosqlite.Row) -> Flow:
    return Flow(ticket=row["ticket"], step=Step(row["step"]), request_type=row["request_type"],
                urgent=bool(row["urgent"]), accepted_at=row["accepted_at"], unit=row["unit"],
                assists=tuple(a for a in row["assists"].split("\n") if a),
                dispatched_at=row["dispatched_at"], sign_due=row["sign_due"],
                handle_due=row["handle_due"], returns=row["returns"],
                extensions=row["extensions"], extension_asked=row["extension_asked"],
                redos=row["redos"], reopened=bool(row["reopened"]), rating=row["rating"],
                supervised=bool(row["supervised"]), reminded=row["reminded"],
                merged_into=row["merged_into"], version=row["version"])


def values_of(flow: Flow) -> tuple[Any, ...]:
    """The flow's :data:`COLUMNS`, as the store keeps them."""
    return (flow.step.value, flow.request_type, int(flow.urgent), flow.accepted_at, flow.unit,
            "\n".join(flow.assists), flow.dispatched_at, flow.sign_due, flow.handle_due,
            flow.returns, flow.extensions, flow.extension_asked, flow.redos,
            int(flow.reopened), flow.rating, int(flow.supervised), flow.reminded,
            flow.merged_into)


def _changes(read: Flow, new: Flow) -> dict[str, Any]:
    """The columns that differ between a flow as read and as it becomes."""
    changed = {column: value for column, was, value
               in zip(COLUMNS, values_of(read), values_of(new), strict=True) if value != was}
    if new.due() != read.due():
        changed["due"] = new.due()
    return changed


async def ordered(db: aiosqlite.Connection, select: str, where: Sequence[str],
                  args: Sequence[object], limit: int, running_only: bool = False,
                  newest_first: bool = False) -> list[aiosqlite.Row]:
    """The rows of ``select`` that meet ``where``: those with a deadline running, the soonest
    first, then (unless ``running_only``) the others, the oldest first (``newest_first``: the
    newest, as a list of closed tickets wants) — two reads, each in the order of an index
    (``unit, step, due``, ``step, due``, …): no sorting, however many tickets there are."""
    def read(extra: str, order: str) -> str:
        return f"{select} WHERE {' AND '.join([*where, extra])} ORDER BY {order} LIMIT ?"

    rows = list(await db.execute_fetchall(read("due IS NOT NULL", "due, ticket"),
                                          (*args, limit)))
    if not running_only and len(rows) < limit:
        rows += await db.execute_fetchall(
            read("due IS NULL", "ticket DESC" if newest_first else "ticket"),
            (*args, limit - len(rows)))
    return rows


class FlowStore:
    """The loop's reads and steps, on a connection of its own (``Store.own_connection``);
    ``limits``: the limits in force (``limits.yaml``), for the moments kept in ``remind_at``."""

    def __init__(self, db: aiosqlite.Connection,
                 limits: Callable[[], Limits] = Limits) -> None:
        self._db = db
        self._limits = limits
        self._writing = asyncio.Lock()  # one step at a time on this connection

    async def close(self) -> None:
        await self._db.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """One write transaction: all of it kept, or (an error, the engine killed) none."""
        async with self._writing:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise

    async def get(self, ticket: int) -> Flow | None:
        async with self._db.execute("SELECT * FROM ticket_flow WHERE ticket = ?",
                                    (ticket,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else flow_of(row)

    async def need(self, ticket: int) -> Flow:
        found = await self.get(ticket)
        if found is None:
            raise NoSuchRow(f"工单{ticket}尚未受理进入办理流程：请核对工单号")
        return found

    async def accept(self, flow: Flow, line: Transition, matter: Matter) -> Flow:
        """受理: the ticket enters the loop (once: a second time is a conflict), with what
        finds the same matter again (并单)."""
        try:
            async with self._transaction():
                await self._db.execute(
                    "INSERT INTO ticket_flow (ticket, channel, caller, topic, place, due, "
                    f"remind_at, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, "
                    f"{', '.join('?' * len(COLUMNS))})",
                    (flow.ticket, matter.channel, matter.caller, matter.topic, matter.place,
                     flow.due(), remind_at(flow, self._limits()), *values_of(flow)))
                await self._history([(line, flow.unit)])
        except aiosqlite.IntegrityError:
            raise TicketFlowConflict(f"工单{flow.ticket}已受理") from None
        return flow

    async def step(self, steps: Sequence[tuple[Flow, Flow, Transition]]) -> list[Flow]:
        """Each (as read, as it becomes, its history line), all in one transaction; refused
        (nothing changed) when any ticket moved since it was read. The flows as kept. Only
        the columns a step changes are written (an index over the others is left alone)."""
        limits = self._limits()
        alike: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}  # steps changing the same
        for read, new, _ in steps:
            changed = _changes(read, new)
            changed["remind_at"] = remind_at(new, limits)  # (kept under other limits, maybe)
            alike.setdefault(tuple(changed), []).append(
                (*changed.values(), read.ticket, read.version))
        async with self._transaction():
            kept = 0
            for columns, rows in alike.items():
                cursor = await self._db.executemany(
                    f"UPDATE ticket_flow SET {', '.join(c + ' = ?' for c in columns)}, "
                    "version = version + 1 WHERE ticket = ? AND version = ?", rows)
                kept += cursor.rowcount
            if kept != len(steps):
                tickets = "、".join(str(read.ticket) for read, _, _ in steps)
                some = "中有工单" if len(steps) > 1 else ""
                raise TicketFlowConflict(f"工单{tickets}{some}刚被他人办理，请刷新后重试")
            await self._assisting([new for read, new, _ in steps if new.assists != read.assists])
            await self._history([(line, new.unit) for _, new, line in steps])
        return [replace(new, version=read.version + 1) for read, new, _ in steps]

    async def _assisting(self, flows: Sequence[Flow]) -> None:
        """``ticket_assist`` as these flows' assisting units are now."""
        if not flows:
            return
        await self._db.executemany("DELETE FROM ticket_assist WHERE ticket = ?",
                                   [(f.ticket,) for f in flows])
        await self._db.executemany(
            "INSERT OR IGNORE INTO ticket_assist (unit, ticket) VALUES (?, ?)",
            [(unit, f.ticket) for f in flows for unit in f.assists])

    async def _history(self, lines: Iterable[tuple[Transition, str]]) -> None:
        """Each history line with the unit whose the ticket is after it."""
        await self._db.executemany(
            "INSERT INTO ticket_event (ticket, at, who, action, before, after, note, unit) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(line.ticket, line.at, line.who, line.action, line.before.value, line.after.value,
              line.note, unit) for line, unit in lines])

    async def refresh_matter(self, ticket: int, topic: str, place: str) -> None:
        """The topic and place that find the same matter, as now known (not a step: no
        history line, no version; only what is known replaces what was)."""
        async with self._transaction():
            await self._db.execute(
                "UPDATE ticket_flow SET topic = CASE WHEN ? != '' THEN ? ELSE topic END, "
                "place = CASE WHEN ? != '' THEN ? ELSE place END WHERE ticket = ?",
                (topic, topic, place, place, ticket))

    async def merged_into(self, ticket: int) -> list[Flow]:
        async with self._db.execute(
                "SELECT * FROM ticket_flow WHERE merged_into = ? AND step = ?",
                (ticket, Step.MERGED.value)) as cursor:
            return [flow_of(r) for r in await cursor.fetchall()]

    async def timeline(self, ticket: int) -> list[dict[str, Any]]:
        async with self._db.execute(
                "SELECT at, who, action, before, after, note, unit FROM ticket_event "
                "WHERE ticket = ? ORDER BY id", (ticket,)) as cursor:
            return [dict(r) for r in await cursor.fetchall()]

    async def matter(self, ticket: int) -> Matter:
        async with self._db.execute("SELECT channel, caller, topic, place FROM ticket_flow "
                                    "WHERE ticket = ?", (ticket,)) as cursor:
            row = await cursor.fetchone()
        return Matter() if row is None else Matter(*row)

    async def same_matter(self, flow: Flow, matter: Matter, since: float,
                          limit: int = 10) -> list[dict[str, Any]]:
        """Open tickets since ``since`` of the same caller, or of the same place and topic:
        candidates to merge this one into (newest first)."""
        async with self._db.execute(
                "SELECT ticket, step, unit, topic, place, accepted_at FROM ticket_flow "
                "WHERE ticket != ? AND accepted_at >= ? AND step NOT IN ('closed', 'merged') "
                "AND ((caller != '' AND caller = ?) OR (place != '' AND topic != '' "
                "AND place = ? AND topic = ?)) ORDER BY accepted_at DESC LIMIT ?",
                (flow.ticket, since, matter.caller, matter.place, matter.topic,
                 limit)) as cursor:
            return [dict(r) for r in await cursor.fetchall()]

    # -- the overdue scan's ----------------------------------------------------------------

    async def reminders_due(self, moment: float, page: int = 500) -> AsyncIterator[list[Flow]]:
        """The tickets whose ``remind_at`` has come by ``moment``, earliest first, a page at a
        time (each read after the one before was dealt with: steps taken meanwhile move a
        ticket's moment on, and it is not read twice)."""
        after: tuple[float, int] = (-math.inf, 0)
        while True:
            async with self._db.execute(
                    "SELECT * FROM ticket_flow WHERE remind_at <= ? AND remind_at >= ? "
                    "AND (remind_at, ticket) > (?, ?) ORDER BY remind_at, ticket LIMIT ?",
                    (moment, after[0], *after, page)) as cursor:
                rows = list(await cursor.fetchall())
            if rows:
                yield [flow_of(r) for r in rows]
            if len(rows) < page:
                return
            after = (rows[-1]["remind_at"], rows[-1]["ticket"])

    async def retime(self, flows: Iterable[Flow]) -> int:
        """Keeps again when the scan next has something to do for ``flows`` (read by it, with
        nothing to do yet: their moment was kept under other limits, or is now); a ticket
        stepped since it was read has its moment already. How many changed."""
        limits = self._limits()
        moments = [(remind_at(f, limits), f.ticket, f.version) for f in flows]
        if not moments:
            return 0
        async with self._transaction():
            cursor = await self._db.executemany(
                "UPDATE ticket_flow SET remind_at = ?1 WHERE ticket = ?2 AND version = ?3 "
                "AND remind_at IS NOT ?1", moments)
        return cursor.rowcount

    async def time_reminders(self) -> bool:
        """When the moments kept were kept for another yellow share than the limits' now (or
        for none known: a database migrated from before they were kept), every ticket not
        reminded yet is due to be looked at by the next scan. True when that was so."""
        share = self._limits().yellow_share
        async with self._db.execute(
                "SELECT yellow_share FROM ticket_reminder_timing WHERE id = 1") as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0] == share:
            return False
        async with self._transaction():
            await self._db.execute("UPDATE ticket_flow SET remind_at = 0 "
                                   "WHERE remind_at IS NOT NULL AND reminded = ''")
            await self._db.execute("INSERT OR REPLACE INTO ticket_reminder_timing "
                                   "(id, yellow_share) VALUES (1, ?)", (share,))
        return True


# (MIGRATIONS: where the loop's tables were first imported from)
__all__ = ["COLUMNS", "MIGRATIONS", "FlowStore", "Matter", "flow_of", "values_of"]
