"""What the templates write into Asterisk's configuration files: escaped, or refused.

Asterisk reads a .conf file line by line (main/config.c): ``;`` starts a comment unless
written ``\\;`` (the backslash is dropped), ``;--`` … ``--;`` is a block comment (and a stray
``--;`` turns the rest of the file into one), ``[`` at the start of a line opens a section
whose name is cut to 79 bytes, ``#`` there is a directive, a value is what follows the first
``=`` (or ``=>``) with blanks trimmed at both ends, and a line of 8191 bytes or more is
skipped. So, in a value, ``;`` is escaped; blanks at either end, which no escape keeps, and
line breaks, which would start a line of Asterisk's choosing, are refused.

extensions.conf then splits ``exten =>`` lines at ``,`` and ``(`` and expands ``${…}`` and
``$[…]`` (those of [globals] as it loads them); no escape survives both steps, so what the
configuration puts there is refused unless it is made of characters that mean nothing to
the dialplan.

Every refusal raises :class:`AsteriskProcessError`: the configuration loader refuses these
values first, with file:line; this is the last line of defence (and the only one for the
secrets, which do not come from config/). Secrets are never shown in the message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jinja2

from callcenter.config.source import CONTROL
from callcenter.errors import AsteriskProcessError

LINE_BYTES = 8190  # the longest line: Asterisk's buffer is 8192 bytes, "\n" and NUL included
SECTION_BYTES = 79  # struct ast_category: char name[80]
_SECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# what may stand in a dialplan application's arguments: letters, digits, _.@+:/&=- and the
# ',' between arguments (the routes' fields are a list) — no $ ( ) ; \ " ' | [ ] or blanks
_DIALPLAN_DATA = re.compile(r"[A-Za-z0-9_.@+:/&,=-]*")
_EXTEN = re.compile(r"[0-9]+|_[0-9XNZ.!]+")


def _where(context: jinja2.runtime.Context) -> str:
    return (context.name or "a template").removesuffix(".j2")


def _refuse(context: jinja2.runtime.Context, what: str, problem: str) -> AsteriskProcessError:
    return AsteriskProcessError(f"{_where(context)}: {what} {problem}")


def _one_line(context: jinja2.runtime.Context, text: str, what: str) -> None:
    match = CONTROL.search(text)
    if match:
        raise _refuse(context, what, f"holds a control character ({match.group()!r}): it "
                                     "would end the line and start one of its own")


def _value(context: jinja2.runtime.Context, value: object, what: str) -> str:
    text = str(value)
    _one_line(context, text, what)
    if text != text.strip(" "):
        raise _refuse(context, what, "starts or ends with a blank, which Asterisk trims")
    return text.replace(";", "\\;")


@jinja2.pass_context
def conf_value(context: jinja2.runtime.Context, value: object) -> str:
    """The right side of ``key = value``: ``;`` escaped, line breaks and blanks at the ends
    refused."""
    return _value(context, value, f"the value {str(value)!r}")


@jinja2.pass_context
def conf_secret(context: jinja2.runtime.Context, value: object, what: str) -> str:
    """A password or secret as a value: ``conf_value`` whose errors do not show it."""
    return _value(context, value, f"the {what} (value not shown)")


@jinja2.pass_context
def conf_section(context: jinja2.runtime.Context, value: object) -> str:
    """A section name (``[name]``), also usable as a value: letters, digits, ``_.-``, at most
    79 bytes (Asterisk cuts longer names, and two sections would become one)."""
    text = str(value)
    if not _SECTION.fullmatch(text) or len(text) > SECTION_BYTES:
        raise _refuse(context, f"the section name {text!r}",
                      f"is not 1-{SECTION_BYTES} letters, digits, '_', '.', '-'")
    return text


@jinja2.pass_context
def dialplan_data(context: jinja2.runtime.Context, value: object, keep: str = "") -> str:
    """Text in a dialplan application's arguments (or a [globals] value): only characters
    that neither separate arguments nor expand. ``keep``: an expansion the template itself
    puts into the value (it is not checked)."""
    text = str(value)
    if not _DIALPLAN_DATA.fullmatch(text.replace(keep, "") if keep else text):
        raise _refuse(context, f"the dialplan argument {text!r}",
                      "holds a character the dialplan would read as syntax (only letters, "
                      "digits, _.@+:/&=- and ',' between arguments are written there)")
    return text


@jinja2.pass_context
def dialplan_exten(context: jinja2.runtime.Context, value: object) -> str:
    """An extension: digits, or a pattern of digits and X N Z . !"""
    text = str(value)
    if not _EXTEN.fullmatch(text):
        raise _refuse(context, f"the extension {text!r}", "is not digits or a _pattern")
    return text


FILTERS: dict[str, Callable[..., str]] = {
    "conf_value": conf_value,
    "conf_secret": conf_secret,
    "conf_section": conf_section,
    "dialplan_data": dialplan_data,
    "dialplan_exten": dialplan_exten,
}


@jinja2.pass_context
def one_line(context: jinja2.runtime.Context, value: Any) -> Any:
    """The environment's ``finalize``: whatever a template prints — into a comment too —
    stays on its line (the value is not shown: it may be a secret)."""
    if isinstance(value, str):
        _one_line(context, value, "a value (not shown)")
    return value


def check_lines(name: str, text: str) -> None:
    """Every line short enough for Asterisk's line buffer (longer ones it skips)."""
    for number, line in enumerate(text.split("\n"), start=1):
        size = len(line.encode("utf-8"))
        if size > LINE_BYTES:
            raise AsteriskProcessError(f"{name}:{number}: a line of {size} bytes: Asterisk "
                                       f"skips lines longer than {LINE_BYTES} bytes")
