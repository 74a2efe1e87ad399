"""What the engine concludes from what Asterisk reports: call state, agent states, queue
figures, dialplan decisions taken without the engine — and the call-log lines that say so.

One object, used live by the engine (:mod:`callcenter.app`) and offline by the replay
(:mod:`callcenter.replay`), so that a replayed log goes through the very same code. Its only
outputs are log lines (structlog) and the domain's events on the hub (``publish``): the facts
about calls (:mod:`callcenter.calls.facts`, each logged and published by :meth:`decided`),
an agent's answer, a call's end, a callback request. It sends nothing to Asterisk itself (the
agent desk it is given does, live).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Protocol

import structlog

from callcenter.agents.desk import AgentDesk
from callcenter.agents.state import agent_of
from callcenter.ami import events as ev
from callcenter.calls.facts import (
    CallbackRequested,
    CallBegan,
    CallFact,
    CallFinished,
    CallRefused,
    CallRouted,
    SubcenterAnswered,
    log_fact,
)
from callcenter.calls.state import (
    AgentAnswered,
    CallAnswered,
    CallEnded,
    CallRecovered,
    CallStarted,
    CallTracker,
    LiveCall,
    Notice,
)
from callcenter.clock import iso_ts
from callcenter.config.loader import Config
from callcenter.config.models import QueuesConfig
from callcenter.queues.watch import QueueWatch
from callcenter.routing.decide import Route, Router
from callcenter.store.db import CallbackRequest

log = structlog.get_logger("engine")

SUBCENTER_CHANNEL = "PJSIP/subcenter-"  # a sub-center seat's channel: PJSIP/subcenter-12366-…


class Reconfigurable(Protocol):
    """A part that keeps rules from the configuration (see ``Engine.reconfigure``)."""

    def reconfigure(self, config: Config, router: Router) -> None: ...


def local_date(ts: float) -> date:
    """The calendar day of a moment, as the centre counts days (the machine's time zone)."""
    return datetime.fromtimestamp(ts).date()


def call_fields(call: LiveCall) -> dict[str, Any]:
    return {"call_id": call.call_id, "dialed": call.dialed, "caller": call.caller_num,
            "channel": call.inbound_channel}


class CallCenterCore:
    def __init__(self, router: Router, queues: QueuesConfig, agent_desk: AgentDesk) -> None:
        self.router = router
        self.tracker = CallTracker()
        self.agent_desk = agent_desk
        self.queue_watch = QueueWatch(queues)
        # the domain's events for the capabilities (the engine's hub): the facts about calls,
        # an agent's answer, a call ended, a callback requested (store.db.CallbackRequest)
        self.publish: Callable[[object, float], None] = lambda _event, _ts: None

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        self.agent_desk.tick(ts)  # timers due before this event first, whenever ticks run
        notices = self.tracker.apply(event, ts)
        self._log_notices(notices)
        self.agent_desk.on_event(event, ts)
        for fact, at in self.queue_watch.on_event(event, ts):
            self.decided(fact, at)
        if isinstance(event, ev.UserEvent):
            self._on_user_event(event, ts)
        elif isinstance(event, ev.DialEnd) and event.status is ev.DialStatus.ANSWER \
                and event.dest_channel.startswith(SUBCENTER_CHANNEL):
            self._subcenter_answered(event, ts)
        for notice in notices:  # once the agent is on the call (their state changed)
            if isinstance(notice, AgentAnswered):
                self.publish(notice, ts)

    def _subcenter_answered(self, event: ev.DialEnd, ts: float) -> None:
        """A sub-center's seat took the call: routed there (``via: routing``) or handed over
        by a blind transfer of an agent (``via: transfer``)."""
        seat = event.dest_channel[len(SUBCENTER_CHANNEL):].rpartition("-")[0]
        call = self.tracker.calls.get(event.linkedid)
        via = "transfer" if call is not None and call.agent else "routing"
        self.decided(SubcenterAnswered(event.linkedid, seat, via), ts)

    def decided(self, fact: CallFact, ts: float) -> None:
        """A fact about a call: its call-log line, then the hub (today's figures)."""
        log_fact(log, fact, ts)
        self.publish(fact, ts)

    def tick(self, now: float) -> None:
        self.agent_desk.tick(now)

    def reconfigure(self, config: Config, router: Router) -> None:
        """A reloaded configuration reaches every part that decides."""
        self.router = router
        self.agent_desk.reconfigure(config)
        self.queue_watch.reconfigure(config.queues)

    # -- resync after a (re)connect ----------------------------------------------------------

    def begin_resync(self) -> None:
        self.tracker.begin_resync()
        self.agent_desk.begin_resync()
        self.queue_watch.begin_resync()

    def abort_resync(self) -> None:
        self.tracker.abort_resync()
        self.agent_desk.abort_resync()

    def end_resync(self, ts: float) -> None:
        self._log_notices(self.tracker.end_resync(ts))
        for call in self.tracker.calls.values():
            if call.recovered and not call.agent_channel:
                self._find_agent(call, ts)
        self.agent_desk.end_resync(ts)

    @staticmethod
    def _find_agent(call: LiveCall, ts: float) -> None:
        """A call found by the resync: the agent talking to its caller is the agent channel
        in the caller's bridge (what AgentConnect said before the engine lost it)."""
        bridge = next((c.bridge_id for c in call.channels.values()
                       if c.name == call.inbound_channel), "")
        for channel in call.channels.values():
            agent = agent_of(channel.name.rpartition("-")[0])
            if agent and bridge and channel.bridge_id == bridge:
                call.agent, call.agent_channel = agent, channel.name
                with structlog.contextvars.bound_contextvars(call_id=call.call_id):
                    log.info("call.agent_found", ts=ts, call_id=call.call_id, agent=agent)
                return

    # -- lines -------------------------------------------------------------------------------

    def _log_notices(self, notices: list[Notice]) -> None:
        for notice in notices:
            if isinstance(notice, AgentAnswered):  # published once the core is done
                continue
            call = notice.call
            with structlog.contextvars.bound_contextvars(call_id=call.call_id):
                if isinstance(notice, CallStarted):
                    self.decided(CallBegan(call.call_id, call.dialed, call.caller_num,
                                           call.inbound_channel, call.context), notice.ts)
                elif isinstance(notice, CallRecovered):
                    log.info("call.recovered", ts=notice.ts, **call_fields(call))
                elif isinstance(notice, CallAnswered):
                    log.info("call.answered", ts=notice.ts, call_id=call.call_id,
                             wait_s=round(notice.ts - call.started_at, 3))
                elif isinstance(notice, CallEnded):
                    self.publish(notice, notice.ts)
                    self.decided(CallFinished(
                        call.call_id, call.dialed, call.caller_num, call.inbound_channel,
                        round(notice.ts - call.started_at, 3), notice.cause,
                        notice.cause_text, notice.reason), notice.ts)

    def _on_user_event(self, event: ev.UserEvent, ts: float) -> None:
        """Dialplan decisions taken without the engine, reported through UserEvent."""
        fields = dict(event.fields)
        with structlog.contextvars.bound_contextvars(call_id=event.linkedid):
            if event.name == "CcRouted":
                dialed = fields.get("Dialed", "")
                route = self.router.static_route(dialed, local_date(ts))
                if fields.get("Source") == "static-subcenter":
                    route = self.router.subcenter_failed(route, fields.get("Reason", ""))
                else:
                    route = replace(route, reason="engine routing unavailable: static route")
                self.route_decided(event.linkedid, route, ts, source="dialplan")
            elif event.name == "CcCallback":
                self._callback_requested(event, fields, ts)
            elif event.name == "CcRefused":  # not a public call: hung up before routing
                self.decided(CallRefused(event.linkedid, fields.get("Reason", "")), ts)
            elif event.name == "CcFallback":
                log.warning("call.engine_fallback", ts=ts, dialed=fields.get("Dialed", ""),
                            agi_status=fields.get("AgiStatus", ""),
                            cc_status=fields.get("CcStatus", ""))

    def route_decided(self, call_id: str, route: Route, ts: float, source: str = "engine",
                      **extra: object) -> None:
        """The route a call was given (routing scripts, or the dialplan on its own): logged
        and published (``call.routed``), and kept on the call's record, so that its ticket, a
        callback and reports say the same — a menu choice or a sub-center's fallback
        included. ``extra``: what else the line notes."""
        self.decided(CallRouted(call_id, route.dialed, route.hotline, route.number,
                                route.mode.value, route.unit, route.target, source,
                                route.reason, tuple(extra.items())), ts)
        self.tracker.route_decided(call_id, route)

    def route_of(self, call: LiveCall | None, dialed: str, ts: float) -> Route:
        """The route decided for ``call``; for a call the engine did not see routed (found
        by a resync) the route its number would get."""
        if call is not None and call.route is not None:
            return call.route
        return self.router.decide(dialed, local_date(ts))

    def _callback_requested(self, event: ev.UserEvent, fields: dict[str, str],
                            ts: float) -> None:
        call = self.tracker.calls.get(event.linkedid)
        caller = call.caller_num if call is not None else ""
        dialed = fields.get("Dialed", "")
        route = self.route_of(call, dialed, ts)
        request = CallbackRequest(
            call_id=event.linkedid, caller=caller, dialed=dialed, hotline=route.hotline,
            queue=fields.get("Queue", ""), reason=fields.get("QueueStatus", "").lower(),
            requested_at=iso_ts(ts))
        self.decided(CallbackRequested(event.linkedid, caller, dialed, route.hotline,
                                       request.queue, request.reason), ts)
        self.publish(request, ts)
