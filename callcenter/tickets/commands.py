"""The tickets' commands: read one (audited: it shows the caller's number), follow one
live, confirm its fields, list the latest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from callcenter import permissions
from callcenter.actors import Actor
from callcenter.commands import Args, Handler, number, text
from callcenter.errors import CommandError, ServiceUnavailable
from callcenter.store.db import row_id
from callcenter.tickets.store import Tickets

log = structlog.get_logger("commands")


def ticket_handlers(tickets_of: Callable[[], Tickets | None]) -> dict[str, Handler]:
    """The commands on the tickets the store keeps: they need no live engine, so the CLI
    runs them through the same command layer (role check, audit row) when it is down."""

    def tickets() -> Tickets:
        found = tickets_of()
        if found is None:
            raise ServiceUnavailable("the ticket store is not open yet")
        return found

    async def ticket_get(args: Args, actor: Actor) -> Any:
        ticket = await tickets().get(row_id(text(args, "ticket")))
        permissions.check_ticket(actor, ticket)
        return ticket

    async def ticket_watch(args: Args, actor: Actor) -> Any:
        """Whether ``actor`` may follow the ticket live (its stream is opened only then; the
        ticket itself is read, and audited, by ``ticket.get``)."""
        ticket = await tickets().get(row_id(text(args, "ticket")))
        permissions.check_ticket(actor, ticket)
        return {"ticket": ticket["id"], "agent": ticket.get("agent") or ""}

    async def ticket_confirm(args: Args, actor: Actor) -> Any:
        store = tickets()
        ticket_id = row_id(text(args, "ticket"))
        # NoSuchRow, Forbidden before anything is written
        permissions.check_ticket(actor, await store.get(ticket_id))
        fields = args.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise CommandError('"fields" must be an object like {"phone": "…"}')
        await store.confirm(ticket_id, fields)
        log.info("ticket.confirmed", ticket=ticket_id, fields=sorted(fields))
        return await store.get(ticket_id)

    async def ticket_list(args: Args, _actor: Actor) -> Any:
        return await tickets().recent(number(args, "limit", 20, 1000))

    return {"ticket.get": ticket_get, "ticket.watch": ticket_watch,
            "ticket.confirm": ticket_confirm,
            "ticket.list": ticket_list}
