"""The agent desktop: the page, the agent's own event stream (the notifier reads the calls'
events), the caller's history, callbacks and 转回队列."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from callcenter.capability import Capability, Routes
from callcenter.commands import Handler
from callcenter.desktop.http import add_routes
from callcenter.desktop.notifier import DesktopNotifier
from callcenter.tickets.live import AgentBus
from callcenter.web.request import Json, Runner


def routes(events: AgentBus | None) -> Routes:
    def add(app: web.Application, run: Runner, json: Json) -> None:
        add_routes(app, run, json, events)

    return add


def capability(notifier: DesktopNotifier, commands: Mapping[str, Handler],
               events: AgentBus) -> Capability:
    return Capability("desktop", events=[(notifier.on_event, ())], commands=commands,
                      routes=routes(events))
