"""A transfer's phases and transitions. Pure and synchronous: no AMI, no store, no event
loop; time is passed in.

Each phase is a class whose methods are the events (as wazo-calld's transfer states): a
transition updates the :class:`Transfer` and returns what is to be done
(:mod:`callcenter.transfers.outcomes`), in order; an event a phase does not expect changes
nothing. ::

    ringing ─ answered ─▶ answered ─ completed_by_agent, agent_hung_up ─▶ completed
      │  (blind: completed at once)  │                                             │
      │                              └ caller_hung_up, cancelled_by_agent,        caller or
      │                                destination_hung_up ─▶ ended (cancelled)   destination
      ├ caller_hung_up, cancelled_by_agent ─▶ ended (cancelled)                   hung up
      └ dial_failed, originate_failed, redirect_failed, watchdog_expired,          │
        destination_hung_up ─▶ ended (failed)                                     ended

An ended transfer is closed (``ended_at``, no longer live) once none of its legs is up.

Failure never drops the caller: a failed or cancelled joined transfer ends in a
:class:`Rejoin` (caller and agent together again, or the caller back in the queue); the
destination hanging up after the hand-over ends the caller's call (never alone in a room).
"""

from __future__ import annotations

from typing import ClassVar

from callcenter.transfers.model import (
    OTHER_REASONS,
    Outcome,
    Phase,
    Transfer,
    TransferMode,
    dial_reason,
)
from callcenter.transfers.outcomes import (
    AwaitDialReason,
    Closed,
    Effect,
    HandOver,
    HangUp,
    LeaveRoom,
    MoveToRoom,
    PhaseChanged,
    RecordHandoff,
    Rejoin,
    Watch,
)

GRACE_S = 8.0  # beyond the destination's answer time before the engine gives up itself
REASON_WAIT_S = 1.0  # after a failed Originate, how long the dialplan's reason may take
BACK_IN_QUEUE = "，来电已转回队列"  # blind: the dialplan put the caller back in the queue


class TransferState:
    """A phase. Every transition is here; a phase overrides those it reacts to."""

    phase: ClassVar[Phase]

    def answered(self, t: Transfer, ts: float, channel: str) -> list[Effect]:
        """The destination answered on ``channel``."""
        return []

    def dial_failed(self, t: Transfer, status: str, ts: float) -> list[Effect]:
        """The dialplan reports why the destination was not reached (``DIALSTATUS`` or
        ``QUEUESTATUS``)."""
        return []

    def originate_rejected(self, t: Transfer, reason: int) -> list[Effect]:
        """Asterisk reports that the Originate of the destination leg failed."""
        return []

    def originate_failed(self, t: Transfer, ts: float, detail: str) -> list[Effect]:
        """The destination leg could not be created (``detail`` follows the reason text)."""
        return []

    def originate_unanswered(self, t: Transfer, ts: float, detail: str) -> list[Effect]:
        """The destination leg's Originate got no answer: the leg may exist, or not."""
        return []

    def redirect_failed(self, t: Transfer, ts: float, error: str) -> list[Effect]:
        """The parties could not be moved at the start."""
        return []

    def moves_unknown(self, t: Transfer, ts: float, error: str) -> list[Effect]:
        """The start's Redirect got no answer: the parties may have been moved, or not."""
        return []

    def dialing(self, t: Transfer) -> list[Effect]:
        """The start is done: the destination is being called."""
        return []

    def watchdog_expired(self, t: Transfer, ts: float) -> list[Effect]:
        return []

    def completed_by_agent(self, t: Transfer, ts: float, by: str = "agent") -> list[Effect]:
        """The agent left caller and destination together (``by``: asked, or hung up)."""
        return []

    def cancelled_by_agent(self, t: Transfer, ts: float) -> list[Effect]:
        return []

    def caller_hung_up(self, t: Transfer, ts: float) -> list[Effect]:
        return closed(t, ts)

    def destination_hung_up(self, t: Transfer, ts: float) -> list[Effect]:
        return closed(t, ts)

    def agent_hung_up(self, t: Transfer, ts: float) -> list[Effect]:
        t.agent_gone = True
        return []


