"""The ticket closed loop (工单闭环), one plug-in: every ticket — a call's, as the agent
answers it, or one entered for a request that came another way — enters the loop at the
centre, goes to a unit on working-day deadlines, and comes back to be reviewed, closed and
rated; the overdue scan runs from the store every minute."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import structlog
from aiohttp import web

from callcenter.actors import Actor
from callcenter.capability import Capability, Context
from callcenter.config.loader import Config
from callcenter.errors import ServiceUnavailable, TicketFlowConflict
from callcenter.ports import UNITS, TicketOpened
from callcenter.routing.decide import Router
from callcenter.store.db import Store
from callcenter.ticketflow.commands import NewTicket, loop_handlers
from callcenter.ticketflow.entered import enter
from callcenter.ticketflow.files import LoopConfig, read_loop_config
from callcenter.ticketflow.http import add_routes
from callcenter.ticketflow.lists import FlowLists
from callcenter.ticketflow.live import LoopBus
from callcenter.ticketflow.loop import TicketLoop, TicketStepped
from callcenter.ticketflow.page_commands import page_handlers
from callcenter.ticketflow.pages import add_page_routes
from callcenter.ticketflow.schema import MIGRATIONS
from callcenter.ticketflow.state import Side, Who
from callcenter.ticketflow.store import FlowStore
from callcenter.tickets.store import Tickets
from callcenter.web.request import Json, Runner, command_door

log = structlog.get_logger("ticketflow")

SCAN_EVERY_S = 60.0


class Directory:
    """The units a unit user may be of (ports.UNITS)."""

    def __init__(self, loop: TicketLoop) -> None:
        self._loop = loop

    def unit_ids(self) -> Collection[str]:
        return self._loop.config().units.by_id.keys()


def load(context: Context) -> Capability:
    config: list[LoopConfig] = [read_loop_config(context.config().directory)[0]]
    loop = TicketLoop(lambda: config[0], context.clock, context.publish)
    context.parts.provide(loop)
    context.parts.provide(Directory(loop), UNITS)
    bus = LoopBus()

    def routes(app: web.Application, run: Runner, json: Json) -> None:
        add_routes(app, command_door(run, json))
        add_page_routes(app, run, bus)

    async def opened(store: Store) -> None:
        loop.flows = FlowStore(await store.own_connection(), loop.limits)
        loop.tickets = Tickets(store)
        loop.lists = FlowLists(await store.own_connection())

    def ticket_opened(event: TicketOpened, _ts: float) -> None:
        context.spawn(accept_call(event))

    async def accept_call(event: TicketOpened) -> None:
        try:
            await loop.accept(event.ticket_id, Who(event.agent, Side.CENTRE))
        except TicketFlowConflict:
            pass  # a resumed call's ticket: in the loop already
        except Exception as exc:
            log.error("ticketflow.accept_failed", ticket=event.ticket_id, error=repr(exc))

    async def new_ticket(args: NewTicket, actor: Actor) -> Any:
        if loop.tickets is None:
            raise ServiceUnavailable("工单库尚未打开，请稍后再试")
        return await enter(loop, loop.tickets, context.router, context.config(), args, actor)

    async def scan_forever() -> None:
        while True:
            await asyncio.sleep(SCAN_EVERY_S)
            if loop.flows is not None:
                await loop.scan()

    def reconfigure(new: Config, _router: Router) -> None:
        config[0] = read_loop_config(new.directory)[0]

    async def close() -> None:
        if loop.flows is not None:
            await loop.flows.close()
        if loop.lists is not None:
            await loop.lists.close()

    return Capability(
        "ticketflow", events=[(ticket_opened, (TicketOpened,)), (bus.stepped, (TicketStepped,))],
        commands=loop_handlers(lambda: loop, new_ticket) | page_handlers(lambda: loop),
        routes=routes,
        tasks={"ticket-scan": scan_forever}, migrations=MIGRATIONS, opened=opened,
        reconfigure=reconfigure, close=close)

