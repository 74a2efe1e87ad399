"""What a monitoring session's transitions ask for (:mod:`callcenter.supervision.state`).
Pure data.

The monitor desk (:mod:`callcenter.supervision.desk`) carries them out in the order given:
the AMI work through :mod:`callcenter.supervision.ami_actions`, the others as log lines, audit
rows and messages to the supervisor's screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.supervision.model import MonitorMode, Session


@dataclass(frozen=True, slots=True)
class CallSupervisor:
    """Originate the supervisor's leg into ChanSpy on the agent's channel."""

    session: Session


@dataclass(frozen=True, slots=True)
class SwitchMode:
    """Switch the running ChanSpy to ``mode`` (a DTMF digit it reads from the leg)."""

    session: Session
    mode: MonitorMode


@dataclass(frozen=True, slots=True)
class HangUp:
    """Hang up the supervisor's leg (the call itself is never touched)."""

    channel: str


@dataclass(frozen=True, slots=True)
class Answered:
    """The supervisor answered: monitoring has begun (log, screen)."""

    session: Session
    ts: float


@dataclass(frozen=True, slots=True)
class ModeChanged:
    session: Session
    mode: MonitorMode
    ts: float


@dataclass(frozen=True, slots=True)
class Ended:
    """The session is over (``session.reason``): log, the audit row of the session, screen."""

    session: Session
    ts: float


AmiWork = CallSupervisor | SwitchMode | HangUp
Effect = AmiWork | Answered | ModeChanged | Ended
