"""The tickets' routes: read one, follow it live (server-sent events), confirm its fields."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from aiohttp import web

from callcenter.store.db import row_id
from callcenter.web import sse
from callcenter.web.body import json_object
from callcenter.web.request import Json, Runner, actor, command_door


class TicketEvents(Protocol):
    def subscribe(self, ticket_id: int, who: str = "",
                  owner: bool = True) -> asyncio.Queue[dict[str, Any]]: ...
    def unsubscribe(self, ticket_id: int, queue: asyncio.Queue[dict[str, Any]]) -> None: ...


def add_routes(app: web.Application, run: Runner, json: Json,
               ticket_events: TicketEvents | None) -> None:
    command = command_door(run, json)

    async def get_ticket(request: web.Request) -> web.Response:
        return await command(request, "ticket.get", ticket=request.match_info["ticket"])

    async def confirm_ticket(request: web.Request) -> web.Response:
        given = await json_object(request, '{"fields": {"phone": "…"}}')
        return await command(request, "ticket.confirm", ticket=request.match_info["ticket"],
                             fields=given.get("fields"))

    async def ticket_stream(request: web.Request) -> web.StreamResponse:
        ticket_id = row_id(request.match_info["ticket"])
        # the role first: nobody else's requests take the owner's slots on the bus
        who = actor(request)
        watched = await run("ticket.watch", {"ticket": str(ticket_id)}, who)
        owner = bool(who.agent) and watched["agent"] == who.agent
        bus = ticket_events

        async def first() -> tuple[str, Any]:
            return "ticket", await run("ticket.get", {"ticket": str(ticket_id)}, who)

        return await sse.follow(
            request,
            lambda: bus.subscribe(ticket_id, who.name, owner) if bus is not None else None,
            lambda queue: bus.unsubscribe(ticket_id, queue) if bus is not None else None,
            first, lambda event: event.get("type") == "closed",
            over=lambda ticket: (("closed", {"at": ticket.get("closed_at")})
                                 if ticket.get("closed_at") or bus is None else None))

    app.router.add_get("/api/tickets/{ticket}", get_ticket)
    app.router.add_get("/api/tickets/{ticket}/events", ticket_stream)
    app.router.add_post("/api/tickets/{ticket}/confirm", confirm_ticket)
