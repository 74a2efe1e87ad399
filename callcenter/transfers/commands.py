"""The transfers' commands: start, complete, cancel, list; the destinations; the hand-offs
the store keeps (these need no live engine: the CLI runs them when it is down)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callcenter import permissions
from callcenter.actors import Actor
from callcenter.commands import Args, Handler, flag, number, text
from callcenter.errors import ServiceUnavailable
from callcenter.store.db import row_id
from callcenter.transfers.desk import TransferDesk
from callcenter.transfers.records import TransferRecords


def transfer_handlers(transfers: TransferDesk,
                      destinations: Callable[[], list[dict[str, object]]]
                      ) -> dict[str, Handler]:
    """The live transfers, on the transfer desk; ``destinations``: where to (the hotlines
    in force)."""

    async def transfer_list(_args: Args, actor: Actor) -> Any:
        return permissions.own_rows(actor, transfers.snapshot())

    async def transfer_destinations(_args: Args, _actor: Actor) -> Any:
        return destinations()

    return {
        "transfer.start": lambda a, _: transfers.start(
            text(a, "agent"), text(a, "destination"),
            text(a, "mode", required=False, default="conference"), wait=flag(a, "wait", True)),
        "transfer.complete": lambda a, _: transfers.complete(text(a, "agent")),
        "transfer.cancel": lambda a, _: transfers.cancel(text(a, "agent")),
        "transfer.list": transfer_list,
        "transfer.destinations": transfer_destinations,
    }


def handoff_handlers(records_of: Callable[[], TransferRecords | None]) -> dict[str, Handler]:
    """The hand-offs the store keeps (工单流转)."""

    async def handoff_list(args: Args, _actor: Actor) -> Any:
        records = records_of()
        if records is None:
            raise ServiceUnavailable("the store is not open yet")
        ticket = text(args, "ticket", required=False)
        return await records.handoffs(
            destination=text(args, "destination", required=False),
            ticket_id=row_id(ticket) if ticket else None,
            limit=number(args, "limit", 50, 1000))

    return {"handoff.list": handoff_list}
