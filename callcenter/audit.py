"""The audit trail: one append-only row per state-changing action (from the API, the web
pages or the CLI), per read of a caller's unmasked number, per sign-in and per refusal.

Rows are never rewritten: the table's triggers abort any UPDATE or DELETE (migration 4).
A row names the user and role, the door (``http``, ``control``, ``cli``) and address, the
action (a command name, ``sign-in`` …), its target (``agent 1001``, ``ticket 7``), and the
result (``ok`` or the error id, e.g. ``CC1301`` for a refusal).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from callcenter.actors import Actor
from callcenter.store.db import Store

OK = "ok"
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
        row = asdict(entry)
        await self._db.execute(
            f"INSERT INTO audit ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()))
        await self._db.commit()

    async def rows(self, *, since: datetime | None = None, user: str = "",
                   limit: int = 1000) -> list[dict[str, Any]]:
        """The newest ``limit`` rows (oldest first), from ``since``, of one ``user``."""
        where, params = [], []
        if since is not None:
            where.append("at >= ?")
            params.append(since.isoformat(timespec="seconds"))
        if user:
            where.append("user = ?")
            params.append(user)
        sql = ("SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY id DESC LIMIT ?")
        async with self._db.execute(sql, (*params, limit)) as cursor:
            found = [dict(r) for r in await cursor.fetchall()]
        return found[::-1]
