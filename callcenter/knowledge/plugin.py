"""The knowledge base (知识库): search, articles, suggestions for a live call."""

from __future__ import annotations

from aiohttp import web

from callcenter.capability import Capability, Context
from callcenter.knowledge.base import KnowledgeBase
from callcenter.knowledge.commands import knowledge_handlers
from callcenter.knowledge.http import add_routes
from callcenter.ports import TICKETS
from callcenter.store.db import Store
from callcenter.tickets.store import Tickets
from callcenter.web.request import Json, Runner, command_door


def routes(app: web.Application, run: Runner, json: Json) -> None:
    add_routes(app, command_door(run, json))


def load(context: Context) -> Capability:
    base = context.parts.provide(KnowledgeBase.of(context.config()))

    def tickets() -> Tickets | None:
        found = context.parts.find(TICKETS)
        return found.tickets if found is not None else None

    async def opened(store: Store) -> None:
        await base.open(store)  # re-indexes in the background if the files changed

    return Capability("knowledge", commands=knowledge_handlers(base, tickets), routes=routes,
                      opened=opened, reconfigure=base.reconfigure, close=base.close)
