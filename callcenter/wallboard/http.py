"""The wallboard over HTTP: the page (``/wallboard``, ``/wallboard/assets/…``: static files,
no citizen's data, so served before sign-in, under the desktop's strict CSP) and its routes,
each the ``wallboard.get`` command (the supervisor role):

    GET /api/wallboard          the board now (JSON)
    GET /api/wallboard/events   server-sent events: ``board`` (the whole board, first), then
                                ``board`` again whenever it changed (at most 2 a second)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from callcenter.wallboard.notifier import BOARD, WallboardBus
from callcenter.web import sse
from callcenter.web.pages import add_page
from callcenter.web.request import Json, Runner, actor, command_door

STATIC = Path(__file__).parent / "static"
PAGE = "wallboard.html"


def add_routes(app: web.Application, run: Runner, json: Json,
               events: WallboardBus | None) -> None:
    command = command_door(run, json)

    async def get(request: web.Request) -> web.Response:
        return await command(request, "wallboard.get")

    async def stream(request: web.Request) -> web.StreamResponse:
        await run("wallboard.get", {}, actor(request))  # the role, before a queue is taken
        bus = events

        async def first() -> tuple[str, Any]:
            return "board", await run("wallboard.get", {}, actor(request))

        return await sse.follow(
            request, lambda: bus.subscribe(BOARD) if bus is not None else None,
            lambda queue: bus.unsubscribe(BOARD, queue) if bus is not None else None, first)

    add_page(app, "/wallboard", STATIC, PAGE, "/wallboard/assets")
    app.router.add_get("/api/wallboard", get)
    app.router.add_get("/api/wallboard/events", stream)
