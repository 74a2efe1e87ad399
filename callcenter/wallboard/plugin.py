"""The supervisor's wallboard: today's figures and the floor, pushed as they change."""

from __future__ import annotations

import time

from aiohttp import web

from callcenter.agents.state import SupervisorPause
from callcenter.calls.facts import CallFact
from callcenter.calls.state import AgentAnswered
from callcenter.capability import Capability, Context, Routes
from callcenter.ports import MONITORING, CallbacksChanged, MonitoringChanged
from callcenter.wallboard.commands import wallboard_handlers
from callcenter.wallboard.http import add_routes
from callcenter.wallboard.live import EVENTS, Wallboard
from callcenter.wallboard.notifier import WallboardBus
from callcenter.web.request import Json, Runner


def routes(events: WallboardBus | None) -> Routes:
    def add(app: web.Application, run: Runner, json: Json) -> None:
        add_routes(app, run, json, events)

    return add


def load(context: Context) -> Capability:
    core = context.core
    wallboard = Wallboard(context.config(), core.agent_desk, core.queue_watch, context.store,
                          time.time)
    context.parts.provide(wallboard)

    def monitoring() -> list[dict[str, object]]:
        sessions = context.parts.find(MONITORING)
        return [dict(s) for s in sessions.recent()] if sessions is not None else []

    wallboard.monitoring = monitoring

    def changed(_event: object, _ts: float) -> None:
        wallboard.notifier.changed()

    def started() -> None:
        context.spawn(wallboard.catch_up(context.call_log))  # today so far

    async def resynced(*_: object) -> None:
        wallboard.notifier.changed()  # the floor as Asterisk listed it

    def snapshot() -> dict[str, object]:
        now = time.time()
        return {"queues": core.queue_watch.snapshot(core.agent_desk.board, now,
                                                    wallboard.today(now))}

    async def close() -> None:
        wallboard.notifier.close()

    return Capability(
        "wallboard",
        events=[(wallboard.on_event, EVENTS), (wallboard.on_fact, (CallFact,)),
                (changed, (AgentAnswered, MonitoringChanged, SupervisorPause)),
                (wallboard.on_callbacks, (CallbacksChanged,))],
        commands=wallboard_handlers(wallboard), routes=routes(wallboard.bus), started=started,
        resynced=resynced, snapshot=snapshot, reconfigure=wallboard.reconfigure, close=close)
