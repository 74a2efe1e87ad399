"""A monitoring session's phases and transitions. Pure and synchronous: no AMI, no store, no
event loop; time is passed in.

Each phase is a class whose methods are the events (as the transfers' states): a transition
updates the :class:`~callcenter.supervision.model.Session` and returns what is to be done
(:mod:`callcenter.supervision.outcomes`), in order; an event a phase does not expect
changes nothing. ::

    requested ─▶ ringing ─ supervisor_answered ─▶ active ─ mode_changed ─▶ active
                   │                                 │
                   ├ originate_failed ─▶ ended       ├ spied_gone (the call ended) ─▶ ended
                   ├ supervisor_hung_up ─▶ ended     ├ supervisor_hung_up ─▶ ended
                   ├ spied_gone ─▶ ended (hang up)   └ stop_requested ─▶ ended (hang up)
                   └ stop_requested ─▶ ended (hang up)

The call is never touched: ending a session hangs up the supervisor's leg only.
"""

from __future__ import annotations

from typing import ClassVar

from callcenter.supervision.model import ORIGINATE_REASONS, MonitorMode, Phase, Session
from callcenter.supervision.outcomes import (
    Answered,
    CallSupervisor,
    Effect,
    Ended,
    HangUp,
    ModeChanged,
    SwitchMode,
)


def requested(s: Session) -> list[Effect]:
    """A supervisor asked to monitor: their softphone is called."""
    s.phase = Phase.RINGING
    s.modes = [(s.mode.value, s.requested_at)]
    return [CallSupervisor(s)]


class SessionState:
    """A phase. Every transition is here; a phase overrides those it reacts to."""

    phase: ClassVar[Phase]

    def supervisor_answered(self, s: Session, ts: float) -> list[Effect]:
        return []

    def mode_changed(self, s: Session, mode: MonitorMode, ts: float) -> list[Effect]:
        return []

    def originate_failed(self, s: Session, ts: float, reason: int | None) -> list[Effect]:
        """Asterisk could not reach the supervisor (``reason``: OriginateResponse's; None:
        the Originate itself was refused)."""
        return []

    def spied_gone(self, s: Session, ts: float) -> list[Effect]:
        """The agent's channel hung up: the call is over for the agent."""
        return []

    def supervisor_hung_up(self, s: Session, ts: float) -> list[Effect]:
        return []

    def stop_requested(self, s: Session, ts: float) -> list[Effect]:
        return []

    def keyed(self, s: Session, mode: MonitorMode, ts: float) -> list[Effect]:
        """ChanSpy took a mode digit from the supervisor's leg (their keypad, or the engine's
        own PlayDTMF, which :meth:`mode_changed` already counted)."""
        return []


class Ringing(SessionState):
    phase = Phase.RINGING

    def supervisor_answered(self, s: Session, ts: float) -> list[Effect]:
        s.phase, s.answered_at = Phase.ACTIVE, ts
        return [Answered(s, ts)]

    def originate_failed(self, s: Session, ts: float, reason: int | None) -> list[Effect]:
        why = "originate_failed" if reason is None else ORIGINATE_REASONS.get(reason,
                                                                                "unreachable")
        return ended(s, why, ts)

    def spied_gone(self, s: Session, ts: float) -> list[Effect]:
        return hang_up(s) + ended(s, "call_ended", ts)

    def supervisor_hung_up(self, s: Session, ts: float) -> list[Effect]:
        return ended(s, "unanswered", ts)

    def stop_requested(self, s: Session, ts: float) -> list[Effect]:
        return hang_up(s) + ended(s, "stopped", ts)


class Active(SessionState):
    phase = Phase.ACTIVE

    def mode_changed(self, s: Session, mode: MonitorMode, ts: float) -> list[Effect]:
        if mode is s.mode:
            return []
        s.mode = mode
        s.modes.append((mode.value, ts))
        return [SwitchMode(s, mode), ModeChanged(s, mode, ts)]

    def keyed(self, s: Session, mode: MonitorMode, ts: float) -> list[Effect]:
        if mode is s.mode:
            return []
        s.mode = mode
        s.modes.append((mode.value, ts))
        return [ModeChanged(s, mode, ts)]  # ChanSpy has switched already: no digit to send

    def spied_gone(self, s: Session, ts: float) -> list[Effect]:
        # ChanSpy's E option ends the supervisor's leg itself; hung up anyway, in case
        return hang_up(s) + ended(s, "call_ended", ts)

    def supervisor_hung_up(self, s: Session, ts: float) -> list[Effect]:
        return ended(s, "supervisor_hung_up", ts)

    def stop_requested(self, s: Session, ts: float) -> list[Effect]:
        return hang_up(s) + ended(s, "stopped", ts)


class Over(SessionState):
    phase = Phase.ENDED


STATES: dict[Phase, SessionState] = {state.phase: state for state in (Ringing(), Active(),
                                                                        Over())}


def state_of(s: Session) -> SessionState:
    return STATES[s.phase]


def hang_up(s: Session) -> list[Effect]:
    """The supervisor's leg, if Asterisk has created it (else the board hangs it up when it
    appears)."""
    return [HangUp(s.leg_channel)] if s.leg_channel else []


def ended(s: Session, reason: str, ts: float) -> list[Effect]:
    s.phase, s.ended_at, s.reason = Phase.ENDED, ts, reason
    return [Ended(s, ts)]


def durations(s: Session) -> dict[str, float]:
    """Seconds spent in each mode (from the answer; a session never answered: none)."""
    if s.answered_at is None or s.ended_at is None:
        return {}
    spent: dict[str, float] = {}
    marks = [(mode, max(since, s.answered_at)) for mode, since in s.modes]
    for (mode, since), (_next, until) in zip(marks, [*marks[1:], ("", s.ended_at)],
                                             strict=True):
        spent[mode] = round(spent.get(mode, 0.0) + max(0.0, until - since), 1)
    return spent
