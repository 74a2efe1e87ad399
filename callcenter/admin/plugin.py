"""The admin page (系统管理): its API routes are the users' and the engine's own."""

from __future__ import annotations

from aiohttp import web

from callcenter.admin.http import add_routes
from callcenter.capability import Capability, Context
from callcenter.web.request import Json, Runner


def routes(app: web.Application, _run: Runner, _json: Json) -> None:
    add_routes(app)


def load(_context: Context) -> Capability:
    return Capability("admin", routes=routes)
