"""Text helpers of the pre-fill: normalization, spoken digits, negation."""

from __future__ import annotations

import re
import unicodedata

import cn2an

# Digits as callers say them: 幺 for 1 and 两 for 2 on the phone, 洞 for 0 among some.
SPOKEN_DIGITS = {
    "零": "0", "〇": "0", "○": "0", "洞": "0",
    "一": "1", "幺": "1", "么": "1",
    "二": "2", "两": "2",
    "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
}
DIGIT_CHARS = "0123456789" + "".join(SPOKEN_DIGITS)
_SPACES = re.compile(r"\s+")
# (么有, 么人: 没有, 没人 as Gansu callers say them)
NEGATIONS = ("没有人", "没有被", "没人", "没被", "没有", "不是", "并非", "么有", "么人", "没", "不",
             "无", "未")


def normalize(line: str) -> str:
    """Full-width → half-width (NFKC) and no spaces: speech recognizers put a space between
    words ("我 想 问 一下"), people type "138 1234 5678"; the tables match without them."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", line))


def joined(utterances: list[str]) -> str:
    """The normalized utterances as one text, one sentence each (what the tables match)."""
    return "。".join(n for n in (normalize(u) for u in utterances) if n)


_PIECE = re.compile(r"[0-9]+|[零〇○洞一幺么二两三四五六七八九]+")
_ALIASES = str.maketrans({"洞": "零", "○": "零", "〇": "零", "么": "幺"})
_ZEROS = "零"


def spoken(piece: str) -> str:
    """Chinese numerals read out as written digits (cn2an): '幺三八两' → '1382', read digit by
    digit with 幺 and 两; '零九三一' → '0931' (the zeros a number begins with stay)."""
    piece = piece.translate(_ALIASES)
    rest = piece.lstrip(_ZEROS)
    zeros = "0" * (len(piece) - len(rest))
    if not rest:
        return zeros
    try:
        return zeros + str(int(cn2an.cn2an(rest, "smart")))
    except ValueError:  # not a numeral cn2an reads: digit by digit
        return zeros + "".join(SPOKEN_DIGITS.get(c, c) for c in rest)


def to_digits(run: str) -> str:
    """'一三八幺2' → '13812'; other characters are dropped."""
    return "".join(p if p.isascii() else spoken(p) for p in _PIECE.findall(run))


def negated(text: str, start: int) -> bool:
    """Whether the words ending right before ``start`` negate what follows (没有人受伤)."""
    before = text[max(0, start - 3):start]
    return any(before.endswith(n) for n in NEGATIONS)

