"""What an agent's desktop is told, as it happens (the notifier of the desktop feature):
their state (with the wrap-up's end for a countdown), a call ringing them (the number
dialed, the hotline and its mode, the merged hotline's unit, the queue and the wait), the
call answered and its ticket, the call missed or ended. Published on the :class:`AgentBus`;
the engine feeds it the typed AMI events and the agent desk's state changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callcenter.agents.state import StateChange, agent_of
from callcenter.ami import events as ev
from callcenter.calllog.writer import iso_ts
from callcenter.calls.state import LiveCall
from callcenter.tickets.live import AgentBus

MODE_NAMES = {"main": "12345", "merged": "归并热线", "dual": "双号并行", "subcenter": "分中心",
              "unknown": "未知号码"}


def call_card(call: LiveCall | None, queue: str, now: float) -> dict[str, Any]:
    """The call as a desktop shows it: never the caller's number (the ticket has it, read
    through an audited command)."""
    if call is None:
        return {"queue": queue}
    route = call.route
    card: dict[str, Any] = {"call_id": call.call_id, "dialed": call.dialed, "queue": queue,
                            "waited_s": round(max(0.0, now - call.started_at), 1)}
    if route is not None:
        card.update(hotline=route.hotline, number=route.number, unit=route.unit,
                    mode=str(route.mode), mode_name=MODE_NAMES.get(str(route.mode), ""))
    return card


class DesktopNotifier:
    def __init__(self, bus: AgentBus, call_of: Callable[[str], LiveCall | None],
                 describe: Callable[[str], dict[str, Any]]) -> None:
        self.bus = bus
        self._call_of = call_of
        self._describe = describe

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        if not isinstance(event, ev.AgentCalled | ev.AgentConnect | ev.AgentRingNoAnswer
                          | ev.AgentComplete):
            return
        agent = agent_of(event.interface)
        if agent is None:
            return
        card = call_card(self._call_of(event.uniqueid) or self._call_of(event.linkedid),
                         event.queue, ts)
        kind = {ev.AgentCalled: "offer", ev.AgentConnect: "answered",
                ev.AgentRingNoAnswer: "missed", ev.AgentComplete: "ended"}[type(event)]
        self.bus.publish(agent, {"type": kind, "at": iso_ts(ts), "call": card})

    def on_state(self, change: StateChange, ts: float) -> None:
        self.bus.publish(change.agent_id, {"type": "state", "at": iso_ts(ts),
                                           **self._describe(change.agent_id)})

    def on_ticket(self, agent: str, call_id: str, ticket_id: int) -> None:
        self.bus.publish(agent, {"type": "ticket", "call_id": call_id, "ticket": ticket_id})
