"""Request type (:mod:`callcenter.prefill.request_type`), topic (→ suggested unit), urgency,
emergency referrals (:mod:`callcenter.prefill.events`) and out-of-scope flags from the
tables of prefill.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from callcenter.config.prefill.text import negated
from callcenter.prefill.events import Situation, situation
from callcenter.prefill.lexicon import Lexicon
from callcenter.prefill.model import features, shipped
from callcenter.prefill.request_type import rule_type, settle

if TYPE_CHECKING:
    from callcenter.config.prefill.rules import PrefillRules

NO_TOPIC = ""  # the pseudo-topic of matters outside the table (banks, fines, police cases)
WORTH = {"topic": 2, "setting": 1}  # a word of the matter, a word of its setting
_STREET_NAME = re.compile(r"(路|街|巷|道|村|镇|乡|小区|家园|花园|苑|院|社区|号楼|号)$")


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
    """Topic keywords, the words of matters outside the topic table and out-of-scope words
    of one rules object, in one automaton."""

    def __init__(self, rules: PrefillRules) -> None:
        entries = [(k, ("topic", name)) for name, t in rules.topics.items() for k in t.keywords]
        entries += [(k, ("setting", name)) for name, t in rules.topics.items()
                    for k in t.setting]
        entries += [(k, ("topic", NO_TOPIC)) for k in rules.no_topic]
        entries += [(k, ("out", reason)) for reason, words in rules.out_of_scope.items()
                    for k in words]
        self.lexicon = Lexicon(entries)
        self.topics = list(rules.topics)
        self.reasons = list(rules.out_of_scope)

    def counts(self, text: str, address: str | None = None) -> tuple[dict[str, int], set[str]]:
        """Each topic's keywords said (negated ones too: 没有暖气 is about heating; a word
        said again does not count again; a word inside a longer one counts as the longer
        one; a word of the call's address — 农民巷 — not at all), and the out-of-scope
        reasons named (not negated)."""
        hits = self.lexicon.scan(text)
        skip = _spans(text, address)
        words: dict[tuple[str, str], int] = {}
        end = -1
        for hit in hits:  # by start, longest first: a word inside a longer one is not a word
            names = [(name, WORTH[tag]) for tag, name in hit.tags if tag in WORTH]
            if not names or hit.end <= end or any(a <= hit.start < b for a, b in skip):
                continue
            end = hit.end
            for name, worth in names:
                words[(name, hit.word)] = max(worth, words.get((name, hit.word), 0))
        reasons = {name for hit in hits for tag, name in hit.tags
                   if tag == "out" and not negated(text, hit.start)}  # 不打官司: no lawsuit
        count: dict[str, int] = {}
        for (name, _word), worth in words.items():
            count[name] = count.get(name, 0) + worth
        return count, reasons


def _spans(text: str, address: str | None) -> list[tuple[int, int]]:
    """Where a street's or an estate's name is said (农民巷, 医院家属院): its words are not
    the matter's. A sight's (丹霞景区) are."""
    if not address or not _STREET_NAME.search(address):
        return []
    spans, start = [], text.find(address)
    while start != -1:
        spans.append((start, start + len(address)))
        start = text.find(address, start + 1)
    return spans


def topic_of(hits: dict[str, int], now: Situation, reasons: set[str],
             rules: PrefillRules, text: str) -> str | None:
    """The topic with the most keyword hits times its weight; a tie goes to the one listed
    first (the more specific matter). None: nothing said, a matter outside the
    table won, a reason without topic (纪检监察), or a pure emergency (a fire, a crash,
    people trapped: a topic stays only with a `with_emergency` word and no pure event)."""
    if any(r in rules.no_topic_reasons for r in reasons):
        return None
    pure = any(rules.events[k].pure for k in now.now)
    best: tuple[int, int, str] | None = None
    order = {n: i for i, n in enumerate(rules.topics)} | {NO_TOPIC: len(rules.topics)}
    for name, n in hits.items():
        weight = 1 if name == NO_TOPIC else rules.topics[name].weight
        if name != NO_TOPIC and now.referral and (pure or not any(
                w in text for w in rules.topics[name].with_emergency)):
            continue
        key = (n * weight, -order[name], name)
        if best is None or key[:2] > best[:2]:
            best = key
    return (best[2] or None) if best else None


def classify(text: str, rules: PrefillRules, address: str | None = None) -> Classification:
    """``address``: the place's detail, whose words are not the matter's (农民巷)."""
    hits, reasons = matcher(rules).counts(text, address)
    now = situation(text, rules)
    name = topic_of(hits, now, reasons, rules, text)
    topic = rules.topics[name] if name else None
    model = shipped() if rules.request_model else None
    kind = model.predict(features(text, rules, now)) if model else rule_type(text, rules)
    return Classification(
        request_type=settle(kind, now).value,
        topic=name,
        unit=topic.unit if topic else None,
        hotline=topic.hotline if topic else None,
        urgent=now.urgent,
        emergency_referral=now.referral,
        out_of_scope=next((r for r in matcher(rules).reasons if r in reasons), None),
    )


def matcher(rules: PrefillRules) -> Matcher:
    """The rules' topic keywords and out-of-scope words, matched in one pass (built once per
    rules object)."""
    if rules._matcher is None:
        rules._matcher = Matcher(rules)
    return cast("Matcher", rules._matcher)
