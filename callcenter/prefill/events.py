"""What is happening now, to whom: emergency referrals and urgency from events, their tense
and who is at risk — not from the presence of a word.

Each event word of prefill.yaml (``events``) is read in its sentence:

- *negated* right before it (没有人受伤, 没着火) or only nearly (差点掉进去): nothing happened;
- the nearest time or mood marker before it in its sentence (``tense``) says when: past
  (去年, 上次), hypothetical or planned (如果, 万一, 下个礼拜, 还以为), asked about (想咨询),
  reported from elsewhere (电视上, 新闻, 演练), habitual (天天, 老有人) — not now; now (刚才,
  现在, 正在) or no marker: now. A recent day (昨天, 前天) is past unless the sentence says
  it goes on (到现在, 还没) or the event lasts (an outage begun this morning);
- a resolution later in the call (火已经灭了, 已经送医院了, 找到了, 来电了) or a denial (人没事,
  不严重) ends it.

A marker further than ``MODE_WINDOW`` characters before the event says nothing of it ("我想
问一下孩子上学的补助…哎先别说这个了，楼下着火了": the fire is now).

What is left is happening now: its lines are referred to in the order of ``referral_order``
— except that a line an event puts ``first`` (violence going on: the police) leads — and
every such event makes the ticket urgent, as do events that need action now but no
emergency line (no heating in winter, a pipe burst, a house about to collapse). An event
kind with ``at_risk`` words (an outage) is urgent only when they say many households or
someone who cannot wait are affected (整栋楼, 全村, 老人, 制氧机), and not when its ``alone``
words say it is the caller's home alone (就我家, 邻居家都有电).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from callcenter.config.prefill.cues import compile_cue
from callcenter.config.prefill.rules import EventKind, PrefillRules, Tense
from callcenter.config.prefill.text import negated
from callcenter.prefill.lexicon import Hit, Lexicon, Tag

_SENTENCES = re.compile(r"[^。！？!?]+")
NOT_NOW = ("past", "hypothetical", "asking", "reported", "habitual")
SUFFIX_WINDOW = 8  # "着火的话": a hypothetical suffix this close after the event
MODE_WINDOW = 30  # a time or mood marker further before the event says nothing of it
# the context word of a kind whose context is its subject ("丢了&娃") counts before the event in
# its sentence or right after it ("联系不上我儿子", not "户口本丢了我要给娃娃…"), and not as the
# owner of something else ("娃娃的疫苗本丢了")
SUBJECT_AFTER = 2
SPLIT_PARTICLES = ("了",)  # 受了伤: a verb-object word split by an aspect particle
# "我没有说有人打架", "不是说着火了": a denied report denies what it reports
_DENIED_REPORT = re.compile(r"(?:没有|没|不是|并没有|并不是)(?:说|讲|看到|看见|听到|听见)"
                            r"[^。！？!?]{0,4}$")
# "每年都有烧炕中煤气的": "都有 … 的" names a kind of case, not one going on ("有个喝醉的" is one)
_GENERIC_BEFORE = re.compile(r"(?:都|也|老|常|总|年年|经常)有[^。！？!?个]{0,4}$")
_GENERIC_AFTER = re.compile(r"^了?的")


@dataclass(frozen=True, slots=True)
class Situation:
    """The events going on now, the lines to refer to (ordered), and urgency."""

    now: tuple[str, ...]  # event kinds, in the order first said
    referral: tuple[str, ...]
    urgent: bool
    victim: bool  # the caller (or their family) is the one harmed

    @property
    def crime_now(self) -> bool:
        return any(k in ("violence", "crime", "driving") for k in self.now)


class EventReader:
    """The compiled event and tense tables of one :class:`PrefillRules`."""

    def __init__(self, kinds: dict[str, EventKind], tense: Tense, order: list[str],
                 word_classes: Mapping[str, Sequence[str]] | None = None, gap: int = 3) -> None:
        self.kinds, self.tense, self.order = kinds, tense, order
        self.patterns = [(name, compile_cue(p, word_classes or {}, gap))
                         for name, kind in kinds.items() for p in kind.patterns]
        self.context: dict[tuple[str, str], tuple[str, ...]] = {}
        entries: list[tuple[str, Tag]] = []
        for name, kind in kinds.items():
            for cue in kind.cues:
                word, _, needs = cue.partition("&")
                for form in _split_forms(word):
                    entries.append((form, ("event", name)))
                    if needs:
                        self.context[(name, form)] = tuple(needs.split("|"))
        for mode in ("past", "recent", "hypothetical", "asking", "reported", "habitual", "now",
                     "going_on", "suffix", "victim"):
            entries += [(w, ("mode", mode)) for w in getattr(tense, mode)]
        for name, words in tense.resolved.items():
            entries += [(w, ("resolved", name)) for w in words]
        for name, words in tense.denied.items():
            entries += [(w, ("denied", name)) for w in words]
        self.lexicon = Lexicon(entries)

    def read(self, text: str) -> Situation:
        now: list[str] = []
        victim = False
        for sentence in _SENTENCES.finditer(text):
            hits = self._hits(sentence.group())
            victim = victim or any(("mode", "victim") in h.tags for h in hits)
            for hit in hits:
                for tag, name in hit.tags:
                    if tag == "event" and name not in now and self._now(
                            name, hit, sentence.group(), hits):
                        now.append(name)
        rest = self.lexicon.scan(text)
        now = [k for k in now if not self._ended(k, rest)]
        return Situation(tuple(now), self._referral(now),
                         any(self._urgent(self.kinds[k], text) for k in now), victim)

    @staticmethod
    def _urgent(kind: EventKind, text: str) -> bool:
        """Whether an event going on now cannot wait: always, or — for a kind with
        ``at_risk`` words (an outage) — when many households or someone who cannot wait
        are affected, and not the caller's home alone."""
        if not kind.urgent:
            return False
        if kind.alone and any(w in text for w in kind.alone):
            return False
        return not kind.at_risk or any(w in text for w in kind.at_risk)

    def _hits(self, sentence: str) -> list[Hit]:
        """The words of the tables in ``sentence``, and the events its patterns find."""
        hits = self.lexicon.scan(sentence)
        found = [Hit(m.start(), m.end(), m.group(), (("event", name),))
                 for name, pattern in self.patterns for m in pattern.finditer(sentence)]
        if found:
            hits = sorted(hits + found, key=lambda h: (h.start, -h.end))
        return hits

    def _now(self, kind: str, hit: Hit, sentence: str, hits: list[Hit]) -> bool:
        needs = self.context.get((kind, hit.word))
        if needs and not _in_context(needs, hit, sentence, self.kinds[kind].subject):
            return False  # 没有掉到河里: the context word is negated, far or another's owner
        if negated(sentence, hit.start) or _DENIED_REPORT.search(sentence, 0, hit.start):
            return False
        if (_GENERIC_BEFORE.search(sentence, 0, hit.start)
                and _GENERIC_AFTER.match(sentence[hit.end:])):
            return False
        modes = [(h.start, mode) for h in hits for tag, mode in h.tags
                 if tag == "mode" and hit.start - MODE_WINDOW <= h.end <= hit.start
                 and mode in (*NOT_NOW, "now", "recent")]
        mode = max(modes)[1] if modes else "now"
        if mode == "recent":
            lasting = self.kinds[kind].lasting or any(("mode", "going_on") in h.tags for h in hits)
            mode = "now" if lasting else "past"
        if any(("mode", "suffix") in h.tags and hit.end <= h.start < hit.end + SUFFIX_WINDOW
               for h in hits):
            return False
        return mode not in NOT_NOW

    def _ended(self, kind: str, hits: list[Hit]) -> bool:
        """A resolution or denial of ``kind`` said in the call (已经灭了, 人没事)."""
        return any((tag == "resolved" or tag == "denied") and name in (kind, "all")
                   for h in hits for tag, name in h.tags)

    def _referral(self, now: list[str]) -> tuple[str, ...]:
        lines = {line.value for k in now for line in self.kinds[k].refer}
        first = [line.value for k in now if self.kinds[k].first
                 for line in self.kinds[k].refer]
        ordered = [*dict.fromkeys(first), *(x for x in self.order if x not in first)]
        return tuple(x for x in ordered if x in lines)


