"""The transfers' commands: start, complete, cancel, list; the destinations; the hand-offs
the store keeps (these need no live engine: the CLI runs them when it is down)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from callcenter import permissions
from callcenter.actors import Actor
from callcenter.agents.commands import AgentOnly
from callcenter.arguments import Arguments, Flag, NoArguments, Number, OptionalId, Text
from callcenter.commands import Handler, command
from callcenter.errors import ServiceUnavailable
from callcenter.transfers.desk import TransferDesk
from callcenter.transfers.records import TransferRecords


class TransferStart(Arguments):
    agent: Text
    """the agent whose call it is, e.g. 1001"""
    destination: Text
    """a sub-center or dual hotline number (12366, 12333), a queue or a name"""
    mode: Text = "conference"
    """conference: three-way; attended: caller on hold while you consult; blind: straight
    there"""
    wait: Flag = True
    """answer when the destination answered (or the transfer failed), not at once"""


class HandoffList(Arguments):
    destination: Text = ""
    """only this sub-center / hotline number"""
    ticket: OptionalId = None
    """only this ticket"""
    limit: Annotated[int, Number(1000)] = 50
    """the newest N"""


def transfer_handlers(transfers: TransferDesk,
                      destinations: Callable[[], list[dict[str, object]]]
                      ) -> dict[str, Handler]:
    """The live transfers, on the transfer desk; ``destinations``: where to (the hotlines
    in force)."""

    @command(TransferStart)
    async def start(args: TransferStart, _actor: Actor) -> Any:
        return await transfers.start(args.agent, args.destination, args.mode, wait=args.wait)

    @command(AgentOnly)
    async def complete(args: AgentOnly, _actor: Actor) -> Any:
        return await transfers.complete(args.agent)

    @command(AgentOnly)
    async def cancel(args: AgentOnly, _actor: Actor) -> Any:
        return await transfers.cancel(args.agent)

    @command(NoArguments)
    async def transfer_list(_args: NoArguments, actor: Actor) -> Any:
        return permissions.own_rows(actor, transfers.snapshot())

    @command(NoArguments)
    async def transfer_destinations(_args: NoArguments, _actor: Actor) -> Any:
        return destinations()

    return {"transfer.start": start, "transfer.complete": complete, "transfer.cancel": cancel,
            "transfer.list": transfer_list, "transfer.destinations": transfer_destinations}


def handoff_handlers(records_of: Callable[[], TransferRecords | None]) -> dict[str, Handler]:
    """The hand-offs the store keeps (工单流转)."""

    @command(HandoffList)
    async def handoff_list(args: HandoffList, _actor: Actor) -> Any:
        records = records_of()
        if records is None:
            raise ServiceUnavailable("the store is not open yet")
        return await records.handoffs(destination=args.destination, ticket_id=args.ticket,
                                      limit=args.limit)

    return {"handoff.list": handoff_list}
