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

    return _RUN.sub(replace, text)
