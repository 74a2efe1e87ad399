"""A transfer of a live call to a sub-center or an expert queue, and why one ends as it does.

Reasons have a stable code (logged, stored) and a Chinese text for the agent who asked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum

from callcenter.transfers.destinations import Destination


class TransferMode(StrEnum):
    CONFERENCE = "conference"  # 三方通话: caller, agent and destination together
    ATTENDED = "attended"  # 咨询转接: the caller waits on hold music while the agent consults
    BLIND = "blind"  # 直接转接: the caller goes straight to the destination


class Phase(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"  # conference: three parties; attended: the agent consults
    COMPLETED = "completed"  # the caller is with the destination, the agent is free
    ENDED = "ended"


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# dial / queue results of the destination leg → (code, text for the agent)
DIAL_REASONS: dict[str, tuple[str, str]] = {
    "CHANUNAVAIL": ("unavailable", "对方座席未注册或不可达"),
    "BUSY": ("busy", "对方座席忙"),
    "NOANSWER": ("no_answer", "对方座席无人接听"),
    "CONGESTION": ("congestion", "线路拥塞"),
    "DONTCALL": ("rejected", "对方拒绝接听"),
    "TORTURE": ("rejected", "对方拒绝接听"),
    "INVALIDARGS": ("invalid", "转接号码配置有误"),
    "QUEUE-TIMEOUT": ("no_answer", "专家座席无人接听"),
    "QUEUE-FULL": ("busy", "专家座席队列已满"),
    "QUEUE-JOINEMPTY": ("nobody", "专家座席无人在岗"),
    "QUEUE-LEAVEEMPTY": ("nobody", "专家座席无人在岗"),
    "QUEUE-JOINUNAVAIL": ("nobody", "专家座席无人在岗"),
    "QUEUE-LEAVEUNAVAIL": ("nobody", "专家座席无人在岗"),
}
OTHER_REASONS: dict[str, str] = {
    "timeout": "对方在规定时间内未接听",
    "destination_hung_up": "对方已挂断",
    "caller_hung_up": "来电人已挂机",
    "agent_cancelled": "话务员取消了转接",
    "agent_hung_up": "话务员已挂机",
    "originate_failed": "无法呼叫对方",
    "redirect_failed": "无法移动通话（通话可能已结束）",
    "engine_stopped": "引擎停止",
}


def dial_reason(status: str) -> tuple[str, str]:
    return DIAL_REASONS.get(status, (status.lower() or "failed", f"转接失败（{status}）"))


@dataclass(eq=False)
class Transfer:
    id: str
    call_id: str
    agent: str
    destination: Destination
    mode: TransferMode
    caller_channel: str
    caller_uid: str
    agent_channel: str
    started_at: float
    ticket_id: int | None = None
    phase: Phase = Phase.RINGING
    dest_uid: str = ""  # our ChannelId of the destination leg (conference / attended)
    dest_channel: str = ""
    agent_gone: bool = False
    completing: bool = False  # the agent asked to complete: its room moves are under way
    answered_at: float | None = None
    completed_at: float | None = None
    ended_at: float | None = None
    outcome: Outcome | None = None
    reason: str = ""
    reason_text: str = ""
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # answered or over

    @property
    def room(self) -> str:
        return f"xfer-{self.id}"

    @property
    def consult_room(self) -> str:
        return f"xfer-{self.id}-consult"

    @property
    def dest_room(self) -> str:
        """Where the destination joins when it answers."""
        return self.consult_room if self.mode is TransferMode.ATTENDED else self.room

    def describe(self) -> dict[str, object]:
        return {"transfer": self.id, "call_id": self.call_id, "agent": self.agent,
                "destination": self.destination.number, "name": self.destination.name,
                "mode": self.mode.value, "phase": self.phase.value,
                "outcome": self.outcome.value if self.outcome else None,
                "reason": self.reason or None, "reason_text": self.reason_text or None,
                "ticket": self.ticket_id}
