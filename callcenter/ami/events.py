"""Typed, frozen AMI events: the only form in which AMI reaches domain code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class ChannelState(IntEnum):
    """Asterisk's ``ChannelState`` numbers."""

    DOWN = 0
    RESERVED = 1
    OFFHOOK = 2
    DIALING = 3
    RING = 4
    RINGING = 5
    UP = 6
    BUSY = 7
    DIALING_OFFHOOK = 8
    PRERING = 9
    UNKNOWN = 10


class DeviceState(IntEnum):
    """Queue member ``Status`` numbers (ast_device_state); DeviceStateChange says their
    names (``NOT_INUSE``)."""

    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8


class DialStatus(StrEnum):
    ANSWER = "ANSWER"
    BUSY = "BUSY"
    NOANSWER = "NOANSWER"
    CANCEL = "CANCEL"
    CONGESTION = "CONGESTION"
    CHANUNAVAIL = "CHANUNAVAIL"
    DONTCALL = "DONTCALL"
    TORTURE = "TORTURE"
    INVALIDARGS = "INVALIDARGS"
    PROGRESS = "PROGRESS"
    RINGING = "RINGING"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class AmiEvent:
    """Base of every typed event."""


@dataclass(frozen=True, slots=True)
class ChannelEvent(AmiEvent):
    channel: str
    uniqueid: str
    linkedid: str


@dataclass(frozen=True, slots=True)
class Newchannel(ChannelEvent):
    state: ChannelState
    caller_num: str
    caller_name: str
    exten: str
    context: str


@dataclass(frozen=True, slots=True)
class Newstate(ChannelEvent):
    state: ChannelState


@dataclass(frozen=True, slots=True)
class Hangup(ChannelEvent):
    cause: int
    cause_text: str


@dataclass(frozen=True, slots=True)
class DTMFEnd(ChannelEvent):
    """A DTMF digit ended on a channel. Asterisk sends the engine only those of supervisors'
    legs (manager.conf): a caller's digits never reach it."""

    digit: str
    received: bool  # Direction: Received — from the phone (or AMI PlayDTMF with Receive)


@dataclass(frozen=True, slots=True)
class DialBegin(ChannelEvent):
    """``channel`` is the calling side (may be empty for an originate)."""

    dest_channel: str
    dest_uniqueid: str
    dial_string: str


@dataclass(frozen=True, slots=True)
class DialEnd(ChannelEvent):
    dest_channel: str
    dest_uniqueid: str
    status: DialStatus


@dataclass(frozen=True, slots=True)
class BridgeEnter(ChannelEvent):
    bridge_id: str
    bridge_type: str


@dataclass(frozen=True, slots=True)
class BridgeLeave(ChannelEvent):
    bridge_id: str


@dataclass(frozen=True, slots=True)
class VarSet(ChannelEvent):
    """Only our own variables (prefix ``CC_``) become VarSet events."""

    variable: str
    value: str


@dataclass(frozen=True, slots=True)
class UserEvent(ChannelEvent):
    name: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class QueueCallerJoin(ChannelEvent):
    queue: str
    position: int
    count: int


@dataclass(frozen=True, slots=True)
class QueueCallerLeave(ChannelEvent):
    queue: str
    position: int
    count: int


@dataclass(frozen=True, slots=True)
class QueueCallerAbandon(ChannelEvent):
    queue: str
    position: int
    original_position: int
    hold_time: int


@dataclass(frozen=True, slots=True)
class AgentCalled(ChannelEvent):
    queue: str
    interface: str
    member_name: str
    dest_channel: str


@dataclass(frozen=True, slots=True)
class AgentConnect(ChannelEvent):
    queue: str
    interface: str
    member_name: str
    dest_channel: str
    hold_time: int
    ring_time: int


@dataclass(frozen=True, slots=True)
class AgentComplete(ChannelEvent):
    queue: str
    interface: str
    member_name: str
    hold_time: int
    talk_time: int
    reason: str


@dataclass(frozen=True, slots=True)
class AgentRingNoAnswer(ChannelEvent):
    queue: str
    interface: str
    member_name: str
    ring_time: int


@dataclass(frozen=True, slots=True)
class QueueMemberEvent(AmiEvent):
    """Shared shape of QueueMemberAdded/Removed/Pause/Status and QueueStatus' QueueMember."""

    queue: str
    interface: str
    member_name: str
    state_interface: str
    status: DeviceState
    paused: bool
    paused_reason: str
    penalty: int
    in_call: bool
    calls_taken: int
    dynamic: bool


@dataclass(frozen=True, slots=True)
class QueueMemberAdded(QueueMemberEvent):
    pass


@dataclass(frozen=True, slots=True)
class QueueMemberRemoved(QueueMemberEvent):
    pass


@dataclass(frozen=True, slots=True)
class QueueMemberPause(QueueMemberEvent):
    pass


@dataclass(frozen=True, slots=True)
class QueueMemberStatus(QueueMemberEvent):
    pass


@dataclass(frozen=True, slots=True)
class QueueMemberListed(QueueMemberEvent):
    """A ``QueueMember`` item of a QueueStatus resync."""


@dataclass(frozen=True, slots=True)
class DeviceStateChange(AmiEvent):
    """A device's state (``PJSIP/agent-1001-web``: UNAVAILABLE while no contact of the
    endpoint is registered); also each item of a DeviceStateList resync."""

    device: str
    state: DeviceState


@dataclass(frozen=True, slots=True)
class QueueEntryListed(ChannelEvent):
    """A ``QueueEntry`` item of a QueueStatus resync: a caller waiting."""

    queue: str
    position: int
    wait: int


@dataclass(frozen=True, slots=True)
class QueueParamsListed(AmiEvent):
    queue: str
    calls: int
    completed: int
    abandoned: int
    service_level: int


@dataclass(frozen=True, slots=True)
class CoreShowChannel(ChannelEvent):
    """A channel listed by the CoreShowChannels resync."""

    state: ChannelState
    caller_num: str
    caller_name: str
    exten: str
    context: str
    application: str
    bridge_id: str
    duration_s: int


@dataclass(frozen=True, slots=True)
class ConfbridgeJoin(ChannelEvent):
    conference: str


@dataclass(frozen=True, slots=True)
class ConfbridgeLeave(ChannelEvent):
    conference: str


@dataclass(frozen=True, slots=True)
class OriginateResponse(ChannelEvent):
    """How an asynchronous Originate ended (``uniqueid`` is the ChannelId we gave it)."""

    success: bool
    reason: int


@dataclass(frozen=True, slots=True)
class ListComplete(AmiEvent):
    """End of a resync list (CoreShowChannelsComplete, QueueStatusComplete, …)."""

    name: str
    items: int


@dataclass(frozen=True, slots=True)
class FullyBooted(AmiEvent):
    status: str


@dataclass(frozen=True, slots=True)
class Shutdown(AmiEvent):
    restart: bool


@dataclass(frozen=True, slots=True)
class Reload(AmiEvent):
    module: str
    status: str


@dataclass(frozen=True, slots=True)
class UnknownEvent(AmiEvent):
    """A frame we do not model, or one we could not read (``problem`` says why)."""

    name: str
    headers: tuple[tuple[str, str], ...]
    problem: str = ""
