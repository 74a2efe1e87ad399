"""Request type (:mod:`callcenter.prefill.request_type`), topic (→ suggested unit), urgency,
emergency referrals (:mod:`callcenter.prefill.events`) and out-of-scope flags from the
tables of prefill.yaml."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.prefill.events import situation
from callcenter.prefill.lexicon import Lexicon
from callcenter.prefill.model import features, shipped
from callcenter.prefill.request_type import rule_type, settle
from callcenter.prefill.text import negated

if TYPE_CHECKING:
    from callcenter.prefill.rules import PrefillRules


@dataclass(frozen=True, slots=True)
class Classification:
    request_type: str
    topic: str | None
    unit: str | None
    hotline: str | None
    urgent: bool
    emergency_referral: tuple[str, ...]
    out_of_scope: str | None


class Matcher:
    """Topic keywords and out-of-scope words of one rules object, in one automaton."""

    def __init__(self, rules: PrefillRules) -> None:
        entries = [(k, ("topic", name)) for name, t in rules.topics.items() for k in t.keywords]
        entries += [(k, ("out", reason)) for reason, words in rules.out_of_scope.items()
                    for k in words]
        self.lexicon = Lexicon(entries)
        self.topics = list(rules.topics)
        self.reasons = list(rules.out_of_scope)

    def counts(self, text: str) -> tuple[Counter[str], set[str]]:
        """How many of each topic's keywords are said (negated ones too: the matter is the
        same; a word said again does not count again), and the out-of-scope reasons named
        (not negated)."""
        words: set[tuple[str, str]] = set()
        reasons: set[str] = set()
        for hit in self.lexicon.scan(text):
            for tag, name in hit.tags:
                if tag == "topic":  # 没有暖气 is about heating too
                    words.add((name, hit.word))
                elif not negated(text, hit.start):  # 不打官司 is no lawsuit
                    reasons.add(name)
        return Counter(name for name, _word in words), reasons


def classify(text: str, rules: PrefillRules) -> Classification:
    hits, reasons = rules.matcher.counts(text)
    now = situation(text, rules)
    best: tuple[int, str] | None = None
    for name in rules.matcher.topics:  # ties: the topic listed first
        score = hits[name] * rules.topics[name].weight
        if now.referral and not any(w in text for w in rules.topics[name].with_emergency):
            continue  # a pure emergency has no topic
        if score and (best is None or score > best[0]):
            best = (score, name)
    topic = rules.topics[best[1]] if best else None
    model = shipped() if rules.request_model else None
    kind = model.predict(features(text, rules, now)) if model else rule_type(text, rules)
    return Classification(
        request_type=settle(kind, now).value,
        topic=best[1] if best else None,
        unit=topic.unit if topic else None,
        hotline=topic.hotline if topic else None,
        urgent=now.urgent,
        emergency_referral=now.referral,
        out_of_scope=next((r for r in rules.matcher.reasons if r in reasons), None),
    )
