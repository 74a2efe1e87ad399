"""ID-card and bank-card numbers are masked wherever a ticket stores text, except in the
field the agent confirms: the first and last four digits stay (a caller can be asked to
confirm them), the rest become ``*``. Any run of 15 digits or more is masked: ID cards have
15 or 18 (the last may be X), bank cards 16 to 19, and two numbers said in one breath must
not slip through."""

from __future__ import annotations

import re

from callcenter.prefill.text import DIGIT_CHARS, to_digits

_RUN = re.compile(f"[{DIGIT_CHARS}][{DIGIT_CHARS}\\s\\-—－]*[{DIGIT_CHARS}Xx]")
MASK_FROM = 15


def mask_number(digits: str) -> str:
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_sensitive(text: str) -> str:
    """'身份证 620102199001011234' → '身份证 6201**********1234'; spoken digits too."""

    def replace(match: re.Match[str]) -> str:
        run = match.group()
        digits = to_digits(run) + ("X" if run[-1] in "Xx" else "")
        if len(digits) >= MASK_FROM:
            return mask_number(digits)
        return run

    return _RUN.sub(replace, text)