class _InProgress(TransferState):
    def cancelled_by_agent(self, t: Transfer, ts: float) -> list[Effect]:
        return given_up(t, Outcome.CANCELLED, "agent_cancelled", ts)

    def caller_hung_up(self, t: Transfer, ts: float) -> list[Effect]:
        return finish(t, Outcome.CANCELLED, "caller_hung_up", ts) + closed(t, ts)


class Ringing(_InProgress):
    phase = Phase.RINGING

    def answered(self, t: Transfer, ts: float, channel: str) -> list[Effect]:
        t.dest_channel, t.phase, t.answered_at = channel, Phase.ANSWERED, ts
        effects: list[Effect] = [PhaseChanged(t, Phase.ANSWERED, ts, t.describe()),
                                 RecordHandoff(t, ts)]
        if t.mode is TransferMode.BLIND:
            return effects + complete(t, ts, "agent")
        if t.agent_gone:  # hung up while it rang: the answer hands the caller over
            effects.append(hand_over(t, ts))
        return effects

    def dial_failed(self, t: Transfer, status: str, ts: float) -> list[Effect]:
        code, text = dial_reason(status)
        if t.mode is TransferMode.BLIND:
            text += BACK_IN_QUEUE
        return finish(t, Outcome.FAILED, code, ts, text) + rejoin(t)

    def originate_rejected(self, t: Transfer, reason: int) -> list[Effect]:
        # the dialplan's CcTransferDial (the real reason) may arrive just after this
        return [AwaitDialReason(t, REASON_WAIT_S, f" (reason {reason})")]

    def originate_failed(self, t: Transfer, ts: float, detail: str) -> list[Effect]:
        text = OTHER_REASONS["originate_failed"] + detail
        return finish(t, Outcome.FAILED, "originate_failed", ts, text) + rejoin(t)

    def originate_unanswered(self, t: Transfer, ts: float, detail: str) -> list[Effect]:
        # a leg Asterisk did make would ring, and join the room, after the failure: ended
        # by its ChannelId (Hangup finds a channel by its uniqueid too)
        return [*self.originate_failed(t, ts, detail), HangUp(t.dest_uid)]

    def redirect_failed(self, t: Transfer, ts: float, error: str) -> list[Effect]:
        # Asterisk refused to move them: nobody was moved, nothing to bring back
        text = f"{OTHER_REASONS['redirect_failed']}: {error}"
        return finish(t, Outcome.FAILED, "redirect_failed", ts, text)

    def moves_unknown(self, t: Transfer, ts: float, error: str) -> list[Effect]:
        # the caller may be alone in a room: caller and agent into the call's room together
        text = f"{OTHER_REASONS['redirect_failed']}: {error}"
        return (finish(t, Outcome.FAILED, "redirect_failed", ts, text)
                + ([] if t.mode is TransferMode.BLIND else [Rejoin(t, regroup=True)]))

    def dialing(self, t: Transfer) -> list[Effect]:
        return [Watch(t, t.destination.answer_timeout_s + GRACE_S)]

    def watchdog_expired(self, t: Transfer, ts: float) -> list[Effect]:
        return given_up(t, Outcome.FAILED, "timeout", ts)

    def destination_hung_up(self, t: Transfer, ts: float) -> list[Effect]:
        return (finish(t, Outcome.FAILED, "destination_hung_up", ts) + rejoin(t)
                + closed(t, ts))


class Answered(_InProgress):
    """conference: three parties; attended: the agent consults, the caller on hold."""

    phase = Phase.ANSWERED

    def completed_by_agent(self, t: Transfer, ts: float, by: str = "agent") -> list[Effect]:
        return complete(t, ts, by)

    def agent_hung_up(self, t: Transfer, ts: float) -> list[Effect]:
        if t.agent_gone:
            return []
        t.agent_gone = True
        if t.completing:  # the agent left because it asked to complete: that completes it
            return []
        return [hand_over(t, ts)]  # hanging up hands the caller over (as on a phone)

    def destination_hung_up(self, t: Transfer, ts: float) -> list[Effect]:
        return (finish(t, Outcome.CANCELLED, "destination_hung_up", ts) + rejoin(t)
                + closed(t, ts))


