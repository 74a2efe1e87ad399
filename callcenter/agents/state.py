"""Agent states from typed AMI events. Pure and synchronous (time is passed in).

An agent's state is derived from a few facts, so no event order can leave it inconsistent:
on a call → ``on_call``; else paused → ``paused``; else in wrap-up → ``wrapup``; else being
rung → ``ringing``; else logged in to at least one queue → ``available``; else
``logged_out``. :meth:`AgentBoard.apply` returns the state changes (for ``agent.state`` log
lines) and the actions the rules ask for (pause an agent after unanswered rings).

Beside the state, whether the agent's phone is registered (``phone``: online / offline),
from the device states Asterisk reports (DeviceStateChange, a queue member's status): for a
logged-in agent the device they logged in with, else either of their two. Asterisk rings no
queue member whose state interface is UNAVAILABLE, so an agent whose phone is offline is
not offered calls — and is not counted as available (:meth:`AgentStatus.takes_calls`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from callcenter.ami import events as ev
from callcenter.config.models import WEB_SUFFIX

RING_NO_ANSWER_REASON = "未接"
UNREACHABLE_REASON = "软电话离线"
UNREACHABLE = frozenset({ev.DeviceState.UNAVAILABLE, ev.DeviceState.INVALID})
# no registered contact (UNKNOWN: Asterisk never heard of the device)
NOT_REGISTERED = UNREACHABLE | {ev.DeviceState.UNKNOWN}
ONLINE, OFFLINE = "online", "offline"
BUSY = frozenset({ev.DeviceState.INUSE, ev.DeviceState.BUSY, ev.DeviceState.ONHOLD,
                  ev.DeviceState.RINGINUSE})
INTERFACE_PREFIX = "PJSIP/agent-"
IN_CALL = "(in call)"  # on_call_with of an agent a resync found on a call


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAPUP = "wrapup"
    PAUSED = "paused"


def agent_of(interface: str) -> str | None:
    """``PJSIP/agent-1001`` (the desk softphone) or ``PJSIP/agent-1001-web`` (the browser's)
    → ``1001``; None for interfaces that are not agents."""
    if not interface.startswith(INTERFACE_PREFIX):
        return None
    return interface[len(INTERFACE_PREFIX):].removesuffix(WEB_SUFFIX)


@dataclass(slots=True)
class AgentStatus:
    agent_id: str
    queues: set[str] = field(default_factory=set)
    interface: str = ""  # the device it is a queue member with (PJSIP/agent-1001[-web])
    paused: bool = False
    pause_reason: str = ""
    ringing_for: str = ""  # uniqueid of the caller being offered
    on_call_with: str = ""  # uniqueid of the caller talked to
    wrapup_until: float = 0.0
    unanswered_in_a_row: int = 0
    calls_taken: int = 0
    unreachable_since: float | None = None  # softphone unregistered while logged in
    logout_asked: bool = False
    devices: dict[str, ev.DeviceState] = field(default_factory=dict)  # interface → state

    @property
    def phone(self) -> str:
        """``online`` when the agent's phone has a registered contact: the device they
        logged in with, or (logged out) either of theirs; else ``offline``."""
        if self.queues and self.interface:
            wanted = [self.devices.get(self.interface, ev.DeviceState.UNKNOWN)]
        else:
            wanted = list(self.devices.values())
        return ONLINE if any(s not in NOT_REGISTERED for s in wanted) else OFFLINE

    def takes_calls(self, now: float) -> bool:
        """Available, and the phone to ring is registered."""
        return self.state(now) is AgentState.AVAILABLE and self.phone == ONLINE

    def state(self, now: float) -> AgentState:
        if not self.queues:
            return AgentState.LOGGED_OUT
        if self.on_call_with:
            return AgentState.ON_CALL
        if self.paused:
            return AgentState.PAUSED
        if self.wrapup_until > now:
            return AgentState.WRAPUP
        if self.ringing_for:
            return AgentState.RINGING
        return AgentState.AVAILABLE


@dataclass(frozen=True, slots=True)
class StateChange:
    agent_id: str
    before: AgentState
    after: AgentState
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PhoneChange:
    """The agent's phone went online or offline (``agent.phone`` lines)."""

    agent_id: str
    phone: str
    device: str  # the interface whose state said so


@dataclass(frozen=True, slots=True)
class PauseAgent:
    """Rule outcome: pause this agent (the engine sends QueuePause)."""

    agent_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class LogoutAgent:
    """Rule outcome: log this agent out (the engine removes it from its queues)."""

    agent_id: str
    reason: str


Outcome = StateChange | PhoneChange | PauseAgent | LogoutAgent


@dataclass(frozen=True, slots=True)
class SupervisorPause:
    """A supervisor paused an agent (``held``: who, and the reason) or ended that pause
    (``held`` None)."""

    agent_id: str
    held: tuple[str, str] | None


class AgentBoard:
    def __init__(self, wrapup_s: dict[str, int], ring_no_answer_limit: int,
                 logout_unreachable_after_s: float = 0) -> None:
        self.agents: dict[str, AgentStatus] = {}
        self._listed: set[tuple[str, str]] | None = None
        self.reconfigure(wrapup_s, ring_no_answer_limit, logout_unreachable_after_s)

    def reconfigure(self, wrapup_s: dict[str, int], ring_no_answer_limit: int,
                    logout_unreachable_after_s: float = 0) -> None:
        """The rules of a (re)loaded configuration; agents' states are kept."""
        self._wrapup_s = wrapup_s  # per queue
        self._rna_limit = ring_no_answer_limit
        self._unreachable_s = logout_unreachable_after_s  # 0: never

    def begin_resync(self) -> None:
        """QueueStatus is about to list every member: collect what it lists."""
        self._listed = set()

    def abort_resync(self) -> None:
        self._listed = None

    def end_resync(self, now: float) -> list[Outcome]:
        """Memberships not listed ended while AMI was away (logged out meanwhile)."""
        listed = self._listed
        self._listed = None
        if listed is None:
            return []
        outcomes: list[Outcome] = []
        for agent in self.agents.values():
            before, phone = agent.state(now), agent.phone
            agent.queues = {q for q in agent.queues if (agent.agent_id, q) in listed}
            if not agent.queues:
                agent.ringing_for = agent.on_call_with = ""
                agent.interface = ""
            if (agent.agent_id, IN_CALL) not in listed:  # no queue says it is on a call
                agent.on_call_with = ""
            after = agent.state(now)
            if after is not before:
                outcomes.append(StateChange(agent.agent_id, before, after, "resync"))
            if agent.phone != phone:
                outcomes.append(PhoneChange(agent.agent_id, agent.phone, "resync"))
        return outcomes

    def status(self, agent_id: str) -> AgentStatus:
        found = self.agents.get(agent_id)
        if found is None:
            found = self.agents[agent_id] = AgentStatus(agent_id)
        return found

    def state(self, agent_id: str, now: float) -> AgentState:
        found = self.agents.get(agent_id)
        return AgentState.LOGGED_OUT if found is None else found.state(now)

    def tick(self, now: float, last: float) -> list[Outcome]:
        """Wrap-up periods that ended between ``last`` and ``now``; agents whose softphone
        has been unreachable too long (logged out, so callers are not queued for nobody)."""
        # the state the agent entered when the wrap-up ended (not at the tick): the same
        # whenever the timer is looked at, live or in a replay
        outcomes: list[Outcome] = [
            StateChange(a.agent_id, AgentState.WRAPUP, a.state(a.wrapup_until),
                        "wrap-up over")
            for a in self.agents.values()
            if last < a.wrapup_until <= now
            and a.state(a.wrapup_until) is not AgentState.WRAPUP]
        if self._unreachable_s > 0:
            for a in self.agents.values():
                if a.queues and a.unreachable_since is not None and not a.logout_asked \
                        and now - a.unreachable_since >= self._unreachable_s:
                    a.logout_asked = True
                    outcomes.append(LogoutAgent(a.agent_id, UNREACHABLE_REASON))
        return outcomes

    def apply(self, event: ev.AmiEvent, now: float) -> list[Outcome]:
        interface = event.device if isinstance(event, ev.DeviceStateChange) \
            else getattr(event, "interface", "")
        agent_id = agent_of(interface) if interface else None
        if agent_id is None:
            return []
        agent = self.status(agent_id)
        before, phone = agent.state(now), agent.phone
        reason = self._update(agent, event, now)
        outcomes: list[Outcome] = []
        after = agent.state(now)
        if after is not before:
            outcomes.append(StateChange(agent_id, before, after, reason))
        if agent.phone != phone:
            outcomes.append(PhoneChange(agent_id, agent.phone, interface))
        if isinstance(event, ev.AgentRingNoAnswer) and not agent.paused \
                and agent.unanswered_in_a_row >= self._rna_limit:
            outcomes.append(PauseAgent(agent_id, RING_NO_ANSWER_REASON))
        return outcomes

    def _update(self, agent: AgentStatus, event: ev.AmiEvent, now: float) -> str:
        if isinstance(event, ev.DeviceStateChange):
            agent.devices[event.device] = event.state
            return ""
        if isinstance(event, ev.QueueMemberEvent):  # its state interface's state
            agent.devices[event.state_interface or event.interface] = event.status
        if isinstance(event, ev.QueueMemberRemoved):
            agent.queues.discard(event.queue)
            reason = UNREACHABLE_REASON if agent.logout_asked else "logout"
            if not agent.queues:
                agent.unreachable_since, agent.logout_asked = None, False
                agent.interface = ""
            return reason
        if isinstance(event, ev.QueueMemberEvent):  # Added, Pause, Status, Listed
            agent.queues.add(event.queue)
            agent.interface = event.interface
            if event.status in UNREACHABLE:
                if agent.unreachable_since is None:
                    agent.unreachable_since = now
            else:
                agent.unreachable_since, agent.logout_asked = None, False
            if self._listed is not None and isinstance(event, ev.QueueMemberListed):
                self._listed.add((agent.agent_id, event.queue))
                if event.in_call:  # on a call from this queue (which call: not listed)
                    self._listed.add((agent.agent_id, IN_CALL))
                if event.in_call or event.status in BUSY:  # kept only if a queue says so
                    agent.on_call_with = agent.on_call_with or IN_CALL
            agent.paused, agent.pause_reason = event.paused, event.paused_reason
            return event.paused_reason if event.paused else (
                "login" if isinstance(event, ev.QueueMemberAdded) else "")
        if isinstance(event, ev.AgentCalled):
            agent.ringing_for = event.uniqueid
            return f"offered {event.queue}"
        if isinstance(event, ev.AgentRingNoAnswer):
            agent.ringing_for = ""
            agent.unanswered_in_a_row += 1
            return "ring no answer"
        if isinstance(event, ev.AgentConnect):
            agent.ringing_for = ""
            agent.on_call_with = event.uniqueid
            agent.unanswered_in_a_row = 0
            return f"answered {event.queue}"
        if isinstance(event, ev.AgentComplete):
            agent.on_call_with = ""
            agent.calls_taken += 1
            agent.wrapup_until = now + self._wrapup_s.get(event.queue, 0)
            return f"call ended ({event.reason})"
        return ""
