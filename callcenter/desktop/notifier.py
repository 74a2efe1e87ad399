"""What an agent's desktop is told, as it happens (the notifier of the desktop feature):
their state (with the wrap-up's end for a countdown, and whether their phone is
registered), a call ringing them (the number dialed, the hotline and its mode, the merged
hotline's unit, the queue by its title and the wait), the call answered and its ticket, the
call missed or ended, and the engine signing them out because their phone stayed offline.
Published on the :class:`AgentBus`; the engine feeds it the typed AMI events and the agent
desk's changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callcenter.agents.state import LogoutAgent, PhoneChange, StateChange, agent_of
from callcenter.ami import events as ev
from callcenter.calls.state import AgentAnswered, LiveCall
from callcenter.clock import iso_ts
from callcenter.glossary import word
from callcenter.tickets.live import AgentBus

Titles = Callable[[str], str]  # a queue's title (queues.yaml), its name when it has none


def call_card(call: LiveCall | None, queue: str, now: float,
              title: Titles = lambda q: q) -> dict[str, Any]:
    """The call as a desktop shows it: never the caller's number (the ticket has it, read
    through an audited command)."""
    if call is None:
        return {"queue": queue, "queue_title": title(queue)}
    route = call.route
    card: dict[str, Any] = {"call_id": call.call_id, "dialed": call.dialed, "queue": queue,
                            "queue_title": title(queue),
                            "waited_s": round(max(0.0, now - call.started_at), 1)}
    if route is not None:
        card.update(hotline=route.hotline, number=route.number, unit=route.unit,
                    mode=str(route.mode), mode_name=word("section", str(route.mode)))
    return card


def offline_notice(after_s: float) -> dict[str, Any]:
    return {"type": "notice", "level": "warning",
            "text": f"软电话离线已超过 {round(after_s)} 秒，系统已将您签出（不再分配来电）。"
                    "请检查网络和话机，软电话恢复后重新签入。"}


class DesktopNotifier:
    def __init__(self, bus: AgentBus, call_of: Callable[[str], LiveCall | None],
                 describe: Callable[[str], dict[str, Any]], title: Titles = lambda q: q,
                 offline_after_s: Callable[[], float] = lambda: 0) -> None:
        self.bus = bus
        self._call_of = call_of
        self._describe = describe
        self._title = title
        self._offline_after_s = offline_after_s

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        """A call offered to an agent's phone, missed there, or over (the answer:
        :meth:`on_answered`)."""
        if not isinstance(event, ev.AgentCalled | ev.AgentRingNoAnswer | ev.AgentComplete):
            return
        agent = agent_of(event.interface)
        if agent is None:
            return
        card = call_card(self._call_of(event.uniqueid) or self._call_of(event.linkedid),
                         event.queue, ts, self._title)
        kind = {ev.AgentCalled: "offer", ev.AgentRingNoAnswer: "missed",
                ev.AgentComplete: "ended"}[type(event)]
        self.bus.publish(agent, {"type": kind, "at": iso_ts(ts), "call": card})

    def on_answered(self, event: AgentAnswered, ts: float) -> None:
        if event.agent_id is None:
            return
        card = call_card(event.call or self._call_of(event.call_id), event.queue, ts,
                         self._title)
        self.bus.publish(event.agent_id, {"type": "answered", "at": iso_ts(ts), "call": card})

    def on_state(self, change: StateChange, ts: float) -> None:
        self.bus.publish(change.agent_id, {"type": "state", "at": iso_ts(ts),
                                           **self._describe(change.agent_id)})

    def on_phone(self, change: PhoneChange, ts: float) -> None:
        self.bus.publish(change.agent_id, {"type": "state", "at": iso_ts(ts),
                                           **self._describe(change.agent_id)})

    def on_auto_logout(self, logout: LogoutAgent, _ts: float) -> None:
        self.bus.publish(logout.agent_id, offline_notice(self._offline_after_s()))

    def on_ticket(self, agent: str, call_id: str, ticket_id: int) -> None:
        self.bus.publish(agent, {"type": "ticket", "call_id": call_id, "ticket": ticket_id})