class Completed(TransferState):
    """The caller is with the destination, the agent is free."""

    phase = Phase.COMPLETED

    def destination_hung_up(self, t: Transfer, ts: float) -> list[Effect]:
        if t.mode is TransferMode.BLIND:
            return closed(t, ts)
        # the destination ended the call: the caller must not stay alone in the room
        return [HangUp(t.caller_channel), *closed(t, ts)]


class Ended(TransferState):
    """Over (its outcome is known); kept until its legs are gone."""

    phase = Phase.ENDED


STATES: dict[Phase, TransferState] = {s.phase: s for s in (Ringing(), Answered(), Completed(),
                                                           Ended())}


def state_of(t: Transfer) -> TransferState:
    return STATES[t.phase]


def handover(t: Transfer) -> list[Effect]:
    """What the agent's "complete" asks of Asterisk before the transfer is completed:
    attended — the destination joins the caller's room (a refusal aborts the completion),
    the agent leaves the consult room; conference — the agent leaves the room."""
    if t.mode is TransferMode.ATTENDED:
        return [MoveToRoom(t.dest_channel, t.room, required=True),
                LeaveRoom(t.consult_room, t.agent_channel)]
    return [LeaveRoom(t.room, t.agent_channel)]


def hand_over(t: Transfer, ts: float) -> HandOver:
    """The agent has gone after the answer: attended — the destination joins the caller."""
    moves = (MoveToRoom(t.dest_channel, t.room),) if t.mode is TransferMode.ATTENDED else ()
    return HandOver(t, ts, "agent_hung_up", moves)


def complete(t: Transfer, ts: float, by: str) -> list[Effect]:
    t.phase, t.completed_at, t.outcome = Phase.COMPLETED, ts, Outcome.COMPLETED
    return [PhaseChanged(t, Phase.COMPLETED, ts, t.describe(), Outcome.COMPLETED, by=by)]


def finish(t: Transfer, outcome: Outcome, code: str, ts: float, text: str = "") -> list[Effect]:
    """Ended as failed or cancelled; ``text`` for the agent: the code's standard one unless
    given. Closed at once if no destination leg is up."""
    text = text or OTHER_REASONS[code]
    t.outcome, t.reason, t.reason_text = outcome, code, text
    t.phase, t.completed_at = Phase.ENDED, ts
    effects: list[Effect] = [PhaseChanged(t, Phase.ENDED, ts, t.describe(), outcome, code,
                                          text)]
    if t.ended_at is None and not t.dest_channel:
        effects += closed(t, ts)
    return effects


def closed(t: Transfer, ts: float) -> list[Effect]:
    """A leg hung up: a completed transfer is over (``ended``); ``ended_at`` once."""
    effects: list[Effect] = []
    if t.ended_at is None:
        t.ended_at = ts
        effects.append(Closed(t, ts))
    if t.phase is Phase.COMPLETED:
        t.phase = Phase.ENDED
    return effects


def is_over(t: Transfer) -> bool:
    """Ended and closed: no longer a live transfer."""
    return t.phase is Phase.ENDED and t.ended_at is not None


def given_up(t: Transfer, outcome: Outcome, code: str, ts: float) -> list[Effect]:
    """The engine or the agent ends a transfer still going on: its destination leg (if any)
    is hung up, caller and agent are brought back together."""
    effects = finish(t, outcome, code, ts)
    if t.dest_channel:
        effects.append(HangUp(t.dest_channel))
    return effects + rejoin(t)


def rejoin(t: Transfer) -> list[Effect]:
    """After a failed or cancelled joined transfer (blind: the dialplan puts the caller back
    in the queue itself)."""
    return [] if t.mode is TransferMode.BLIND else [Rejoin(t)]
