"""The ticket desk: a ticket is opened when an agent answers a call (AgentConnect) and closed
when the call ends. Database work runs in tasks; a failing database is logged and never
touches the call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any

import structlog

from callcenter.agents.state import agent_of
from callcenter.ami import events as ev
from callcenter.calllog.writer import iso_ts
from callcenter.calls.state import LiveCall
from callcenter.routing.decide import Router
from callcenter.tickets.store import TicketOpen, Tickets

log = structlog.get_logger("tickets")


class TicketDesk:
    def __init__(self, router: Router, call_of: Callable[[str], LiveCall | None]) -> None:
        self.router = router
        self.call_of = call_of
        self.tickets: Tickets | None = None  # set when the store is open
        self.by_call: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        if isinstance(event, ev.AgentConnect) and self.tickets is not None:
            call = self.call_of(event.linkedid)
            self._spawn(self._open(event, call, ts))

    def call_ended(self, call_id: str, ts: float) -> None:
        if self.tickets is not None and call_id in self.by_call:
            self._spawn(self._close(call_id, ts))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(self, event: ev.AgentConnect, call: LiveCall | None, ts: float) -> None:
        assert self.tickets is not None
        dialed = call.dialed if call is not None else ""
        route = self.router.decide(dialed, date.today())
        ticket = TicketOpen(
            call_id=event.linkedid, caller=call.caller_num if call is not None else "",
            dialed=dialed, hotline=route.number, hotline_name=route.hotline, unit=route.unit,
            queue=event.queue, agent=agent_of(event.interface) or event.member_name,
            opened_at=iso_ts(ts))
        with structlog.contextvars.bound_contextvars(call_id=event.linkedid):
            try:
                ticket_id = await self.tickets.open(ticket)
            except Exception as exc:
                log.error("ticket.store_failed", error=str(exc))
                return
            self.by_call[event.linkedid] = ticket_id
            log.info("ticket.created", ts=ts, ticket=ticket_id, agent=ticket.agent,
                     hotline=route.number, unit=route.unit, queue=event.queue)

    async def _close(self, call_id: str, ts: float) -> None:
        assert self.tickets is not None
        try:
            await self.tickets.close(call_id, iso_ts(ts))
        except Exception as exc:
            log.error("ticket.store_failed", call_id=call_id, error=str(exc))
        self.by_call.pop(call_id, None)
