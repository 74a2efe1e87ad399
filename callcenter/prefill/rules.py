"""The keyword tables of the ticket pre-fill (``config/prefill.yaml``), edited by administrators.

Each table is matched against the caller's normalized words (spaces between Chinese
characters removed). Where more than one entry matches, the rule of that table decides:
request types and emergency referrals go by the order in the file (the first listed that
matches wins: 举报 before 投诉, 119 before 120 …); topics go by the number of keyword hits,
ties by order.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

Keyword = Annotated[str, Field(min_length=1, max_length=30)]
Keywords = Annotated[list[Keyword], Field(min_length=1)]


class RequestType(StrEnum):
    """The plan's categories of what a caller asks for (受理范围)."""

    CONSULT = "咨询"
    HELP = "求助"
    COMPLAINT = "投诉"
    REPORT = "举报"
    SUGGESTION = "意见建议"


class EmergencyLine(StrEnum):
    POLICE = "110"
    FIRE = "119"
    AMBULANCE = "120"
    TRAFFIC = "122"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Topic(Strict):
    keywords: Keywords
    unit: str = Field(min_length=1, description="suggested responsible unit (责任单位)")
    hotline: str = Field(min_length=5, description="the catalogue number of that unit's line")


class PrefillRules(Strict):
    request_types: dict[RequestType, Keywords]
    default_request_type: RequestType = RequestType.CONSULT
    topics: dict[str, Topic] = Field(min_length=1)
    urgent: Keywords = Field(description="matters that cannot wait (停水, 燃气泄漏 …)")
    emergency: dict[EmergencyLine, Keywords] = Field(
        description="matters for 110/119/120/122: the agent refers the caller there")
    out_of_scope: dict[str, Keywords] = Field(
        description="reason → keywords: matters 12345 does not accept (诉讼, 仲裁 …)")

    @field_validator("topics", "out_of_scope")
    @classmethod
    def _names(cls, value: dict[str, object]) -> dict[str, object]:
        for name in value:
            if not name.strip():
                raise ValueError("a name cannot be empty")
        return value
