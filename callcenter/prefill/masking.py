"""ID-card and bank-card numbers are masked wherever a ticket stores text, except in the
field the agent confirms: the first and last four digits stay (a caller can be asked to
confirm them), the rest become ``*``. Any run of 15 digits or more is masked: ID cards have
15 or 18 (the last may be X), bank cards 16 to 19, and two numbers said in one breath must
not slip through.

A run is digits, written or spoken, with nothing between them but spaces, dashes,
punctuation and the fillers of someone reading a number out (嗯, 对, 是 …). A ``*`` of a
number masked before counts as a digit: masking masked text changes nothing.

A caller reading a number out pauses, and speech recognition makes each piece an utterance
of its own (身份证号 六二零一零二一九九零 | 零一零一一二三四). :func:`mask_across` takes a
speaker's earlier utterances and the new one and masks a run that goes on from one into the
next as one number, in all of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from callcenter.config.prefill.text import DIGIT_CHARS, SPOKEN_DIGITS, to_digits

MASK_FROM = 15
KEEP = 4  # digits left in clear at each end of a masked number
# How many earlier utterances of a speaker a number may have begun in: an 18-digit ID read
# out two digits at a time is nine utterances (cut into more, only the last nine count).
EARLIER = 8
FILLERS = ("嗯", "呃", "额", "啊", "哦", "噢", "对", "是", "就是")

_SLOT_CHARS = DIGIT_CHARS + "*Xx"
_SLOT = f"[{DIGIT_CHARS}*]"
_GAP = f"(?:[\\s\\-—－,，、.。:：;；]|{'|'.join(FILLERS)})*+"
_RUN = re.compile(f"{_SLOT}(?:{_GAP}{_SLOT})*+(?:{_GAP}[Xx])?")
# the call log's phone masking: digits with spaces and dashes between them
_PHONE_RUN = re.compile(f"[{DIGIT_CHARS}][{DIGIT_CHARS}\\s\\-—－]*[{DIGIT_CHARS}Xx]")


def mask_number(digits: str) -> str:
    return digits[:KEEP] + "*" * (len(digits) - 2 * KEEP) + digits[-KEEP:]


def _written(char: str) -> str:
    """One character of a run as a written digit ('幺' → '1'); '*' and 'X' as they are."""
    return "X" if char in "Xx" else SPOKEN_DIGITS.get(char, char)


def _slots(run: str) -> str:
    """The digits of a run, written: '六二 嗯 零*' → '620*'."""
    return "".join(_written(c) for c in run if c in _SLOT_CHARS)


def mask_sensitive(text: str) -> str:
    """'身份证 620102199001011234' → '身份证 6201**********1234'; spoken digits too."""

    def replace(match: re.Match[str]) -> str:
        digits = _slots(match.group())
        return mask_number(digits) if len(digits) >= MASK_FROM else match.group()

    return _RUN.sub(replace, text)


def _mask_in_place(match: re.Match[str]) -> str:
    """A run of 15 digits or more with each digit but the first and last four as ``*`` (the
    kept ones written) and every other character where it was: the run may span utterances,
    and each keeps its length."""
    run = match.group()
    count = sum(c in _SLOT_CHARS for c in run)
    if count < MASK_FROM:
        return run
    out: list[str] = []
    seen = 0
    for char in run:
        if char in _SLOT_CHARS:
            out.append(_written(char) if seen < KEEP or seen >= count - KEEP else "*")
            seen += 1
        else:
            out.append(char)
    return "".join(out)


def mask_across(earlier: Sequence[str], text: str) -> tuple[list[str], str]:
    """A speaker's earlier utterances, oldest first, as stored (masked), and what they said
    next → the earlier ones and the new one, masked as if said in one breath.

    The new text is masked on its own (:func:`mask_sensitive`); a run it begins with that
    goes on from the end of the last :data:`EARLIER` utterances (a piece said alone is an
    utterance that is all run) and has 15 digits or more in all is masked across them: its
    first and last four digits stay, each utterance keeps its other characters and its
    length. Only digits ever become ``*``. Fewer than 15 digits in all change nothing (a phone
    number said in two pieces)."""
    window = list(earlier[len(earlier) - min(EARLIER, len(earlier)):])
    pieces = [*window, mask_sensitive(text)]
    joined = _RUN.sub(_mask_in_place, "\n".join(pieces))  # a line break is a gap
    out: list[str] = []
    start = 0
    for piece in pieces:
        out.append(joined[start:start + len(piece)])
        start += len(piece) + 1
    return [*earlier[:len(earlier) - len(window)], *out[:-1]], out[-1]


PHONE_FROM = 7


def mask_phones(text: str) -> str:
    """For the call log: runs of 7 to 14 digits (phone numbers, spoken or written) keep their
    first three and last two digits; longer runs are masked as cards."""

    def replace(match: re.Match[str]) -> str:
        run = match.group()
        digits = to_digits(run) + ("X" if run[-1] in "Xx" else "")
        if len(digits) >= MASK_FROM:
            return mask_number(digits)
        if len(digits) >= PHONE_FROM:
            return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
        return run

    return _PHONE_RUN.sub(replace, text)
