"""Request type (scored cues, :mod:`callcenter.prefill.request_type`), topic (→ suggested
unit), urgency, emergency referral and out-of-scope flags from the tables of prefill.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.prefill.request_type import request_type
from callcenter.prefill.rules import PrefillRules, Topic
from callcenter.prefill.text import mentions


@dataclass(frozen=True, slots=True)
class Classification:
    request_type: str
    topic: str | None
    unit: str | None
    hotline: str | None
    urgent: bool
    emergency_referral: str | None
    out_of_scope: str | None


def _any(text: str, keywords: list[str]) -> bool:
    return any(mentions(text, k) for k in keywords)


def classify(text: str, rules: PrefillRules) -> Classification:
    best: tuple[int, str, Topic] | None = None
    for name, topic in rules.topics.items():
        hits = sum(mentions(text, k) for k in topic.keywords) * topic.weight
        if hits and (best is None or hits > best[0]):
            best = (hits, name, topic)
    emergency = next((line.value for line, words in rules.emergency.items()
                      if _any(text, words)), None)
    out_of_scope = next((reason for reason, words in rules.out_of_scope.items()
                         if _any(text, words)), None)
    urgent = emergency is not None or _any(text, rules.urgent)
    return Classification(
        request_type=request_type(text, rules, urgent).value,
        topic=best[1] if best else None,
        unit=best[2].unit if best else None,
        hotline=best[2].hotline if best else None,
        urgent=urgent,
        emergency_referral=emergency,
        out_of_scope=out_of_scope,
    )
