"""Adding or resetting a user over the web is only asked for; root approves on the server.

A new password is a way in: an admin who could reset a supervisor's password — or approve
another admin's request and be shown it — would sign in as them and read citizens' data,
which the admin role itself never shows (and an admin shown a new admin's token would hold
two admin names). So over the API an admin only *asks* (``user.add`` / ``user.reset`` → a
request); root approves on the server's command line (``run.py user approve ID``), which
prints the password and token once, for the person; an admin or root may refuse. Requests
lapse after ``LIFETIME``. Root adds and resets at once as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from callcenter.clock import iso_seconds
from callcenter.errors import Forbidden, UserError
from callcenter.store.db import NoSuchRow, Store

LIFETIME = timedelta(hours=24)
ACTIONS = ("add", "reset")
COLUMNS = ("id", "action", "name", "role", "agent", "requested_by", "requested_at",
           "expires_at", "unit")


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    action: str
    name: str
    role: str
    agent: str
    requested_by: str
    requested_at: str
    expires_at: str
    unit: str = ""

    def shown(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in COLUMNS}


def _request(row: aiosqlite.Row) -> Request:
    return Request(*(row[key] for key in COLUMNS))


class UserRequests:
    def __init__(self, store: Store) -> None:
        self._db = store.db

    async def ask(self, action: str, name: str, role: str, agent: str, by: str,
                  now: datetime, unit: str = "") -> Request:
        if action not in ACTIONS:
            raise UserError(f"未知的请求 {action!r}")
        async with self._db.execute(
                "INSERT INTO user_request (action, name, role, agent, requested_by, "
                "requested_at, expires_at, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (action, name, role, agent, by, iso_seconds(now),
                 iso_seconds(now + LIFETIME), unit)) as cursor:
            row = await cursor.fetchone()
        await self._db.commit()
        assert row is not None
        return _request(row)

    async def pending(self, now: datetime) -> list[Request]:
        async with self._db.execute(
                "SELECT * FROM user_request WHERE decision IS NULL AND expires_at > ? "
                "ORDER BY id", (iso_seconds(now),)) as cursor:
            return [_request(r) for r in await cursor.fetchall()]

    async def get(self, request_id: int, now: datetime) -> Request:
        """A pending request; :class:`NoSuchRow` for one that is not (decided, lapsed,
        never made)."""
        async with self._db.execute("SELECT * FROM user_request WHERE id = ? AND decision IS "
                                    "NULL AND expires_at > ?", (request_id, iso_seconds(now))) as c:
            row = await c.fetchone()
        if row is None:
            raise NoSuchRow(f"没有待批准的请求 {request_id}（可能已处理或已过期）")
        return _request(row)

    async def decide(self, request_id: int, approve: bool, by: str, now: datetime) -> Request:
        """Mark the request decided; :class:`Forbidden` for the requester's own approval,
        :class:`NoSuchRow` for one that is not pending."""
        request = await self.get(request_id, now)
        if approve and request.requested_by == by:  # (root approves: a request is an admin's)
            raise Forbidden("自己提出的请求需要由服务器上的系统管理员批准")
        async with self._db.execute(
                "UPDATE user_request SET decision = ?, decided_by = ?, decided_at = ? "
                "WHERE id = ? AND decision IS NULL",
                ("approved" if approve else "refused", by, iso_seconds(now), request_id)) as cursor:
            taken = cursor.rowcount == 1
        await self._db.commit()
        if not taken:  # another admin decided it in between
            raise NoSuchRow(f"请求 {request_id} 已由他人处理")
        return request
