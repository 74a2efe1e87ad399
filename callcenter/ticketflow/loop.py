"""The ticket loop's service: reads a ticket's place in the loop, asks the pure steps
(:mod:`.state`) what it becomes, keeps it (:mod:`.store`: one transaction), and tells the hub
(:class:`TicketStepped`: pages redraw). The overdue scan (:meth:`TicketLoop.scan`) is driven
from the store — idempotent, so a restart or a second run changes nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from callcenter.errors import TicketFlowConflict, TicketFlowError
from callcenter.glossary import word
from callcenter.ticketflow import state
from callcenter.ticketflow.card import card
from callcenter.ticketflow.files import LoopConfig
from callcenter.ticketflow.lists import FlowLists, Wanted, as_row
from callcenter.ticketflow.state import Flow, Side, Step, Transition, Who
from callcenter.ticketflow.store import FlowStore, Matter
from callcenter.tickets.store import Tickets

log = structlog.get_logger("ticketflow")

SCAN_AHEAD_S = 8 * 86400.0  # yellow lights come at most this long before a deadline
CHANNELS = ("phone", "web", "sms", "letter", "email")


@dataclass(frozen=True, slots=True)
class TicketStepped:
    """A ticket moved in the loop (or was reminded): for pages that show it."""

    ticket: int
    unit: str
    action: str
    step: str
    assists: tuple[str, ...] = ()


def fields_of(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """A ticket's fields: the pre-fill's, overridden by what the agent confirmed."""
    fields = {**ticket.get("prefill", {}), **ticket.get("confirmed", {})}
    place = fields.get("place")
    if isinstance(place, dict):  # the pre-fill's place: {city, county, detail}
        fields.setdefault("city", place.get("city"))
        fields.setdefault("county", place.get("county"))
    return fields


class TicketLoop:
    def __init__(self, config: Callable[[], LoopConfig], clock: Callable[[], float],
                 publish: Callable[[object, float], None]) -> None:
        self.config = config
        self.clock = clock
        self.publish = publish
        self.flows: FlowStore | None = None  # once the store is open
        self.tickets: Tickets | None = None
        self.lists: FlowLists | None = None  # the pages' lists

    def _open(self) -> tuple[FlowStore, Tickets]:
        if self.flows is None or self.tickets is None:
            raise TicketFlowError("工单库尚未打开")
        return self.flows, self.tickets

    # -- into the loop --------------------------------------------------------------------

    async def accept(self, ticket_id: int, who: Who, channel: str = "phone") -> Flow:
        """受理: the ticket (of a call, or entered) enters the loop at the centre."""
        flows, tickets = self._open()
        ticket = await tickets.get(ticket_id)
        fields = fields_of(ticket)
        now = self.clock()
        flow = Flow(ticket_id, Step.ACCEPTED, str(fields.get("request_type") or "咨询"),
                    bool(fields.get("urgent")), accepted_at=now)
        matter = Matter(channel, str(ticket.get("caller") or ""), str(fields.get("topic") or ""),
                        str(fields.get("county") or fields.get("city") or ""))
        line = Transition(ticket_id, now, who.name, "accept_call", Step.ACCEPTED, Step.ACCEPTED,
                          f"渠道：{word('ticket_channel', channel)}")
        flow = await flows.accept(flow, line, matter)
        self._told(flow, line)
        return flow

    async def flow(self, ticket_id: int) -> Flow:
        flows, _ = self._open()
        return await flows.need(ticket_id)

    # -- a step -----------------------------------------------------------------------------

    async def act(self, ticket_id: int, who: Who, action: str, **given: Any) -> Flow:
        """One step by ``who``: ``action`` is a step of :mod:`.state` (dispatch, sign, …)."""
        flows, tickets = self._open()
        flow = await flows.need(ticket_id)
        config = self.config()
        rules, now = config.rules, self.clock()
        if action == "dispatch":
            ticket = await tickets.get(ticket_id)
            config.units.check_dispatch(fields_of(ticket), given["unit"], given["assists"])
            new, line = state.dispatch(flow, who, now, rules, given["unit"], given["assists"],
                                       given.get("note", ""))
        elif action == "redispatch":
            config.units.get(given["unit"])
            new, line = state.redispatch(flow, who, now, rules, given["unit"],
                                         given.get("note", ""))
        elif action == "uphold":
            new, line = state.uphold(flow, who, now, rules, given["note"])
        elif action == "sign":
            new, line = state.sign(flow, who, now, rules)
        elif action == "return":
            new, line = state.give_back(flow, who, now, rules, given["reason"])
        elif action == "reply":
            new, line = state.reply(flow, who, now, given["text"])
        elif action == "review":
            new, line = state.review(flow, who, now, rules, given["accept"], given["note"])
        elif action == "extend":
            new, line = state.ask_extension(flow, who, now, rules, given["days"],
                                            given["reason"])
        elif action == "extension":
            new, line = state.decide_extension(flow, who, now, rules, given["approve"],
                                               given.get("note", ""))
        elif action == "close":
            new, line = state.close(flow, who, now, given.get("note", ""))
        elif action == "rate":
            new, line = state.rate(flow, who, now, rules, given["rating"])
        elif action == "merge":
            into = await flows.need(given["into"])
            new, line = state.merge(flow, who, now, into)
        else:
            raise TicketFlowError(f"unknown step {action!r}")
        steps = [(flow, new, line)]
        if new.step is Step.CLOSED and flow.step is not Step.CLOSED:
            steps += [(merged, *state.closed_with(merged, line))
                      for merged in await flows.merged_into(ticket_id)]
        kept = await flows.step(steps)
        for (_, _, told), after in zip(steps, kept, strict=True):
            self._told(after, told)
        return kept[0]

    def _told(self, flow: Flow, line: Transition) -> None:
        log.info("ticket.step", ticket=flow.ticket, action=line.action, before=line.before,
                 after=line.after, unit=flow.unit, who=line.who)
        self.publish(TicketStepped(flow.ticket, flow.unit, line.action, flow.step.value,
                                   flow.assists), line.at)

    # -- the engine's scan ------------------------------------------------------------------

    async def scan(self) -> int:
        """催办 and 督办 for the deadlines near or passed; how many tickets it reminded."""
        flows, _ = self._open()
        rules, now, done = self.config().rules, self.clock(), 0
        for flow in await flows.due_before(now + SCAN_AHEAD_S, limit=100_000):
            reminded = state.remind(flow, now, rules)
            if reminded is None:
                continue
            try:
                (kept,) = await flows.step([(flow, *reminded)])
            except TicketFlowConflict:
                continue  # someone acted on it meanwhile: the next scan sees it
            self._told(kept, reminded[1])
            done += 1
        if rules.calendar.guessed:
            log.warning("ticketflow.calendar_guessed", years=sorted(rules.calendar.guessed))
        return done

    # -- reads ------------------------------------------------------------------------------

    async def timeline(self, ticket_id: int) -> list[dict[str, Any]]:
        flows, _ = self._open()
        await flows.need(ticket_id)
        return await flows.timeline(ticket_id)

    async def listing(self, wanted: Wanted) -> list[dict[str, Any]]:
        """Tickets in the loop, the soonest deadline first (the overdue ones lead), with
        their topic, place and channel."""
        if self.lists is None:
            raise TicketFlowError("工单库尚未打开")
        return [as_row(listed, self.shown(listed.flow))
                for listed in await self.lists.find(wanted)]

    async def card(self, ticket_id: int) -> dict[str, Any]:
        """The ticket's content for its card (:mod:`.card`), and where the dispatch
        catalogue would send it (``suggested``)."""
        flows, tickets = self._open()
        ticket = await tickets.get(ticket_id)
        matter = await flows.matter(ticket_id)
        fields = fields_of(ticket)
        found = self.config().units.suggest(fields)
        return {**card(ticket, fields, matter.channel),
                "suggested": None if found is None else {"unit": found.unit,
                                                         "assists": list(found.assists)}}

    async def similar(self, ticket_id: int) -> list[dict[str, Any]]:
        """并单 candidates: open tickets of the same caller, or of the same place and topic,
        within the limits' ``merge_days``."""
        flows, _ = self._open()
        flow = await flows.need(ticket_id)
        matter = await flows.matter(ticket_id)
        since = self.clock() - self.config().rules.limits.merge_days * 86400
        return await flows.same_matter(flow, matter, since)

    def shown(self, flow: Flow) -> dict[str, Any]:
        """A ticket's place in the loop as pages and the CLI show it (with its light)."""
        due = flow.due()
        rules = self.config().rules
        light = "" if due is None else rules.limits.light(
            flow.dispatched_at or flow.accepted_at, due, self.clock())
        return {"ticket": flow.ticket, "step": flow.step.value, "request_type": flow.request_type,
                "urgent": flow.urgent, "unit": flow.unit, "assists": list(flow.assists),
                "due": due, "light": light, "rating": flow.rating,
                "supervised": flow.supervised, "extension_asked": flow.extension_asked,
                "extensions": flow.extensions, "redos": flow.redos, "returns": flow.returns,
                "merged_into": flow.merged_into}


__all__ = ["CHANNELS", "Side", "TicketLoop", "TicketStepped", "fields_of"]
