"""Time limits of the ticket loop (``config/limits.yaml``, admins edit it): signing, returning
and handling in working days by request type, hours for an urgent ticket, extensions, and
when a limit's light turns yellow (near) or red (passed)."""

from __future__ import annotations

from pydantic import Field, field_validator

from callcenter.config.models import Strict
from callcenter.config.prefill.rules import RequestType

GREEN, YELLOW, RED = "green", "yellow", "red"


class Urgent(Strict):
    sign_hours: float = Field(default=2, gt=0, le=72)
    handle_hours: float = Field(default=24, gt=0, le=720)


class Extension(Strict):
    times: int = Field(default=2, ge=0, le=10)  # at most this many extensions
    days: int = Field(default=10, ge=1, le=60)  # each at most this many working days


class Limits(Strict):
    sign_days: int = Field(default=1, ge=1, le=30)
    return_days: int = Field(default=1, ge=1, le=30)  # 退单 within this after dispatch
    handle_days: dict[RequestType, int] = Field(default_factory=lambda: {
        RequestType.CONSULT: 2, RequestType.HELP: 5, RequestType.SUGGESTION: 10,
        RequestType.COMPLAINT: 15, RequestType.REPORT: 15})
    urgent: Urgent = Urgent()
    extension: Extension = Extension()
    yellow_share: float = Field(default=0.25, gt=0, lt=1)  # yellow: less than this share left
    merge_days: int = Field(default=7, ge=1, le=90)  # 并单: same matter within this many days

    @field_validator("handle_days")
    @classmethod
    def _every_type(cls, value: dict[RequestType, int]) -> dict[RequestType, int]:
        missing = [t.value for t in RequestType if t not in value]
        if missing:
            raise ValueError(f"no handling limit for {', '.join(missing)}")
        if any(not 1 <= days <= 365 for days in value.values()):
            raise ValueError("a handling limit is from 1 to 365 working days")
        return value

    @property
    def urgent_sign_h(self) -> float:
        return self.urgent.sign_hours

    @property
    def urgent_handle_h(self) -> float:
        return self.urgent.handle_hours

    @property
    def extension_times(self) -> int:
        return self.extension.times

    @property
    def extension_days(self) -> int:
        return self.extension.days

    def handle_days_of(self, request_type: str) -> int:
        """The handling limit of a request type (an unknown one: the longest, never none)."""
        for kind, days in self.handle_days.items():
            if kind.value == request_type:
                return days
        return max(self.handle_days.values())

    def light(self, started: float, due: float, now: float) -> str:
        """红黄灯: red once ``due`` has passed, yellow when less than ``yellow_share`` of the
        time from ``started`` to ``due`` is left (after :meth:`yellow_from`), green before."""
        if now >= due:
            return RED
        if now > self.yellow_from(started, due):
            return YELLOW
        return GREEN

    def yellow_from(self, started: float, due: float) -> float:
        """The moment a limit's light turns yellow (after it, less than ``yellow_share`` of
        the time is left)."""
        return due - (due - started) * self.yellow_share
