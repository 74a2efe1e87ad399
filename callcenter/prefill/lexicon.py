"""Many word lists matched in one pass (Aho-Corasick, ``pyahocorasick``): each word carries
the tags of the lists it is in (``("topic", "社保养老")``, ``("event", "fire")`` …)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ahocorasick

Tag = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Hit:
    start: int
    end: int
    word: str
    tags: tuple[Tag, ...]


class Lexicon:
    """Words → tags, compiled once; :meth:`scan` finds every occurrence of every word."""

    def __init__(self, entries: Iterable[tuple[str, Tag]]) -> None:
        tags: dict[str, list[Tag]] = {}
        for word, tag in entries:
            if word and tag not in tags.setdefault(word, []):
                tags[word].append(tag)
        self._automaton: Any = ahocorasick.Automaton()
        for word, word_tags in tags.items():
            self._automaton.add_word(word, (word, tuple(word_tags)))
        self.size = len(tags)
        if tags:
            self._automaton.make_automaton()

    def scan(self, text: str) -> list[Hit]:
        """Every occurrence, overlapping ones too, by start then longest first."""
        if not self.size:
            return []
        hits = [Hit(end + 1 - len(word), end + 1, word, tags)
                for end, (word, tags) in self._automaton.iter(text)]
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits

    def longest(self, text: str) -> list[Hit]:
        """Leftmost-longest occurrences that do not overlap (a place name inside a longer one
        is not a place of its own)."""
        out: list[Hit] = []
        for hit in self.scan(text):
            if not out or hit.start >= out[-1].end:
                out.append(hit)
        return out
