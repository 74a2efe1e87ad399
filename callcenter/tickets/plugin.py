"""The tickets capability: a ticket opened for each answered call, pre-filled from what the
caller says, closed at the hang-up (the ticket desk); its routes."""

from __future__ import annotations

from aiohttp import web

from callcenter.capability import Capability, Routes
from callcenter.tickets.desk import TicketDesk
from callcenter.tickets.http import TicketEvents, add_routes
from callcenter.web.request import Json, Runner


def routes(events: TicketEvents | None) -> Routes:
    def add(app: web.Application, run: Runner, json: Json) -> None:
        add_routes(app, run, json, events)

    return add


def capability(desk: TicketDesk) -> Capability:
    return Capability("tickets", events=[(desk.on_event, ())], routes=routes(desk.bus),
                      reconfigure=desk.reconfigure)
