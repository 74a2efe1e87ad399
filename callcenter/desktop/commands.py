"""The commands of the agent desktop: what an agent's screen reads and does besides the
agent, transfer and ticket commands — the agent's own state and current call
(``agent.watch``), the caller's history (``ticket.history``, ``ticket.earlier``), and the
callback requests waiting to be worked (``callback.list``, ``callback.done``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from callcenter import permissions
from callcenter.actors import Actor, Role
from callcenter.agents.desk import AgentDesk
from callcenter.calllog.writer import iso_ts
from callcenter.calls.state import LiveCall
from callcenter.commands import Args, Handler, number, text
from callcenter.desktop.notifier import call_card
from callcenter.errors import Forbidden, ServiceUnavailable, UnknownAgent
from callcenter.store.db import NoSuchRow, Store, row_id
from callcenter.tickets.store import Tickets

HISTORY_DAYS = 90


def desktop_handlers(agents: AgentDesk, calls: Callable[[], list[LiveCall]],
                     ticket_of: Callable[[str], int | None],
                     store: Callable[[], Store | None], tickets: Callable[[], Tickets | None],
                     clock: Callable[[], datetime]) -> dict[str, Handler]:
    def open_tickets() -> Tickets:
        found = tickets()
        if found is None:
            raise ServiceUnavailable("the ticket store is not open yet")
        return found

    async def watch(args: Args, _actor: Actor) -> Any:
        agent = text(args, "agent")
        now = clock().timestamp()
        current = next((c for c in calls() if c.agent == agent and c.agent_channel), None)
        if agent not in agents.config.agents.agents:
            raise UnknownAgent(f"unknown agent {agent!r}")
        return {**agents.describe(agent),
                "pause_reasons": list(agents.config.agents.pause_reasons),
                "call": call_card(current, current.queue, now) if current else None,
                "ticket": ticket_of(current.call_id) if current else None}

    async def history(args: Args, actor: Actor) -> Any:
        store = open_tickets()
        ticket = await store.get(row_id(text(args, "ticket")))
        permissions.check_ticket(actor, ticket)
        # an agent sees the window of the centre's rules; a supervisor may look further back
        days = number(args, "days", HISTORY_DAYS,
                      HISTORY_DAYS if actor.role is Role.AGENT else 3650)
        since = iso_ts((clock() - timedelta(days=days)).timestamp())
        earlier = await store.earlier(ticket, since)
        return {"ticket": ticket["id"], "days": days, "repeat": bool(earlier),
                "earlier": earlier}

    async def earlier(args: Args, actor: Actor) -> Any:
        """One of the caller's earlier tickets, opened from the current one: an agent may
        read it (only) through a ticket of their own call from the same number, opened
        before it and within the history window."""
        store = open_tickets()
        current = await store.get(row_id(text(args, "ticket")))
        permissions.check_ticket(actor, current)
        other = await store.get(row_id(text(args, "earlier")))
        since = iso_ts((clock() - timedelta(days=HISTORY_DAYS)).timestamp())
        if not current["caller"] or other["caller"] != current["caller"] or not (
                since <= other["opened_at"] < current["opened_at"]):
            raise Forbidden(f"工单 {other['id']} 不是工单 {current['id']} 的来电人在此前 "
                            f"{HISTORY_DAYS} 天内的来电")
        return other

    def open_store() -> Store:
        found = store()
        if found is None:
            raise ServiceUnavailable("the store is not open yet")
        return found

    def answered_by(actor: Actor) -> set[str] | None:
        """The queues whose requests an agent works (None: a supervisor's, every queue)."""
        if not actor.agent:
            return None
        agent = agents.config.agents.agents.get(actor.agent)  # None: removed by a reload
        return set(agent.skills) if agent is not None else set()

    async def callbacks(args: Args, actor: Actor) -> Any:
        """The oldest waiting first, at most ``limit`` (a busy day leaves thousands)."""
        return await open_store().open_callbacks(answered_by(actor),
                                                 number(args, "limit", 100, 1000))

    async def callback_done(args: Args, actor: Actor) -> Any:
        found = open_store()
        callback = row_id(text(args, "callback"))
        row = await found.callback(callback)
        queues = answered_by(actor)
        if row is not None and queues is not None and row["queue"] not in queues:
            raise Forbidden(f"callback request {callback} is for queue {row['queue']}, "
                            "which you do not answer")
        if not await found.callback_done(callback, iso_ts(clock().timestamp()), actor.name):
            raise NoSuchRow(f"no open callback request {callback}")
        return {"callback": callback, "done": True}

    return {"agent.watch": watch, "ticket.history": history, "ticket.earlier": earlier,
            "callback.list": callbacks, "callback.done": callback_done}
