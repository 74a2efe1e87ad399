"""Placeholders in texts callers hear: ``{name}`` and ``{number}`` are filled in the
announcements and greetings of hotlines.yaml; anything else in braces would be read out."""

from __future__ import annotations

import re
from collections.abc import Collection

HOTLINE_PLACEHOLDERS = ("name", "number")  # filled by callcenter.config.catalogue
_PLACEHOLDER = re.compile(r"\{([^{}｛｝]*)\}")
_BRACES = re.compile(r"[{}｛｝]")


def placeholder_problems(text: str, allowed: Collection[str]) -> list[str]:
    """What in ``text`` would be read out to callers: placeholders not in ``allowed`` and
    braces that open or close no placeholder (full-width ones included)."""
    problems = [f"unknown placeholder {{{m.group(1)}}}" for m in _PLACEHOLDER.finditer(text)
                if m.group(1) not in allowed]
    rest = _PLACEHOLDER.sub("", text)
    problems += [f"stray {brace!r}" for brace in dict.fromkeys(_BRACES.findall(rest))]
    return problems


def allowed_text(allowed: Collection[str]) -> str:
    """For messages: '{name}, {number}', or that none are filled."""
    if not allowed:
        return "this text is said as written (no placeholders are filled in it)"
    return "allowed: " + ", ".join(f"{{{name}}}" for name in allowed)
