"""The tickets' commands: read one (audited: it shows the caller's number), follow one
live, confirm its fields, list the latest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import structlog

from callcenter import permissions
from callcenter.actors import Actor
from callcenter.arguments import Arguments, Id, Number, Value
from callcenter.commands import Handler, command
from callcenter.errors import CommandError, ServiceUnavailable
from callcenter.tickets.store import Tickets

log = structlog.get_logger("commands")


class TicketOnly(Arguments):
    ticket: Id
    """the ticket's id"""


class TicketConfirm(TicketOnly):
    fields: Value
    """the fields the agent confirms, e.g. {"phone": "…"} (kept unmasked)"""


class TicketList(Arguments):
    limit: Annotated[int, Number(1000)] = 20
    """the latest N"""


def ticket_handlers(tickets_of: Callable[[], Tickets | None]) -> dict[str, Handler]:
    """The commands on the tickets the store keeps: they need no live engine, so the CLI
    runs them through the same command layer (role check, audit row) when it is down."""

    def tickets() -> Tickets:
        found = tickets_of()
        if found is None:
            raise ServiceUnavailable("the ticket store is not open yet")
        return found

    @command(TicketOnly)
    async def ticket_get(args: TicketOnly, actor: Actor) -> Any:
        ticket = await tickets().get(args.ticket)
        permissions.check_ticket(actor, ticket)
        return ticket

    @command(TicketOnly)
    async def ticket_watch(args: TicketOnly, actor: Actor) -> Any:
        """Whether ``actor`` may follow the ticket live (its stream is opened only then; the
        ticket itself is read, and audited, by ``ticket.get``)."""
        ticket = await tickets().get(args.ticket)
        permissions.check_ticket(actor, ticket)
        return {"ticket": ticket["id"], "agent": ticket.get("agent") or ""}

    @command(TicketConfirm)
    async def ticket_confirm(args: TicketConfirm, actor: Actor) -> Any:
        store = tickets()
        # NoSuchRow, Forbidden before anything is written
        permissions.check_ticket(actor, await store.get(args.ticket))
        fields = args.fields
        if not isinstance(fields, dict) or not fields:
            raise CommandError('"fields" must be an object like {"phone": "…"}')
        await store.confirm(args.ticket, fields)
        log.info("ticket.confirmed", ticket=args.ticket, fields=sorted(fields))
        return await store.get(args.ticket)

    @command(TicketList)
    async def ticket_list(args: TicketList, _actor: Actor) -> Any:
        return await tickets().recent(args.limit)

    return {"ticket.get": ticket_get, "ticket.watch": ticket_watch,
            "ticket.confirm": ticket_confirm,
            "ticket.list": ticket_list}
