"""Supervision: a supervisor's control of agents and waiting callers, and monitoring
(listen, whisper, barge) of calls."""

from __future__ import annotations

from aiohttp import web

from callcenter.capability import Capability
from callcenter.supervision.commands import supervision_handlers
from callcenter.supervision.control import SupervisorControl
from callcenter.supervision.desk import MonitorDesk
from callcenter.supervision.http import add_routes
from callcenter.web.request import Json, Runner, command_door


def routes(app: web.Application, run: Runner, json: Json) -> None:
    add_routes(app, command_door(run, json))


def capability(monitor: MonitorDesk, control: SupervisorControl) -> Capability:
    return Capability("monitoring", events=[(monitor.on_event, ())],
                      commands=supervision_handlers(monitor, control), routes=routes)
