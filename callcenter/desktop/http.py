"""The agent desktop over HTTP: the page itself (``/``, ``/assets/…``: static files, no
citizen's data, so served before sign-in) and its routes, each a command of the one command
layer (role check, audit row):

    GET  /api/agents/{id}/events           server-sent events for the agent's screen:
                                           ``agent`` (state and current call, first), then
                                           ``state``, ``offer``, ``answered``, ``ticket``,
                                           ``missed``, ``ended``, ``supervisor`` (a
                                           supervisor's pause, unpause, logout or change of
                                           queues, with the reason: ``text``)
    POST /api/agents/{id}/requeue          the agent's call back to the head of its queue
                                           (a reload cut the browser softphone's call off)
    GET  /api/tickets/{id}/history?days=90 the caller's earlier tickets (repeat caller)
    GET  /api/tickets/{id}/earlier/{other} one of them, opened from the current ticket
    GET  /api/transfer-destinations        sub-centers and expert seats to transfer to
    GET  /assets/glossary.js               the one word per state and term (glossary.py)
    GET  /api/callbacks?page=…             a page of the callback requests waiting (an
                                           agent: their queues), numbers masked, in the
                                           centre's order (agents.yaml ``callbacks``)
    POST /api/callbacks/{id}/take          one taken: its full number, for the taker only
    POST /api/callbacks/{id}/done          one worked
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from callcenter.desktop.commands import CallbackPage, History
from callcenter.glossary import as_script
from callcenter.tickets.live import AgentBus
from callcenter.web import sse
from callcenter.web.body import fields
from callcenter.web.pages import PAGE_HEADERS, add_page
from callcenter.web.request import Json, Runner, actor, command_door

STATIC = Path(__file__).parent / "static"


def add_routes(app: web.Application, run: Runner, json: Json,
               agent_events: AgentBus | None) -> None:
    glossary = as_script().encode()
    door = command_door(run, json)

    async def glossary_script(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=glossary, headers={
            **PAGE_HEADERS, "Content-Type": "text/javascript; charset=utf-8"})

    async def agent_stream(request: web.Request) -> web.StreamResponse:
        agent = request.match_info["agent"]
        await run("agent.watch", {"agent": agent}, actor(request))  # the role, before a queue
        bus = agent_events

        async def first() -> tuple[str, Any]:
            return "agent", await run("agent.watch", {"agent": agent}, actor(request))

        return await sse.follow(
            request, lambda: bus.subscribe(agent) if bus is not None else None,
            lambda queue: bus.unsubscribe(agent, queue) if bus is not None else None, first)

    async def requeue(request: web.Request) -> web.Response:
        return await door(request, "call.requeue", agent=request.match_info["agent"])

    async def history(request: web.Request) -> web.Response:
        return await door(request, "ticket.history", **fields(request.query, History, "ticket"),
                          ticket=request.match_info["ticket"])

    async def earlier(request: web.Request) -> web.Response:
        return await door(request, "ticket.earlier", ticket=request.match_info["ticket"],
                          earlier=request.match_info["other"])

    async def destinations(request: web.Request) -> web.Response:
        return await door(request, "transfer.destinations")

    async def callbacks(request: web.Request) -> web.Response:
        return await door(request, "callback.list", **fields(request.query, CallbackPage))

    def callback_action(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return await door(request, name, callback=request.match_info["callback"])
        return handle

    app.router.add_get("/assets/glossary.js", glossary_script)  # callcenter/glossary.py
    add_page(app, "/", STATIC, "index.html", "/assets")
    app.router.add_get("/api/agents/{agent}/events", agent_stream)
    app.router.add_post("/api/agents/{agent}/requeue", requeue)
    app.router.add_get("/api/tickets/{ticket}/history", history)
    app.router.add_get("/api/tickets/{ticket}/earlier/{other}", earlier)
    app.router.add_get("/api/transfer-destinations", destinations)
    app.router.add_get("/api/callbacks", callbacks)
    app.router.add_post("/api/callbacks/{callback}/take", callback_action("callback.take"))
    app.router.add_post("/api/callbacks/{callback}/done", callback_action("callback.done"))
