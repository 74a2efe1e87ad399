"""Ticket-store figures for the report (where the engine's database is there): tickets
opened and hand-offs (工单流转) to each sub-center / expert seat in the period."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from callcenter.store.db import Store


@dataclass
class TicketFigures:
    tickets: int = 0
    handoffs: Counter[str] = field(default_factory=Counter)


def _bounds(first: date | None, last: date | None) -> tuple[str, str]:
    low = first.isoformat() if first else "0000"
    high = (last + timedelta(days=1)).isoformat() if last else "9999"
    return low, high


async def ticket_figures(database: Path, first: date | None,
                         last: date | None) -> TicketFigures:
    low, high = _bounds(first, last)
    store = await Store.open(database)
    try:
        figures = TicketFigures()
        async with store.db.execute(
                "SELECT COUNT(*) FROM ticket WHERE opened_at >= ? AND opened_at < ?",
                (low, high)) as cursor:
            row = await cursor.fetchone()
            figures.tickets = int(row[0]) if row else 0
        async with store.db.execute(
                "SELECT destination, COUNT(*) FROM handoff WHERE created_at >= ? AND "
                "created_at < ? GROUP BY destination", (low, high)) as cursor:
            for destination, count in await cursor.fetchall():
                figures.handoffs[str(destination)] = int(count)
        return figures
    finally:
        await store.close()
