"""Live call state, rebuilt from typed AMI events. Pure and synchronous.

A *call* is everything sharing one Asterisk ``linkedid``: the caller's inbound channel and
every channel it causes (queue legs to agents, transfers). :meth:`CallTracker.apply` returns
the notices the engine logs (call started, ended, recovered after a resync).

Resync: after every (re)connect the engine calls :meth:`begin_resync`, replays the
``CoreShowChannels`` list through :meth:`apply`, and calls :meth:`end_resync`. Channels we
knew that were not listed (and not touched by a live event meanwhile) hung up while AMI was
away; calls listed that we did not know are adopted as *recovered*.

The call's record (:class:`LiveCall`) is the one place every capability reads about a live
call: its route (one decided before AMI told of the call is kept until it does), queue and
agent, its ticket once known, the transfer and the monitoring session going on. A
capability's own working data about the call hangs off the record under an
:class:`Attachment` key the capability owns, and goes away with the record when the call ends.

The engine's own speech forks (``AudioSocket/…`` channels originated to run ChanSpy) and the
supervisors' monitoring legs (``PJSIP/supervisor-…``, ChanSpy too) are not calls: their
events are ignored, so they are never started, ended or listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from callcenter.agents.state import agent_of
from callcenter.ami import events as ev
from callcenter.routing.decide import Route

T = TypeVar("T")


class Attachment(Generic[T]):
    """The key under which a capability hangs its working data of type ``T`` about a call on
    the call's record (:meth:`LiveCall.attach`); the capability owns the key, so nobody else
    reads or replaces its data."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


@dataclass(slots=True)
class ChannelInfo:
    name: str
    uniqueid: str
    state: ev.ChannelState
    bridge_id: str = ""


@dataclass(slots=True)
class LiveCall:
    call_id: str
    started_at: float
    dialed: str = ""
    caller_num: str = ""
    inbound_channel: str = ""
    context: str = ""
    answered_at: float | None = None
    recovered: bool = False
    queue: str = ""
    agent: str = ""
    agent_channel: str = ""  # the answering agent's channel (AgentConnect)
    route: Route | None = None  # how it was routed (decided once, by the routing scripts)
    ticket_id: int | None = None  # its ticket, once opened (or found after a restart)
    transfer: str = ""  # the transfer going on (its id), until it is over
    monitoring: str = ""  # a supervisor's monitoring session on the call (its id), while on
    channels: dict[str, ChannelInfo] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    attachments: dict[Attachment[Any], Any] = field(default_factory=dict)

    def attach(self, key: Attachment[T], data: T) -> T:
        """A capability's working data about the call, kept on the record until it ends."""
        self.attachments[key] = data
        return data

    def attached(self, key: Attachment[T]) -> T | None:
        return cast("T | None", self.attachments.get(key))

    def detach(self, key: Attachment[T]) -> T | None:
        return cast("T | None", self.attachments.pop(key, None))

    @property
    def state(self) -> ev.ChannelState:
        for info in self.channels.values():
            if info.name == self.inbound_channel:
                return info.state
        return ev.ChannelState.UNKNOWN


@dataclass(frozen=True, slots=True)
class CallStarted:
    call: LiveCall
    ts: float


@dataclass(frozen=True, slots=True)
class CallRecovered:
    call: LiveCall
    ts: float


@dataclass(frozen=True, slots=True)
class CallAnswered:
    call: LiveCall
    ts: float


@dataclass(frozen=True, slots=True)
class AgentAnswered:
    """An agent answered a caller waiting in a queue: AgentConnect, read once for every
    capability (the ticket desk opens the call's ticket, the agent's desktop shows it)."""

    call_id: str  # the call's linkedid
    call: LiveCall | None  # None: a call this engine has no record of
    agent_id: str | None  # None: the member is not one of our agents' phones
    member: str  # the queue member's name (or its interface)
    queue: str
    caller_channel: str
    agent_channel: str
    ts: float


@dataclass(frozen=True, slots=True)
class CallEnded:
    call: LiveCall
    ts: float
    cause: int
    cause_text: str
    reason: str  # "hangup" or "gone during AMI outage"


Notice = CallStarted | CallRecovered | CallAnswered | AgentAnswered | CallEnded