def _split_forms(word: str) -> tuple[str, ...]:
    """A two-character event word and, when it is a verb with its object (受伤, 着火, 流血,
    中毒), the forms with an aspect particle between them that callers say (受了伤, 着了火,
    流了血, 中了毒)."""
    if len(word) != 2 or not all("\u4e00" <= c <= "\u9fff" for c in word):
        return (word,)
    return (word, *(word[0] + p + word[1] for p in SPLIT_PARTICLES))


def _in_context(needs: tuple[str, ...], hit: Hit, sentence: str, subject: bool) -> bool:
    """Whether a word of ``needs`` is said in the event's sentence, not negated; for a kind
    whose context is its ``subject``, before the event or at most ``SUBJECT_AFTER``
    characters after it, and not as the owner of something else ("娃娃的疫苗本丢了")."""
    for word in needs:
        i = sentence.find(word)
        while i != -1 and (not subject or i <= hit.end + SUBJECT_AFTER):
            end = i + len(word)
            owner = subject and end < hit.start and "的" in sentence[end:min(end + 2,
                                                                            hit.start)]
            if not negated(sentence, i) and not owner:
                return True
            i = sentence.find(word, i + 1)
    return False


def situation(text: str, rules: PrefillRules) -> Situation:
    """The events of ``text`` (the joined, normalized transcript) going on now."""
    return event_reader(rules).read(text)


def event_reader(rules: PrefillRules) -> EventReader:
    """The rules' compiled event and tense tables (built once per rules object)."""
    if rules._event_reader is None:
        rules._event_reader = EventReader(rules.events, rules.tense,
                                          [line.value for line in rules.referral_order],
                                          rules.word_classes, rules.cue_gap)
    return cast("EventReader", rules._event_reader)
