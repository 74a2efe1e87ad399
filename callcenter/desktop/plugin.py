"""The agent desktop: the page, the agent's own event stream (the notifier reads the calls'
and the agents' events), the caller's history, callbacks and 转回队列."""

from __future__ import annotations

from aiohttp import web

from callcenter.agents.state import LogoutAgent, PhoneChange, StateChange
from callcenter.ami import events as ev
from callcenter.calls.state import AgentAnswered
from callcenter.capability import Capability, Context, Routes
from callcenter.clock import wall_clock
from callcenter.desktop.commands import desktop_handlers
from callcenter.desktop.http import add_routes
from callcenter.desktop.notifier import DesktopNotifier
from callcenter.ports import AGENT_NOTICES, TICKETS, TicketOpened
from callcenter.tickets.live import AgentBus
from callcenter.tickets.store import Tickets
from callcenter.web.request import Json, Runner


def routes(events: AgentBus | None) -> Routes:
    def add(app: web.Application, run: Runner, json: Json) -> None:
        add_routes(app, run, json, events)

    return add


def load(context: Context) -> Capability:
    core, parts = context.core, context.parts
    events = parts.provide(AgentBus(), AGENT_NOTICES)
    notifier = DesktopNotifier(
        events, core.tracker.call_of, core.agent_desk.describe, context.queue_title,
        lambda: context.config().agents.logout_unreachable_after_s)

    def tickets() -> Tickets | None:
        found = parts.find(TICKETS)
        return found.tickets if found is not None else None

    def ticket_opened(opened: TicketOpened, _ts: float) -> None:
        notifier.on_ticket(opened.agent, opened.call_id, opened.ticket_id)

    commands = desktop_handlers(core.agent_desk, lambda: list(core.tracker.calls.values()),
                                context.store, tickets, wall_clock, context.send,
                                context.publish)
    return Capability(
        "desktop",
        events=[(notifier.on_event, (ev.AgentCalled, ev.AgentRingNoAnswer, ev.AgentComplete)),
                (notifier.on_answered, (AgentAnswered,)), (notifier.on_state, (StateChange,)),
                (notifier.on_phone, (PhoneChange,)), (notifier.on_auto_logout, (LogoutAgent,)),
                (ticket_opened, (TicketOpened,))],
        commands=commands, routes=routes(events))