DIALED_VARIABLE = "CC_DIALED"
EARLY_ROUTES_KEPT = 1000  # routes of calls AMI has not told of yet
# channel name prefixes of the engine's own helper channels: speech forks, monitoring legs
NOT_CALLS = ("AudioSocket/", "PJSIP/supervisor-")


def is_call_channel(name: str) -> bool:
    """Whether a channel can be (part of) a call: not one of the engine's speech forks."""
    return not name.startswith(NOT_CALLS)


class CallTracker:
    def __init__(self) -> None:
        self.calls: dict[str, LiveCall] = {}
        self._by_uniqueid: dict[str, LiveCall] = {}
        self._resync_seen: set[str] | None = None
        # routes decided before AMI told us of the call: its record takes one when it starts
        self._early_routes: dict[str, Route] = {}
        self._handlers: dict[type[ev.AmiEvent], Callable[[ev.AmiEvent, float], list[Notice]]] = {
            ev.Newchannel: self._newchannel,  # type: ignore[dict-item]
            ev.Newstate: self._newstate,  # type: ignore[dict-item]
            ev.Hangup: self._hangup,  # type: ignore[dict-item]
            ev.BridgeEnter: self._bridge_enter,  # type: ignore[dict-item]
            ev.BridgeLeave: self._bridge_leave,  # type: ignore[dict-item]
            ev.VarSet: self._var_set,  # type: ignore[dict-item]
            ev.CoreShowChannel: self._listed,  # type: ignore[dict-item]
            ev.AgentConnect: self._agent_connect,  # type: ignore[dict-item]
            ev.QueueCallerJoin: self._queue_join,  # type: ignore[dict-item]
        }

    # -- queries ------------------------------------------------------------------------

    def call_of(self, uniqueid: str) -> LiveCall | None:
        return self._by_uniqueid.get(uniqueid)

    # -- what the engine decided -----------------------------------------------------------

    def route_decided(self, call_id: str, route: Route) -> None:
        """The route a call was given: on its record — kept until the call starts if the
        routing scripts ran before AMI told us of the channel."""
        call = self.calls.get(call_id)
        if call is not None:
            call.route = route
            return
        self._early_routes[call_id] = route
        while len(self._early_routes) > EARLY_ROUTES_KEPT:
            del self._early_routes[next(iter(self._early_routes))]

    # -- events -------------------------------------------------------------------------

    def apply(self, event: ev.AmiEvent, ts: float) -> list[Notice]:
        if isinstance(event, ev.ChannelEvent):
            if not is_call_channel(event.channel):
                return []
            seen = self._resync_seen
            if seen is not None:
                seen.add(event.uniqueid)
        handler = self._handlers.get(type(event))
        if handler is None:
            return []
        return handler(event, ts)

    def begin_resync(self) -> None:
        self._resync_seen = set()

    def abort_resync(self) -> None:
        """The resync did not finish (connection lost again): forget it, drop nothing."""
        self._resync_seen = None

    def end_resync(self, ts: float) -> list[Notice]:
        seen = self._resync_seen
        if seen is None:
            return []
        self._resync_seen = None
        notices: list[Notice] = []
        for uniqueid in [u for u in self._by_uniqueid if u not in seen]:
            notices += self._drop_channel(uniqueid, ts, 0, "", "gone during AMI outage")
        return notices

    # -- handlers -----------------------------------------------------------------------

    def _adopt(self, e: ev.ChannelEvent, ts: float, state: ev.ChannelState, caller: str,
               exten: str, context: str, recovered: bool,
               started_at: float | None = None) -> list[Notice]:
        """``ts``: when we learn of the channel (the notice's time, as the log writes it);
        ``started_at``: when the call began, if earlier (a call found by a resync)."""
        notices: list[Notice] = []
        call = self.calls.get(e.linkedid)
        if call is None:
            call = LiveCall(call_id=e.linkedid, recovered=recovered,
                            started_at=ts if started_at is None else started_at)
            self.calls[e.linkedid] = call
            if not recovered:
                call.route = self._early_routes.pop(e.linkedid, None)
            if e.uniqueid == e.linkedid or not recovered:
                call.inbound_channel = e.channel
                call.caller_num = caller
                call.dialed = exten
                call.context = context
            notices.append(CallRecovered(call, ts) if recovered else CallStarted(call, ts))
        elif e.uniqueid == e.linkedid and not call.inbound_channel:
            call.inbound_channel, call.caller_num = e.channel, caller
            call.dialed, call.context = exten, context
        info = call.channels.get(e.uniqueid)
        if info is None:
            call.channels[e.uniqueid] = ChannelInfo(e.channel, e.uniqueid, state)
            self._by_uniqueid[e.uniqueid] = call
        else:
            info.state = state
        return notices

    def _newchannel(self, e: ev.Newchannel, ts: float) -> list[Notice]:
        return self._adopt(e, ts, e.state, e.caller_num, e.exten, e.context, recovered=False)

    def _listed(self, e: ev.CoreShowChannel, ts: float) -> list[Notice]:
        if e.uniqueid in self._by_uniqueid:
            info = self._by_uniqueid[e.uniqueid].channels[e.uniqueid]
            info.state, info.bridge_id = e.state, e.bridge_id
            return []
        notices = self._adopt(e, ts, e.state, e.caller_num, e.exten, e.context,
                              recovered=True, started_at=ts - e.duration_s)
        self._by_uniqueid[e.uniqueid].channels[e.uniqueid].bridge_id = e.bridge_id
        return notices

    def _newstate(self, e: ev.Newstate, ts: float) -> list[Notice]:
        call = self._by_uniqueid.get(e.uniqueid)
        if call is None:
            return []
        call.channels[e.uniqueid].state = e.state
        if (e.state is ev.ChannelState.UP and call.answered_at is None
                and e.channel == call.inbound_channel):
            call.answered_at = ts
            return [CallAnswered(call, ts)]
        return []

    def _hangup(self, e: ev.Hangup, ts: float) -> list[Notice]:
        return self._drop_channel(e.uniqueid, ts, e.cause, e.cause_text, "hangup")

    def _drop_channel(self, uniqueid: str, ts: float, cause: int, cause_text: str,
                      reason: str) -> list[Notice]:
        call = self._by_uniqueid.pop(uniqueid, None)
        if call is None:
            return []
        call.channels.pop(uniqueid, None)
        if call.channels:
            return []
        self.calls.pop(call.call_id, None)
        return [CallEnded(call, ts, cause, cause_text, reason)]

    def _bridge_enter(self, e: ev.BridgeEnter, ts: float) -> list[Notice]:
        call = self._by_uniqueid.get(e.uniqueid)
        if call is not None:
            call.channels[e.uniqueid].bridge_id = e.bridge_id
        return []

    def _bridge_leave(self, e: ev.BridgeLeave, ts: float) -> list[Notice]:
        call = self._by_uniqueid.get(e.uniqueid)
        if call is not None:
            call.channels[e.uniqueid].bridge_id = ""
        return []

    def _var_set(self, e: ev.VarSet, ts: float) -> list[Notice]:
        call = self._by_uniqueid.get(e.uniqueid) or self.calls.get(e.linkedid)
        if call is None:
            return []
        call.variables[e.variable] = e.value
        if e.variable == DIALED_VARIABLE and e.value:
            call.dialed = e.value
        return []

    def _queue_join(self, e: ev.QueueCallerJoin, ts: float) -> list[Notice]:
        call = self._by_uniqueid.get(e.uniqueid)
        if call is not None:
            call.queue = e.queue
        return []

    def _agent_connect(self, e: ev.AgentConnect, ts: float) -> list[Notice]:
        call = self._by_uniqueid.get(e.uniqueid)
        if call is not None:
            call.agent = e.member_name or e.interface
            call.agent_channel = e.dest_channel
        return [AgentAnswered(e.linkedid, call, agent_of(e.interface),
                              e.member_name or e.interface, e.queue, e.channel, e.dest_channel,
                              ts)]


def channel_uniqueid(call: LiveCall, name: str) -> str | None:
    """The uniqueid of the live channel ``name`` of ``call`` (None: it is gone)."""
    for info in call.channels.values():
        if info.name == name:
            return info.uniqueid
    return None
