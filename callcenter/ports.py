"""What capabilities offer one another, and what they tell one another.

A capability never imports another's parts: it provides a part under one of these ports
(``context.parts.provide(desk, TICKETS)``) and looks up the others' when it needs them
(``context.parts.find(TRANSFER_LEGS)``). What one capability tells the others goes on the hub as
one of the events below (``context.publish(event, ts)``); whoever cares subscribes by type."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from callcenter.asr.segmenter import AsrResult
    from callcenter.tickets.store import Tickets

# -- parts --------------------------------------------------------------------------------

T_contra = TypeVar("T_contra", contravariant=True)


class Port(Generic[T_contra]):
    """The key a part is provided under: a part of class C may be provided under a Port[I]
    when C serves protocol I."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name



class TicketLookup(Protocol):
    """The tickets of live calls (the tickets capability)."""

    @property
    def tickets(self) -> Tickets | None: ...  # the store's tickets, once open

    # waits for one being opened; once open, the call's record has it (LiveCall.ticket_id)
    async def ticket_id(self, call_id: str) -> int | None: ...

    def publish_ticket(self, ticket_id: int, event: dict[str, Any]) -> None: ...


class TransferLegs(Protocol):
    """Which calls are legs a transfer placed (the transfers capability)."""

    def is_transfer_leg(self, linkedid: str) -> bool: ...


class Transcription(Protocol):
    """Live speech recognition of a call's speakers (the speech capability): what is heard
    comes on the hub as :class:`Heard`."""

    def start_call(self, call_id: str, channels: dict[str, str]) -> None: ...


class AgentNotices(Protocol):
    """A message to one agent's desktop (the desktop capability)."""

    def publish(self, agent: str, event: dict[str, Any]) -> None: ...


class MonitoringSessions(Protocol):
    """The supervisors' listen/whisper/barge sessions of late (the supervision capability)."""

    def recent(self) -> Sequence[Mapping[str, Any]]: ...


class UnitDirectory(Protocol):
    """The units (承办单位) that handle tickets (the ticket loop): a unit user's unit is one."""

    def unit_ids(self) -> Collection[str]: ...


TICKETS: Port[TicketLookup] = Port("the tickets of live calls")
TRANSCRIPTION: Port[Transcription] = Port("live speech recognition")
TRANSFER_LEGS: Port[TransferLegs] = Port("the transfers' legs")
AGENT_NOTICES: Port[AgentNotices] = Port("the agents' desktops")
MONITORING: Port[MonitoringSessions] = Port("the monitoring sessions")
UNITS: Port[UnitDirectory] = Port("the units that handle tickets")

# -- events -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketOpened:
    """A ticket was opened for the call an agent answered."""

    agent: str
    call_id: str
    ticket_id: int


@dataclass(frozen=True, slots=True)
class Heard:
    """A speaker of a transcribed call said something (partial or final)."""

    call_id: str
    speaker: str
    result: AsrResult


@dataclass(frozen=True, slots=True)
class MonitoringChanged:
    """A supervisor's session began, changed mode or ended."""

    session: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CallbacksChanged:
    """A callback request was stored (``queue``: its queue) or worked (``queue`` empty)."""

    queue: str = ""
