"""What a transfer's transitions ask for (:mod:`callcenter.transfers.state`). Pure data.

The desk (:mod:`callcenter.transfers.desk`) carries them out in the order given: a phase
change and a closed transfer become log lines, store rows and ticket-bus messages; the others
become AMI actions, or timers that end in another transition.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.transfers.model import Outcome, Phase, Transfer


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    """Log (``transfer.answered`` / ``.completed`` / ``.failed`` / ``.cancelled``), store and
    publish: the transfer entered ``phase``; answered or ended wakes whoever waits on it."""

    transfer: Transfer
    phase: Phase
    ts: float
    view: dict[str, object]  # the transfer as it was then (what the ticket bus is shown)
    outcome: Outcome | None = None
    reason: str = ""
    reason_text: str = ""
    by: str = ""  # completed: "agent" (asked to) or "agent_hung_up"


@dataclass(frozen=True, slots=True)
class Closed:
    """Store ``ended_at``: the transfer is over and none of its legs is up any more."""

    transfer: Transfer
    ts: float


@dataclass(frozen=True, slots=True)
class RecordHandoff:
    """Store the hand-off (工单流转) the destination receives with the call."""

    transfer: Transfer
    ts: float


@dataclass(frozen=True, slots=True)
class Rejoin:
    """Caller and agent back together (or the caller back in the queue): which of them is
    still there is looked at when this is done (:meth:`TransferBoard.rejoin`). ``regroup``:
    where they are is not known (the start's Redirect got no answer): both are moved into
    the call's room again."""

    transfer: Transfer
    regroup: bool = False


@dataclass(frozen=True, slots=True)
class Regroup:
    """Caller and agent into the call's room together, wherever they are now."""

    transfer: Transfer


@dataclass(frozen=True, slots=True)
class CallerToQueue:
    """Hand the caller to the head of the queue (``cc-xfer-back``)."""

    channel: str


@dataclass(frozen=True, slots=True)
class HangUp:
    """Hang up a channel: the destination leg, or the caller left alone in a room."""

    channel: str


@dataclass(frozen=True, slots=True)
class MoveToRoom:
    """Move a party (agent or destination) into a ConfBridge room; ``required``: a refusal
    aborts what asked for it."""

    channel: str
    room: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class LeaveRoom:
    """The agent leaves a room (ConfbridgeKick ends the agent's call)."""

    room: str
    channel: str


@dataclass(frozen=True, slots=True)
class HandOver:
    """The agent hung up after the destination answered: do ``moves``, then the transfer is
    completed (``completed_by_agent`` with ``ts`` and ``by``)."""

    transfer: Transfer
    ts: float
    by: str
    moves: tuple[MoveToRoom, ...] = ()


@dataclass(frozen=True, slots=True)
class Watch:
    """Start the watchdog: ``watchdog_expired`` after ``after_s``."""

    transfer: Transfer
    after_s: float


@dataclass(frozen=True, slots=True)
class AwaitDialReason:
    """The Originate failed; the dialplan's reason (``CcTransferDial``) may still come: wait
    ``after_s``, then ``originate_failed`` with ``detail``."""

    transfer: Transfer
    after_s: float
    detail: str


@dataclass(frozen=True, slots=True)
class CallerReleased:
    """Log ``transfer.caller_released``: the agent hung up on a caller left in a room."""

    call_id: str
    ts: float


AmiWork = Rejoin | Regroup | CallerToQueue | HangUp | MoveToRoom | LeaveRoom
Effect = (PhaseChanged | Closed | RecordHandoff | HandOver | Watch | AwaitDialReason
          | CallerReleased | AmiWork)
