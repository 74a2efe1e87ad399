"""The wallboard over HTTP: the page (``/wallboard``, ``/wallboard/assets/…``: static files,
no citizen's data, so served before sign-in, under the desktop's strict CSP) and its routes,
each the ``wallboard.get`` command (the supervisor role):

    GET /api/wallboard          the board now (JSON)
    GET /api/wallboard/events   server-sent events: ``board`` (the whole board, first), then
                                ``board`` again whenever it changed (at most 2 a second)
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from callcenter.desktop.http import PAGE_HEADERS
from callcenter.wallboard.notifier import BOARD, WallboardBus
from callcenter.web import sse
from callcenter.web.request import Json, Runner, actor

STATIC = Path(__file__).parent / "static"
PAGE = "wallboard.html"


def add_routes(app: web.Application, run: Runner, json: Json,
               events: WallboardBus | None) -> None:
    async def page(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / PAGE, headers=PAGE_HEADERS)

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = (STATIC / name).resolve()
        if path.parent != STATIC.resolve() or not path.is_file() or name == PAGE:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers=PAGE_HEADERS)

    async def get(request: web.Request) -> web.Response:
        return json(await run("wallboard.get", {}, actor(request)))

    async def stream(request: web.Request) -> web.StreamResponse:
        await run("wallboard.get", {}, actor(request))  # the role, before a queue is taken
        queue = events.subscribe(BOARD) if events is not None else None
        try:  # subscribed before the board is taken: no change in between is lost
            first = await run("wallboard.get", {}, actor(request))
            return await sse.stream(request, ("board", first), queue)
        finally:
            if queue is not None and events is not None:
                events.unsubscribe(BOARD, queue)

    app.router.add_get("/wallboard", page)
    app.router.add_get("/wallboard/assets/{name}", asset)
    app.router.add_get("/api/wallboard", get)
    app.router.add_get("/api/wallboard/events", stream)
