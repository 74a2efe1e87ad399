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
from callcenter.ticketflow.limits import Limits
from callcenter.ticketflow.lists import FlowLists, Wanted, as_row
from callcenter.ticketflow.state import Flow, Side, Step, Transition, Who
from callcenter.ticketflow.store import FlowStore, Matter
from callcenter.tickets.store import Tickets

log = structlog.get_logger("ticketflow")

CHANNELS = ("phone", "web", "sms", "letter", "email")

PureStep = Callable[[Flow, Who, float, state.Rules, Mapping[str, Any]], tuple[Flow, Transition]]
# the steps decided from the ticket's place in the loop and the step's fields alone
PURE_STEPS: dict[str, PureStep] = {
    "uphold": lambda f, w, now, rules, g: state.uphold(f, w, now, rules, g["note"]),
    "sign": lambda f, w, now, rules, _g: state.sign(f, w, now, rules),
    "return": lambda f, w, now, rules, g: state.give_back(f, w, now, rules, g["reason"]),
    "reply": lambda f, w, now, _rules, g: state.reply(f, w, now, g["text"]),
    "review": lambda f, w, now, rules, g: state.review(f, w, now, rules, g["accept"],
                                                       g["note"]),
    "extend": lambda f, w, now, rules, g: state.ask_extension(f, w, now, rules, g["days"],
                                                              g["reason"]),
    "extension": lambda f, w, now, rules, g: state.decide_extension(
        f, w, now, rules, g["approve"], g.get("note", "")),
    "close": lambda f, w, now, _rules, g: state.close(f, w, now, g.get("note", "")),
    "rate": lambda f, w, now, rules, g: state.rate(f, w, now, rules, g["rating"]),
}


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


def matter_of(fields: Mapping[str, Any]) -> tuple[str, str]:
    """The topic and place that find a ticket of the same matter (并单)."""
    return (str(fields.get("topic") or ""),
            str(fields.get("county") or fields.get("city") or ""))


class TicketLoop:
    def __init__(self, config: Callable[[], LoopConfig], clock: Callable[[], float],
                 publish: Callable[[object, float], None]) -> None:
        self.config = config
        self.clock = clock
        self.publish = publish
        self.flows: FlowStore | None = None  # once the store is open
        self.tickets: Tickets | None = None
        self.lists: FlowLists | None = None  # the pages' lists

    def limits(self) -> Limits:
        """The limits in force (for the store's reminder moments)."""
        return self.config().rules.limits

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
        matter = Matter(channel, str(ticket.get("caller") or ""), *matter_of(fields))
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
        flows, _ = self._open()
        flow = await flows.need(ticket_id)
        now, rules = self.clock(), self.config().rules
        if action in PURE_STEPS:
            new, line = PURE_STEPS[action](flow, who, now, rules, given)
        elif action == "dispatch":
            new, line, matter = await self._dispatch(flow, who, now, rules, given)
        elif action == "redispatch":
            self.config().units.get(given["unit"])
            new, line = state.redispatch(flow, who, now, rules, given["unit"],
                                         given.get("note", ""))
        elif action == "merge":
            new, line = state.merge(flow, who, now, await flows.need(given["into"]))
        else:
            raise TicketFlowError(f"unknown step {action!r}")
        steps = [(flow, new, line)]
        if new.step is Step.CLOSED and flow.step is not Step.CLOSED:
            steps += [(merged, *state.closed_with(merged, line))
                      for merged in await flows.merged_into(ticket_id)]
        kept = await flows.step(steps)
        if action == "dispatch":  # what the agent confirmed finds the same matter (并单)
            await flows.refresh_matter(ticket_id, *matter)
        for (_, _, told), after in zip(steps, kept, strict=True):
            self._told(after, told)
        return kept[0]

    async def _dispatch(self, flow: Flow, who: Who, now: float, rules: state.Rules,
                        given: Mapping[str, Any]
                        ) -> tuple[Flow, Transition, tuple[str, str]]:
        """派单 with the ticket's fields as they are now: the agent may have confirmed another
        request type or the urgent flag since the call's ticket entered the loop, and the
        deadlines follow what was confirmed; with the matter's topic and place as confirmed
        (a call's ticket entered the loop as it was answered, before anything was said)."""
        _, tickets = self._open()
        fields = fields_of(await tickets.get(flow.ticket))
        self.config().units.check_dispatch(fields, given["unit"], given["assists"])
        kind = str(fields.get("request_type") or flow.request_type)
        new, line = state.dispatch(flow, who, now, rules, given["unit"], given["assists"],
                                   given.get("note", ""), request_type=kind,
                                   urgent=None if fields.get("urgent") is None
                                   else bool(fields["urgent"]))
        return new, line, matter_of(fields)

    def _told(self, flow: Flow, line: Transition) -> None:
        log.info("ticket.step", ticket=flow.ticket, action=line.action, before=line.before,
                 after=line.after, unit=flow.unit, who=line.who)
        self.publish(TicketStepped(flow.ticket, flow.unit, line.action, flow.step.value,
                                   flow.assists), line.at)

    # -- the engine's scan ------------------------------------------------------------------

    async def scan(self) -> int:
        """催办 and 督办 for the deadlines near or passed; how many tickets it reminded. It reads
        only the tickets whose moment (:func:`state.remind_at`, kept with each step) has come;
        :func:`state.remind` decides, and the step keeps the ticket's next moment."""
        flows, _ = self._open()
        rules, now, done = self.config().rules, self.clock(), 0
        await flows.time_reminders()
        async for page in flows.reminders_due(now):
            steps: list[tuple[Flow, Flow, Transition]] = []
            early: list[Flow] = []  # moments kept under other limits (or just now)
            for flow in page:
                reminded = state.remind(flow, now, rules)
                if reminded is None:
                    early.append(flow)
                else:
                    steps.append((flow, *reminded))
            done += await self._remind(flows, steps)
            await flows.retime(early)
        if rules.calendar.guessed:
            log.warning("ticketflow.calendar_guessed", years=sorted(rules.calendar.guessed))
        return done

    async def _remind(self, flows: FlowStore, steps: list[tuple[Flow, Flow, Transition]]) -> int:
        """A page's reminders in one transaction; one by one when someone acted on one of
        them meanwhile (that one has its new moment: the next scan sees it)."""
        if not steps:
            return 0
        try:
            kept = list(zip(await flows.step(steps), steps, strict=True))
        except TicketFlowConflict:
            kept = []
            for step in steps:
                try:
                    kept += zip(await flows.step([step]), [step], strict=True)
                except TicketFlowConflict:
                    continue
        for flow, (_, _, line) in kept:
            self._told(flow, line)
        return len(kept)

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
