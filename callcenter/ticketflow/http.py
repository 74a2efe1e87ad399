"""The ticket loop over HTTP: every route only runs a command (role check, audit row).

- ``POST /api/loop/tickets`` {channel, hotline, text, caller}: a request that came another way;
- ``GET /api/loop/tickets?unit=&step=&overdue=&limit=``: tickets in the loop, soonest
  deadline first (a unit's user: their unit's);
- ``GET /api/loop/tickets?supervised=true`` (督办), ``asked=true`` (延期申请), ``unrated=true``
  (待评价);
- ``GET /api/loop/tickets/{ticket}`` and ``…/{ticket}/timeline``, ``…/{ticket}/similar``,
  ``…/{ticket}/content`` (its card: what the citizen asked, numbers masked);
- ``POST /api/loop/tickets/{ticket}/{step}`` with the step's fields: accept, dispatch,
  redispatch, uphold, review, extension, close, rate, merge (the centre); sign, return,
  reply, extend (the unit);
- ``GET /api/loop/units``, ``GET /api/loop/workdays?date=&days=``, ``GET /api/loop/calendar``
  (the years counted Monday to Friday, for want of holiday data).
"""

from __future__ import annotations

from aiohttp import web

from callcenter.ticketflow.commands import Flows, NewTicket, Workdays
from callcenter.web.body import Command, fields, json_object, query_fields
from callcenter.web.request import action_of

STEPS = ("accept", "dispatch", "redispatch", "uphold", "review", "extension", "close", "rate",
         "merge", "sign", "return", "reply", "extend")
EXAMPLE = '{"unit": "城关区", "note": "…"}'


def add_routes(app: web.Application, command: Command) -> None:
    async def new(request: web.Request) -> web.Response:
        body = await json_object(request, '{"channel": "web", "text": "…"}')
        return await command(request, "ticket.new", **fields(body, NewTicket))

    async def listed(request: web.Request) -> web.Response:
        return await command(request, "ticket.flows", **query_fields(request.query, Flows))

    async def one(request: web.Request) -> web.Response:
        return await command(request, "ticket.flow", ticket=request.match_info["ticket"])

    async def timeline(request: web.Request) -> web.Response:
        return await command(request, "ticket.timeline", ticket=request.match_info["ticket"])

    async def content(request: web.Request) -> web.Response:
        return await command(request, "ticket.content", ticket=request.match_info["ticket"])

    async def similar(request: web.Request) -> web.Response:
        return await command(request, "ticket.similar", ticket=request.match_info["ticket"])

    async def step(request: web.Request) -> web.Response:
        action = action_of(request, STEPS, "工单办理步骤")
        body = await json_object(request, EXAMPLE)
        body.pop("ticket", None)  # the path names the ticket
        return await command(request, f"ticket.{action}", **body,
                             ticket=request.match_info["ticket"])

    async def units(request: web.Request) -> web.Response:
        return await command(request, "units.list")

    async def workdays(request: web.Request) -> web.Response:
        return await command(request, "workdays.add", **fields(request.query, Workdays))

    async def calendar(request: web.Request) -> web.Response:
        return await command(request, "workdays.calendar")

    app.router.add_post("/api/loop/tickets", new)
    app.router.add_get("/api/loop/tickets", listed)
    app.router.add_get("/api/loop/tickets/{ticket}", one)
    app.router.add_get("/api/loop/tickets/{ticket}/timeline", timeline)
    app.router.add_get("/api/loop/tickets/{ticket}/similar", similar)
    app.router.add_get("/api/loop/tickets/{ticket}/content", content)
    app.router.add_post("/api/loop/tickets/{ticket}/{action}", step)
    app.router.add_get("/api/loop/units", units)
    app.router.add_get("/api/loop/workdays", workdays)
    app.router.add_get("/api/loop/calendar", calendar)
