"""Cues of prefill.yaml's request types: a word, or words in order, as administrators write
them, compiled to a regular expression matched against the normalized transcript.

    投诉                     the word
    态度|服务…差|恶劣        态度 or 服务, then 差 or 恶劣 at most ``gap`` characters later
    没人|无人+管|处理        没人 or 无人 right before 管 or 处理
    {一直}…没+{办}           any word of the word class 一直, …, 没, then a word of class 办
    希望……增加               增加 anywhere after 希望

``…`` (or ``...``) allows up to ``gap`` characters between two parts, ``……`` any number;
both within one sentence (not across 。！？). ``+`` joins two parts with nothing between.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from callcenter.config.prefill.text import negated, normalize

NEAR = "..."  # "…" once normalized (NFKC)
LATER = "......"  # "……"
NEXT = "+"
_SEPARATOR = re.compile(r"(\.{6}|\.{3}|\+)")
_CLASS = re.compile(r"\{([^{}]+)\}")
_RESERVED = set("{}|+.")
_SENTENCE_END = "。！？!?"


@dataclass(frozen=True, slots=True)
class Part:
    """One position of a cue: any of ``words`` or of the words of the classes named."""

    words: tuple[str, ...]
    classes: tuple[str, ...]
    gap: int | None  # characters allowed before this part: 0 "+", None "……" (any)


def parse_cue(cue: str, near: int = 0) -> list[Part]:
    """The parts of ``cue`` ("…" allowing ``near`` characters); ValueError saying what is
    wrong with its syntax."""
    text = normalize(cue)
    if not text:
        raise ValueError("an empty cue")
    pieces = _SEPARATOR.split(text)
    parts: list[Part] = []
    for index in range(0, len(pieces), 2):
        piece = pieces[index]
        if not piece:
            raise ValueError(f"{cue!r}: '…' and '+' go between two words")
        words: list[str] = []
        classes: list[str] = []
        for alternative in piece.split("|"):
            match = _CLASS.fullmatch(alternative)
            if match is not None:
                classes.append(match.group(1))
            elif not alternative:
                raise ValueError(f"{cue!r}: an empty alternative ('||', or '|' at an end)")
            elif _RESERVED & set(alternative):
                raise ValueError(f"{cue!r}: {alternative!r} is neither a word nor a "
                                 "{class}; '.' only in '…' (or '...')")
            else:
                words.append(alternative)
        separator = pieces[index - 1] if index else NEXT
        gap = 0 if separator == NEXT else (None if separator == LATER else near)
        parts.append(Part(tuple(words), tuple(classes), gap))
    return parts


def class_names(cue: str) -> list[str]:
    """The word classes ``cue`` refers to ({一直} …)."""
    return [name for part in parse_cue(cue) for name in part.classes]


def compile_cue(cue: str, word_classes: Mapping[str, Sequence[str]], gap: int) -> re.Pattern[str]:
    """The regular expression of ``cue``; KeyError for a class not in ``word_classes``."""
    out = []
    for part in parse_cue(cue, gap):
        words = set(part.words)
        for name in part.classes:
            words |= {normalize(w) for w in word_classes[name]}
        if part.gap is None:
            out.append(f"[^{_SENTENCE_END}]*?")
        elif part.gap:
            out.append(f"[^{_SENTENCE_END}]{{0,{part.gap}}}?")
        # longest first: 没有人 is tried before 没有 and 没
        out.append("(?:" + "|".join(re.escape(w) for w in
                                    sorted(words, key=lambda w: (-len(w), w))) + ")")
    return re.compile("".join(out))


def cue_found(text: str, pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` occurs in ``text`` other than right after a negation (没有人受伤)."""
    return any(not negated(text, m.start()) for m in pattern.finditer(text))
