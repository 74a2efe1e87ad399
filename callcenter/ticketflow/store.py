"""The ticket loop in the store: each ticket's place in the loop (``ticket_flow``, beside the
ticket) and its history (``ticket_event``, append-only). A step is one transaction on a
connection of the loop's own — the new place and its history line together, or neither —
and is refused if someone else moved the ticket since it was read (``version``).

The running deadline is kept in ``due`` (indexed), so the overdue scan and a unit's inbox,
ordered by it, read an index, not every ticket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiosqlite

from callcenter.errors import TicketFlowConflict
from callcenter.store.db import Migration, NoSuchRow
from callcenter.ticketflow.state import Flow, Step, Transition

CAPABILITY = "ticketflow"
MIGRATIONS = [Migration(CAPABILITY, 1, """
    CREATE TABLE ticket_flow (
        ticket INTEGER PRIMARY KEY REFERENCES ticket (id),
        channel TEXT NOT NULL DEFAULT 'phone',
        caller TEXT NOT NULL DEFAULT '',
        topic TEXT NOT NULL DEFAULT '',
        place TEXT NOT NULL DEFAULT '',
        step TEXT NOT NULL,
        request_type TEXT NOT NULL,
        urgent INTEGER NOT NULL DEFAULT 0,
        accepted_at REAL NOT NULL,
        unit TEXT NOT NULL DEFAULT '',
        assists TEXT NOT NULL DEFAULT '',
        dispatched_at REAL,
        sign_due REAL,
        handle_due REAL,
        due REAL,
        returns INTEGER NOT NULL DEFAULT 0,
        extensions INTEGER NOT NULL DEFAULT 0,
        extension_asked INTEGER NOT NULL DEFAULT 0,
        redos INTEGER NOT NULL DEFAULT 0,
        reopened INTEGER NOT NULL DEFAULT 0,
        rating TEXT NOT NULL DEFAULT '',
        supervised INTEGER NOT NULL DEFAULT 0,
        reminded TEXT NOT NULL DEFAULT '',
        merged_into INTEGER,
        version INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX ticket_flow_inbox ON ticket_flow (unit, step, due);
    CREATE INDEX ticket_flow_due ON ticket_flow (due) WHERE due IS NOT NULL;
    CREATE INDEX ticket_flow_merged ON ticket_flow (merged_into) WHERE merged_into IS NOT NULL;
    CREATE INDEX ticket_flow_caller ON ticket_flow (caller, accepted_at) WHERE caller != '';
    CREATE INDEX ticket_flow_matter ON ticket_flow (place, topic, accepted_at)
        WHERE place != '' AND topic != '';
    CREATE TABLE ticket_event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket INTEGER NOT NULL REFERENCES ticket (id),
        at REAL NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        before TEXT NOT NULL,
        after TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX ticket_event_ticket ON ticket_event (ticket, id);
    CREATE TRIGGER ticket_event_kept BEFORE UPDATE ON ticket_event
        BEGIN SELECT RAISE(ABORT, 'a ticket''s history is append-only'); END;
    CREATE TRIGGER ticket_event_not_deleted BEFORE DELETE ON ticket_event
        BEGIN SELECT RAISE(ABORT, 'a ticket''s history is append-only'); END;
""")]

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


def _values(flow: Flow) -> tuple[Any, ...]:
    return (flow.step.value, flow.request_type, int(flow.urgent), flow.accepted_at, flow.unit,
            "\n".join(flow.assists), flow.dispatched_at, flow.sign_due, flow.handle_due,
            flow.returns, flow.extensions, flow.extension_asked, flow.redos,
            int(flow.reopened), flow.rating, int(flow.supervised), flow.reminded,
            flow.merged_into)


class FlowStore:
    """The loop's reads and steps, on a connection of its own (``Store.own_connection``)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._writing = asyncio.Lock()  # one step at a time on this connection

    async def close(self) -> None:
        await self._db.close()

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
        async with self._writing:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                await self._db.execute(
                    "INSERT INTO ticket_flow (ticket, channel, caller, topic, place, due, "
                    f"{', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, "
                    f"{', '.join('?' * len(COLUMNS))})",
                    (flow.ticket, matter.channel, matter.caller, matter.topic, matter.place,
                     flow.due(), *_values(flow)))
                await self._history(line)
                await self._db.execute("COMMIT")
            except aiosqlite.IntegrityError:
                await self._db.execute("ROLLBACK")
                raise TicketFlowConflict(f"工单{flow.ticket}已受理") from None
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
        return flow

    async def step(self, steps: Sequence[tuple[Flow, Flow, Transition]]) -> list[Flow]:
        """Each (as read, as it becomes, its history line), all in one transaction; refused
        (nothing changed) when any ticket moved since it was read. The flows as kept."""
        async with self._writing:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                for read, new, line in steps:
                    cursor = await self._db.execute(
                        f"UPDATE ticket_flow SET {', '.join(c + ' = ?' for c in COLUMNS)}, "
                        "due = ?, version = version + 1 WHERE ticket = ? AND version = ?",
                        (*_values(new), new.due(), read.ticket, read.version))
                    if cursor.rowcount != 1:
                        raise TicketFlowConflict(f"工单{read.ticket}刚被他人办理，请刷新后重试")
                    await self._history(line)
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
        return [replace(new, version=read.version + 1) for read, new, _ in steps]

    async def _history(self, line: Transition) -> None:
        await self._db.execute(
            "INSERT INTO ticket_event (ticket, at, who, action, before, after, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (line.ticket, line.at, line.who, line.action, line.before.value, line.after.value,
             line.note))

    async def merged_into(self, ticket: int) -> list[Flow]:
        async with self._db.execute(
                "SELECT * FROM ticket_flow WHERE merged_into = ? AND step = ?",
                (ticket, Step.MERGED.value)) as cursor:
            return [flow_of(r) for r in await cursor.fetchall()]

    async def timeline(self, ticket: int) -> list[dict[str, Any]]:
        async with self._db.execute(
                "SELECT at, who, action, before, after, note FROM ticket_event "
                "WHERE ticket = ? ORDER BY id", (ticket,)) as cursor:
            return [dict(r) for r in await cursor.fetchall()]

    async def inbox(self, unit: str | None, steps: Iterable[Step] = (), overdue_at: float |
                    None = None, limit: int = 100) -> list[Flow]:
        """A unit's tickets (every unit's: None), the soonest deadline first; ``overdue_at``:
        only those whose deadline has passed by then."""
        where: list[str] = []
        args: list[object] = []
        if unit is not None:
            where.append("unit = ?")
            args.append(unit)
        chosen = [s.value for s in steps]
        if chosen:
            where.append(f"step IN ({', '.join('?' * len(chosen))})")
            args += chosen
        if overdue_at is not None:
            where.append("due IS NOT NULL AND due <= ?")
            args.append(overdue_at)
        sql = ("SELECT * FROM ticket_flow" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY due IS NULL, due, ticket LIMIT ?")
        async with self._db.execute(sql, (*args, limit)) as cursor:
            return [flow_of(r) for r in await cursor.fetchall()]

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

    async def due_before(self, moment: float, limit: int = 1000) -> list[Flow]:
        """Tickets whose running deadline is before ``moment`` (the reminder scan reads the
        index; a ticket already reminded for its light is left to :func:`state.remind`)."""
        async with self._db.execute(
                "SELECT * FROM ticket_flow WHERE due IS NOT NULL AND due <= ? "
                "ORDER BY due LIMIT ?", (moment, limit)) as cursor:
            return [flow_of(r) for r in await cursor.fetchall()]
