"""A command's arguments, declared once: a class per command (or per kind of command) next to
its handler, read by every door. The command layer checks them before the handler runs
(:meth:`Arguments.check`, from :meth:`callcenter.commands.Commands.run`); the HTTP routes take
the declared fields from a body or a query string (``web/body.fields``); the command line
makes its options from them (``cli_kit.add_arguments``); the README's API table is written
from them (``python -m callcenter.api_doc``).

    class TransferStart(Arguments):
        agent: Text
        destination: Text
        mode: Text = "conference"
        wait: Flag = True

A field without a default is required; an argument the class does not declare is refused.
The kinds of field (each says what it accepts, and the error names the argument):

- ``Text``: a string; a number is taken as its digits; blank (absent, null, "") is absent;
- ``Annotated[int, Number(most)]``: a whole number from 1 to ``most``, as digits or a number
  (ASCII digits: "²" is none); blank is absent;
- ``Flag``: JSON's true or false, nothing else;
- ``Id`` / ``OptionalId``: a row id (:func:`callcenter.store.db.row_id`: NoSuchRow, 404);
- ``Value``: any JSON value, which the handler checks itself (a ticket's fields, skills).

An attribute's docstring (``use_attribute_docstrings``) is its help on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, core_schema

from callcenter.errors import CallCenterError, CommandError
from callcenter.store.db import row_id

DIGITS = re.compile(r"[0-9]{1,19}")  # not str.isdigit: "²" and "①" are digits to it, not to int()


def as_text(name: str, value: object) -> str:
    """A given value as text: a string, or a number's digits."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CommandError(f"{name!r} must be text, not {type(value).__name__}")
    return str(value)


class Kind:
    """How a field's value is read (its metadata in ``Annotated``); ``shown``: the kind as the
    README's table says it; ``blank_is_absent``: null and "" are taken as not given."""

    def __init__(self, shown: str, *, blank_is_absent: bool = True) -> None:
        self.shown = shown
        self.blank_is_absent = blank_is_absent

    def read(self, name: str, value: object) -> object:
        return as_text(name, value)

    def from_text(self, text: str) -> object:
        """The value a query string's text gives (``?overdue=true``), to be read as given."""
        return text

    def __get_pydantic_core_schema__(self, _source: Any,
                                     _handler: GetCoreSchemaHandler) -> CoreSchema:
        # the kind's own reading, whole: its errors are the engine's (never pydantic's)
        return core_schema.with_info_plain_validator_function(
            lambda value, info: self.read(info.field_name or "?", value))


class Number(Kind):
    """A whole number from 1 to ``most``; ``error``: the class its refusal is raised as."""

    def __init__(self, most: int, error: type[CallCenterError] = CommandError) -> None:
        super().__init__(f"number 1–{most}")
        self.most = most
        self.error = error

    def read(self, name: str, value: object) -> object:
        try:
            given = as_text(name, value)
            if not DIGITS.fullmatch(given) or not 1 <= int(given) <= self.most:
                raise CommandError(f"{name} {given[:20]!r} is not a number from 1 to "
                                   f"{self.most}")
        except CommandError as exc:
            raise self.error(exc.message) from None
        return int(given)


class Words(Kind):
    """Text a person writes (a reply, a reason, a note) of at most ``most`` characters."""

    def __init__(self, most: int) -> None:
        super().__init__(f"text ≤ {most} characters")
        self.most = most

    def read(self, name: str, value: object) -> object:
        given = as_text(name, value)
        if len(given) > self.most:
            raise CommandError(f"{name!r} is {len(given)} characters long: at most {self.most}")
        return given


class _Flag(Kind):
    def read(self, name: str, value: object) -> object:
        if not isinstance(value, bool):
            raise CommandError(f"{name!r} must be true or false")
        return value

    def from_text(self, text: str) -> object:
        return {"true": True, "false": False}.get(text, text)


class _Id(Kind):
    def read(self, name: str, value: object) -> object:
        return row_id(as_text(name, value))


class _Value(Kind):
    def read(self, name: str, value: object) -> object:
        return value


Text = Annotated[str, Kind("text")]
Note = Annotated[str, Words(1000)]  # a reason or a note in a history
Prose = Annotated[str, Words(5000)]  # what a citizen wrote, a unit's reply
Flag = Annotated[bool, _Flag("true/false", blank_is_absent=False)]
Id = Annotated[int, _Id("id")]
OptionalId = Annotated[int | None, _Id("id")]
Value = Annotated[Any, _Value("JSON", blank_is_absent=False)]


def kind_of(field: FieldInfo) -> Kind:
    return next(m for m in field.metadata if isinstance(m, Kind))


class Arguments(BaseModel):
    """A command's arguments, checked (:meth:`check`); a handler reads them as attributes."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> Self:
        """The arguments as given (by any door), checked: :class:`CommandError` naming the
        argument that is missing, not declared, or of the wrong kind (a kind may raise its
        own class: an id that is none is NoSuchRow)."""
        fields = cls.model_fields
        present = {name: value for name, value in given.items()
                   if not (name in fields and kind_of(fields[name]).blank_is_absent
                           and (value is None or value == ""))}
        try:
            return cls.model_validate(present)
        except ValidationError as exc:
            raise CommandError("; ".join(_said(error["type"], error["loc"], fields)
                                         for error in exc.errors())) from None


def _said(kind: str, where: tuple[int | str, ...], fields: Mapping[str, FieldInfo]) -> str:
    name = str(where[0]) if where else "?"
    if kind == "missing":
        return f"{name!r} is missing"
    if kind == "extra_forbidden":
        known = ", ".join(fields) or "none"
        return f"{name[:40]!r} is not an argument of this command (its arguments: {known})"
    return f"{name!r} is not valid ({kind})"


class NoArguments(Arguments):
    """A command that takes no argument."""
