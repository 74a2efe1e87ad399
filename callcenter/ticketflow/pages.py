"""The loop's web pages: the unit's inbox (承办单位工作台, ``/unit``), the centre's back office
(工单中心, ``/backoffice``) and a ticket's timeline (``/loop/ticket?id=N``), their files under
``/loop/assets/`` (no citizen's data: served before sign-in, under the strict CSP; everything
else a page reads through the API as its person), and the live stream they follow:

    GET /api/loop/events   server-sent events: ``hello`` (whose steps: {"unit": …}), then
                           ``stepped`` {ticket, step, action} for each step of a ticket the
                           person's pages show (a unit's: those it leads or assists)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from callcenter.ticketflow.live import LoopBus
from callcenter.web import sse
from callcenter.web.pages import add_pages
from callcenter.web.request import Runner, actor

STATIC = Path(__file__).parent / "static"
PAGES = {"/unit": "unit.html", "/backoffice": "backoffice.html", "/loop/ticket": "ticket.html"}


def add_page_routes(app: web.Application, run: Runner, bus: LoopBus) -> None:
    async def events(request: web.Request) -> web.StreamResponse:
        who = actor(request)
        watching = await run("loop.watch", {}, who)  # the role, before a queue is taken
        key = str(watching["unit"])

        async def first() -> tuple[str, Any]:
            return "hello", watching

        return await sse.follow(request, lambda: bus.subscribe(key, who.name),
                                lambda queue: bus.unsubscribe(key, queue), first)

    add_pages(app, STATIC, PAGES, "/loop/assets")
    app.router.add_get("/api/loop/events", events)
