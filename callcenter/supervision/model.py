"""A supervisor's monitoring session on an agent's live call (班长监听 / 耳语 / 强插), its
modes, phases and why it ended. Pure data.

The supervisor's softphone is called by the engine (AMI Originate) into
``ChanSpy(<the agent's channel>,qESud…)``: ``q`` quiet, ``E`` over when the spied channel
hangs up, ``S`` over when there is nothing to spy on, ``u`` that exact channel, ``d`` the
digits 4 / 5 / 6 switch to listen / whisper / barge (the engine sends them as if the
supervisor's phone had: AMI PlayDTMF with Receive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from callcenter.actors import Actor


class MonitorMode(StrEnum):
    LISTEN = "listen"  # 监听: the supervisor hears both sides, nobody hears the supervisor
    WHISPER = "whisper"  # 耳语: the agent hears the supervisor, the caller does not
    BARGE = "barge"  # 强插: all three talk

    @property
    def option(self) -> str:
        """ChanSpy's option for the mode at the start."""
        return {"listen": "", "whisper": "w", "barge": "B"}[self.value]

    @property
    def digit(self) -> str:
        """The DTMF digit that switches a running ChanSpy (option ``d``) into this mode."""
        return {"listen": "4", "whisper": "5", "barge": "6"}[self.value]

    @property
    def text(self) -> str:
        return {"listen": "监听", "whisper": "耳语", "barge": "强插"}[self.value]


def mode_of(value: str) -> MonitorMode:
    try:
        return MonitorMode(value)
    except ValueError:
        raise ValueError(f"没有这个监听模式：{value[:20]!r}（listen 监听、whisper 耳语、"
                         "barge 强插）") from None


class Phase(StrEnum):
    RINGING = "ringing"  # the supervisor's softphone is being called
    ACTIVE = "active"  # answered: ChanSpy runs on the agent's channel
    ENDED = "ended"


# why a session ended → the text a supervisor is shown
END_REASONS: dict[str, str] = {
    "stopped": "班长结束了监听",
    "supervisor_hung_up": "班长挂机",
    "call_ended": "通话已结束",
    "unanswered": "班长话机未接听",
    "unreachable": "班长话机未注册或不可达",
    "busy": "班长话机忙",
    "originate_failed": "无法呼叫班长话机",
    "engine_stopped": "系统停止，监听已结束",
}
LEG_PREFIX = "mon-"  # the ChannelId of every supervisor's leg begins so
# Asterisk's OriginateResponse reasons (AST_CONTROL_*) → why the supervisor was not reached
ORIGINATE_REASONS = {0: "unreachable", 1: "unanswered", 3: "unanswered", 5: "busy",
                     8: "unreachable"}


@dataclass(eq=False)
class Session:
    id: str
    actor: Actor  # who asked (the audit rows name them)
    supervisor: str  # their user name (their softphones: supervisor-<name>[-web])
    interface: str  # what is called: PJSIP/supervisor-<name>[-web]
    agent: str
    call_id: str
    spied_channel: str  # the agent's channel of the call
    spied_uid: str
    mode: MonitorMode
    requested_at: float
    modes: list[tuple[str, float]] = field(default_factory=list)  # (mode, since)
    phase: Phase = Phase.RINGING
    leg_channel: str = ""  # the supervisor's channel, once Asterisk created it
    answered_at: float | None = None
    ended_at: float | None = None
    reason: str = ""

    @property
    def leg_uid(self) -> str:
        """The ChannelId the supervisor's leg is originated with."""
        return f"{LEG_PREFIX}{self.id}"

    def describe(self) -> dict[str, object]:
        return {"session": self.id, "supervisor": self.supervisor, "agent": self.agent,
                "call_id": self.call_id, "mode": self.mode.value, "mode_text": self.mode.text,
                "phase": self.phase.value, "modes": [m for m, _ in self.modes],
                "requested_at": self.requested_at, "answered_at": self.answered_at,
                "ended_at": self.ended_at, "reason": self.reason or None,
                "reason_text": END_REASONS.get(self.reason) if self.reason else None}
