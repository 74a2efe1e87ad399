"""The audit trail: one append-only row per state-changing action (from the API, the web
pages or the CLI), per read of a caller's unmasked number, per sign-in and per refusal.

Rows are never rewritten: the table's triggers abort any UPDATE or DELETE (migration 4).
A row names the user and role, the door (``http``, ``control``, ``cli``) and address, the
action (a command name, ``sign-in`` …), its target (``agent 1001``, ``ticket 7``), and the
result (``ok`` or the error id, e.g. ``CC1301`` for a refusal).
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from callcenter.actors import Actor
from callcenter.store.db import Store

OK = "ok"
RETRY_AFTER_S = (0.01, 0.03, 0.1, 0.25, 0.5)  # a row refused for a read going on: again
# what the command being run adds to its audit row's details (:func:`note`)
NOTES: ContextVar[tuple[str, ...]] = ContextVar("audit_notes", default=())


def note(text: str) -> None:
    """Add ``text`` to the details of the audit row of the command being run (what only the
    command knows, e.g. a supervisor's change ``q12345 3→1``)."""
    NOTES.set((*NOTES.get(), text))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: str
    user: str
    role: str
    via: str
    address: str
    action: str
    target: str
    result: str
    detail: str = ""

    @classmethod
    def of(cls, actor: Actor, at: str, action: str, target: str, result: str,
           detail: str = "") -> AuditEntry:
        return cls(at, actor.name, str(actor.role), actor.via, actor.address, action, target,
                   result, detail)


class AuditTrail:
    def __init__(self, store: Store) -> None:
        self._db = store.db

    async def record(self, entry: AuditEntry) -> None:
        # text that is not valid Unicode (a lone surrogate) is kept escaped: the row is
        # always written
        row = {key: value.encode("utf-8", "backslashreplace").decode("utf-8")
               for key, value in asdict(entry).items()}
        for wait in (*RETRY_AFTER_S, None):
            try:
                await self._db.execute(
                    f"INSERT INTO audit ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    tuple(row.values()))
                await self._db.commit()
                return
            except sqlite3.OperationalError as exc:
                # a read of the shared connection still going on, begun before another
                # connection's commit (a ticket loop's step, just before its row): the write
                # cannot start on that read's old snapshot until the read ends (SQLite's
                # busy wait does not cover it), which is a moment
                if wait is None or "locked" not in str(exc):
                    raise
            await asyncio.sleep(wait)

    async def rows(self, *, since: datetime | None = None, user: str = "", action: str = "",
                   result: str = "", limit: int = 1000) -> list[dict[str, Any]]:
        """The newest ``limit`` rows (oldest first), from ``since``, of one ``user``, one
        ``action`` (or all that start with ``action.``: ``user`` → ``user.add`` …) and one
        ``result`` (``ok``, or an error id; ``refused``: every result but ``ok``)."""
        where: list[str] = []
        params: list[str | int] = []
        if since is not None:
            where.append("at >= ?")
            params.append(since.isoformat(timespec="seconds"))
        if user:
            where.append("user = ?")
            params.append(user)
        if action:
            where.append("(action = ? OR substr(action, 1, ?) = ?)")
            params += [action, len(action) + 1, f"{action}."]
        if result == "refused":
            where.append("result != ?")
            params.append(OK)
        elif result:
            where.append("result = ?")
            params.append(result)
        sql = ("SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY id DESC LIMIT ?")
        async with self._db.execute(sql, (*params, limit)) as cursor:
            found = [dict(r) for r in await cursor.fetchall()]
        return found[::-1]
