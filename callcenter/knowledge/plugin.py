"""The knowledge base (知识库): search, articles, suggestions for a live call."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from callcenter.capability import Capability
from callcenter.knowledge.base import KnowledgeBase
from callcenter.knowledge.commands import knowledge_handlers
from callcenter.knowledge.http import add_routes
from callcenter.tickets.store import Tickets
from callcenter.web.request import Json, Runner, command_door


def routes(app: web.Application, run: Runner, json: Json) -> None:
    add_routes(app, command_door(run, json))


def capability(base: KnowledgeBase, tickets: Callable[[], Tickets | None]) -> Capability:
    return Capability("knowledge", commands=knowledge_handlers(base, tickets), routes=routes,
                      reconfigure=base.reconfigure, close=base.close)
