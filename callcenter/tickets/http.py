"""The tickets' routes: read one, follow it live (server-sent events), confirm its fields."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from aiohttp import web

from callcenter.store.db import row_id
from callcenter.web import sse
from callcenter.web.body import json_object
from callcenter.web.request import Json, Runner, actor


class TicketEvents(Protocol):
    def subscribe(self, ticket_id: int, who: str = "",
                  owner: bool = True) -> asyncio.Queue[dict[str, Any]]: ...
    def unsubscribe(self, ticket_id: int, queue: asyncio.Queue[dict[str, Any]]) -> None: ...


def add_routes(app: web.Application, run: Runner, json: Json,
               ticket_events: TicketEvents | None) -> None:
    async def command(request: web.Request, command_name: str, /, **args: Any) -> web.Response:
        return json(await run(command_name, args, actor(request)))

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
        # subscribed before the ticket is read: no event between the two can be lost
        queue = (ticket_events.subscribe(ticket_id, who.name, owner)
                 if ticket_events is not None else None)
        try:
            ticket = await run("ticket.get", {"ticket": str(ticket_id)}, actor(request))
        except BaseException:
            if queue is not None and ticket_events is not None:
                ticket_events.unsubscribe(ticket_id, queue)
            raise
        try:
            if ticket.get("closed_at") or queue is None:
                return await sse.stream(request, ("ticket", ticket), None,
                                        last=("closed", {"at": ticket.get("closed_at")}))
            return await sse.stream(request, ("ticket", ticket), queue,
                                    lambda event: event.get("type") == "closed")
        finally:
            if queue is not None and ticket_events is not None:
                ticket_events.unsubscribe(ticket_id, queue)

    app.router.add_get("/api/tickets/{ticket}", get_ticket)
    app.router.add_get("/api/tickets/{ticket}/events", ticket_stream)
    app.router.add_post("/api/tickets/{ticket}/confirm", confirm_ticket)
