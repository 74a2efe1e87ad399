"""The supervisor's wallboard: today's figures and the floor, pushed as they change."""

from __future__ import annotations

from aiohttp import web

from callcenter.capability import Capability, Routes
from callcenter.wallboard.commands import wallboard_handlers
from callcenter.wallboard.http import add_routes
from callcenter.wallboard.live import Wallboard
from callcenter.wallboard.notifier import WallboardBus
from callcenter.web.request import Json, Runner


def routes(events: WallboardBus | None) -> Routes:
    def add(app: web.Application, run: Runner, json: Json) -> None:
        add_routes(app, run, json, events)

    return add


def capability(wallboard: Wallboard) -> Capability:
    return Capability("wallboard", events=[(wallboard.on_event, ())],
                      commands=wallboard_handlers(wallboard), routes=routes(wallboard.bus),
                      reconfigure=wallboard.reconfigure)
