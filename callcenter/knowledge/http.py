"""The knowledge base's routes of the HTTP API (:func:`add_routes`, called by
``callcenter.api.server.build_app``); each runs a command of :mod:`.commands`:

    GET  /api/knowledge?q=…&hotline=…&topic=…&limit=…   search (no q: every article)
    GET  /api/knowledge/{id}                          one article, with its Markdown
    GET  /api/tickets/{id}/suggestions                articles for that call: its topic,
                                                      line and transcript so far
    POST /api/tickets/{id}/answered-from              body {"article": "shebaoka-buban"}

A search hit: ``id``, ``title``, ``topic``, ``hotlines``, ``updated``, ``sample`` (a 示例
article), ``score``, ``snippet`` (plain text) and ``highlights`` ([start, end) offsets of the
query's words in the snippet: the page marks them, no HTML comes out of an article).
"""

from __future__ import annotations

from aiohttp import web

from callcenter.knowledge.commands import Search, Suggest
from callcenter.web.body import Command, fields, json_object

ARTICLE = '{"article": "shebaoka-buban"}'  # the body of answered-from



def add_routes(app: web.Application, command: Command) -> None:
    async def search(request: web.Request) -> web.Response:
        return await command(request, "knowledge.search", **fields(request.query, Search))

    async def article(request: web.Request) -> web.Response:
        return await command(request, "knowledge.get", article=request.match_info["article"])

    async def suggestions(request: web.Request) -> web.Response:
        return await command(request, "knowledge.suggest",
                             **fields(request.query, Suggest, "ticket"),
                             ticket=request.match_info["ticket"])

    async def answered_from(request: web.Request) -> web.Response:
        return await command(request, "knowledge.used", ticket=request.match_info["ticket"],
                             article=(await json_object(request, ARTICLE)).get("article"))

    app.router.add_get("/api/knowledge", search)
    app.router.add_get("/api/knowledge/{article}", article)
    app.router.add_get("/api/tickets/{ticket}/suggestions", suggestions)
    app.router.add_post("/api/tickets/{ticket}/answered-from", answered_from)
