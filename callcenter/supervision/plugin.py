"""Supervision: a supervisor's control of agents and waiting callers, and monitoring
(listen, whisper, barge) of calls."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from callcenter.ami import events as ev
from callcenter.calls.state import LiveCall
from callcenter.capability import Capability, Context
from callcenter.ports import AGENT_NOTICES, MONITORING, MonitoringChanged
from callcenter.supervision.commands import supervision_handlers
from callcenter.supervision.desk import MonitorDesk
from callcenter.supervision.floor_desk import FloorDesk
from callcenter.supervision.http import add_routes
from callcenter.web.request import Json, Runner, command_door


def routes(app: web.Application, run: Runner, json: Json) -> None:
    add_routes(app, command_door(run, json))


def load(context: Context) -> Capability:
    core = context.core
    monitor = MonitorDesk(context.send, core.tracker, context.config, context.clock,
                          audit_trail=context.audit,
                          on_change=lambda session: context.publish(MonitoringChanged(session),
                                                                    context.clock()))
    context.parts.provide(monitor, MONITORING)

    def tell_agent(agent: str, event: dict[str, Any]) -> None:
        notices = context.parts.find(AGENT_NOTICES)
        if notices is not None:
            notices.publish(agent, event)

    control = FloorDesk(core.agent_desk, context.send, core.tracker, tell_agent,
                                time.time, core.queue_watch)
    context.parts.provide(control)

    async def resynced(channels: Iterable[ev.CoreShowChannel], _calls: Iterable[LiveCall],
                       _now: float) -> None:
        await monitor.resynced(channels)

    return Capability(
        "monitoring", events=[(monitor.on_event, (ev.AmiEvent,))],
        commands=supervision_handlers(monitor, control), routes=routes, resynced=resynced,
        snapshot=lambda: {"monitoring": monitor.snapshot()}, stopping=monitor.close)
