"""Outbound calls (外呼), one plug-in: missed calls become callback tasks (漏接回拨), which
the dialer works in progressive mode through the carrier's outbound trunk when agents are
free, within the limits and out of quiet hours; every attempt and its outcome is kept and
logged (``outbound.*``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import structlog
from aiohttp import web

from callcenter.ami import events as ev
from callcenter.calls.facts import CallbackRequested, QueueJoined, SubcenterAnswered
from callcenter.calls.state import AgentAnswered, CallEnded, LiveCall
from callcenter.capability import Capability, Context
from callcenter.outbound.commands import handlers
from callcenter.outbound.dialer import Dialer
from callcenter.outbound.http import add_routes
from callcenter.outbound.intake import Intake
from callcenter.outbound.store import MIGRATIONS, TaskStore
from callcenter.store.db import Store
from callcenter.web.request import Json, Runner, command_door

log = structlog.get_logger("outbound")

PASS_EVERY_S = 0.5


def routes(app: web.Application, run: Runner, json: Json) -> None:
    add_routes(app, command_door(run, json))


def load(context: Context) -> Capability:
    intake = Intake(lambda: context.config().engine.outbound, context.core.tracker,
                    context.core.decided, context.spawn, context.publish)
    dialer = Dialer(lambda: context.config().engine.outbound, context.send, context.core,
                    context.core.decided, context.audit, context.spawn,
                    context.call_log.remember_number)
    context.parts.provide(dialer)
    context.parts.provide(intake)
    kept: list[TaskStore] = []

    async def opened(store: Store) -> None:
        tasks = TaskStore(await store.own_connection())
        kept.append(tasks)
        intake.tasks = dialer.tasks = tasks
        await dialer.recover(context.clock())

    def answered(event: AgentAnswered, ts: float) -> None:
        dialer.on_answered(event, ts)
        intake.on_answered(event, ts)

    async def dial_forever() -> None:
        while True:
            await asyncio.sleep(PASS_EVERY_S)
            try:
                await dialer.work(context.clock())
            except Exception as exc:  # a pass that failed (a conflict, the store busy)
                log.warning("outbound.pass_failed", error=repr(exc))

    async def resynced(channels: Iterable[ev.CoreShowChannel], _calls: Iterable[LiveCall],
                       now: float) -> None:
        dialer.resynced((c.uniqueid for c in channels), now)

    async def stopping() -> None:
        await dialer.stop(context.clock())

    async def close() -> None:
        for tasks in kept:
            await tasks.close()

    return Capability(
        "outbound",
        events=[(intake.on_fact, (QueueJoined, CallbackRequested, SubcenterAnswered)),
                (answered, (AgentAnswered,)), (intake.on_ended, (CallEnded,)),
                (dialer.on_event, (ev.OriginateResponse, ev.Hangup))],
        commands=handlers(lambda: kept[0] if kept else None, context.clock),
        routes=routes, tasks={"outbound-dialer": dial_forever}, migrations=MIGRATIONS,
        opened=opened, resynced=resynced, stopping=stopping, close=close,
        snapshot=lambda: {"outbound": {"legs": len(dialer.legs)}})
