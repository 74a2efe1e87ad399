"""Transfers and hand-offs in the embedded store.

A hand-off (工单流转) is what the sub-center or expert seat receives with the call: one row
per answered transfer holding a JSON record (ticket id, caller number, origin hotline,
pre-filled and confirmed fields, transcript so far)."""

from __future__ import annotations

import json
from typing import Any

from callcenter.store.db import Store, StoreError


class TransferRecords:
    def __init__(self, store: Store) -> None:
        self._db = store.db

    async def started(self, row: dict[str, Any]) -> None:
        await self._db.execute(
            "INSERT INTO transfer (id, ticket_id, call_id, agent, destination, "
            "destination_name, kind, mode, started_at) VALUES (:id, :ticket_id, :call_id, "
            ":agent, :destination, :destination_name, :kind, :mode, :started_at)", row)
        await self._db.commit()

    async def update(self, transfer_id: str, **fields: Any) -> None:
        allowed = {"answered_at", "completed_at", "ended_at", "outcome", "reason"}
        if not fields or not set(fields) <= allowed:
            raise StoreError(f"cannot update transfer fields {sorted(set(fields) - allowed)}")
        assignments = ", ".join(f"{name} = :{name}" for name in sorted(fields))
        await self._db.execute(f"UPDATE transfer SET {assignments} WHERE id = :id",
                               {**fields, "id": transfer_id})
        await self._db.commit()

    async def add_handoff(self, transfer_id: str, ticket_id: int | None, destination: str,
                          created_at: str, record: dict[str, Any]) -> int:
        cursor = await self._db.execute(
            "INSERT INTO handoff (transfer_id, ticket_id, destination, created_at, record) "
            "VALUES (?, ?, ?, ?, ?)",
            (transfer_id, ticket_id, destination, created_at,
             json.dumps(record, ensure_ascii=False)))
        await self._db.commit()
        return int(cursor.lastrowid or 0)

    async def for_ticket(self, ticket_id: int) -> list[dict[str, Any]]:
        async with self._db.execute("SELECT * FROM transfer WHERE ticket_id = ? "
                                    "ORDER BY started_at", (ticket_id,)) as cursor:
            return [dict(r) for r in await cursor.fetchall()]

    async def handoffs(self, *, destination: str = "", ticket_id: int | None = None,
                       limit: int = 50) -> list[dict[str, Any]]:
        query, args = "SELECT * FROM handoff WHERE 1 = 1", list[str | int]()
        if destination:
            query += " AND destination = ?"
            args.append(destination)
        if ticket_id is not None:
            query += " AND ticket_id = ?"
            args.append(ticket_id)
        query += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        async with self._db.execute(query, args) as cursor:
            rows = [dict(r) for r in await cursor.fetchall()]
        for row in rows:
            row["record"] = json.loads(row["record"])
        return rows
