"""The transfers capability: three-way and blind transfers to sub-centers and expert seats
(the transfer desk reads the calls' events), the hand-offs they leave (工单流转); their
commands and routes."""

from __future__ import annotations

from typing import Any

from callcenter.ami import events as ev
from callcenter.capability import Capability, Context
from callcenter.ports import TICKETS, TRANSFER_LEGS
from callcenter.store.db import Store
from callcenter.transfers.commands import handoff_handlers, transfer_handlers
from callcenter.transfers.desk import TransferDesk
from callcenter.transfers.destinations import destinations
from callcenter.transfers.http import add_routes as routes
from callcenter.transfers.records import TransferRecords


def load(context: Context) -> Capability:
    parts = context.parts
    kept: list[TransferRecords] = []

    async def ticket_of(call_id: str) -> int | None:
        tickets = parts.find(TICKETS)
        return await tickets.ticket_id(call_id) if tickets is not None else None

    async def ticket_content(ticket_id: int) -> dict[str, Any]:
        found = parts.find(TICKETS)
        tickets = found.tickets if found is not None else None
        return await tickets.get(ticket_id) if tickets is not None else {}

    def publish(ticket_id: int, event: dict[str, Any]) -> None:
        tickets = parts.find(TICKETS)
        if tickets is not None:
            tickets.publish_ticket(ticket_id, event)

    def records() -> TransferRecords | None:
        return kept[0] if kept else None

    desk = TransferDesk(lambda: context.config().hotlines, context.send, context.core.tracker,
                        context.clock, ticket_of=ticket_of, ticket_content=ticket_content,
                        records=records, publish=publish)
    parts.provide(desk, TRANSFER_LEGS)

    async def opened(store: Store) -> None:
        kept[:] = [TransferRecords(store)]

    def hotline_destinations() -> list[dict[str, object]]:
        return [d.as_dict() for d in destinations(context.config().hotlines)]

    return Capability(
        "transfers", events=[(desk.on_event, (ev.AmiEvent,))],
        commands={**transfer_handlers(desk, hotline_destinations),
                  **handoff_handlers(records)},
        routes=routes, opened=opened, tick=desk.tick,
        snapshot=lambda: {"transfers": desk.snapshot()})
