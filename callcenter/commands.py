"""The one command layer: the HTTP API, the local control socket (and so the CLI) run the
same commands, by name, with the same argument checks, role checks, audit rows and errors.
A front door only translates: a URL or a JSON line into ``(name, args)``, and an error class
into its own answer (``callcenter.api.errors`` for HTTP).

Who asks travels with each command (:class:`Actor`): :mod:`callcenter.permissions` decides
whether they may, before the command runs; the audit trail (:mod:`callcenter.audit`) gets a
row for every state-changing command, every read of a caller's unmasked number, and every
refusal — whatever the door.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import structlog

from callcenter import permissions
from callcenter.actors import LOCAL, Actor
from callcenter.audit import NOTES, OK, AuditEntry, AuditTrail
from callcenter.clock import iso_seconds
from callcenter.errors import (
    CallCenterError,
    CommandError,
    Forbidden,
    ServiceUnavailable,
    UnknownCommand,
)

log = structlog.get_logger("commands")

Args = Mapping[str, Any]
Handler = Callable[[Args, Actor], Awaitable[Any]]
# the arguments that name what a command acts on, as the audit row shows them
TARGETS = {"agent": "agent", "ticket": "ticket", "earlier": "earlier ticket",
           "callback": "callback", "name": "user", "session": "monitor session",
           "call": "call", "request": "user request"}
DETAILS = ("reason", "destination", "mode", "role", "config", "device",
           "article", "queue", "position", "to_queue")  # shown in the audit row


def text(args: Args, name: str, *, required: bool = True, default: str = "") -> str:
    """A text argument: a string (numbers are taken as their digits)."""
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise CommandError(f"{name!r} is missing")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CommandError(f"{name!r} must be text, not {type(value).__name__}")
    return str(value)


DIGITS = re.compile(r"[0-9]{1,19}")  # not str.isdigit: "²" and "①" are digits to it, not to int()


def number(args: Args, name: str, default: int, most: int) -> int:
    """A whole-number argument from 1 to ``most`` (given as digits or a number)."""
    given = text(args, name, required=False, default=str(default))
    if not DIGITS.fullmatch(given) or not 1 <= int(given) <= most:
        raise CommandError(f"{name} {given[:20]!r} is not a number from 1 to {most}")
    return int(given)


def flag(args: Args, name: str, default: bool) -> bool:
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise CommandError(f"{name!r} must be true or false")
    return value


class Commands:
    """Commands by name: ``run`` checks the actor's role, runs, and writes the audit row."""

    def __init__(self, handlers: Mapping[str, Handler],
                 audit: Callable[[], AuditTrail | None],
                 clock: Callable[[], datetime]) -> None:
        self._handlers = dict(handlers)
        self._audit = audit
        self._clock = clock

    @property
    def names(self) -> list[str]:
        return sorted(self._handlers)

    async def run(self, name: str, args: Args, actor: Actor = LOCAL) -> Any:
        NOTES.set(())  # what the handler adds to its audit row (callcenter.audit.note)
        handler = self._handlers.get(name)
        if handler is None:
            raise UnknownCommand(f"unknown command {name!r} (known: {', '.join(self.names)})")
        try:
            rule = permissions.check(actor, name, args)
        except Forbidden as exc:
            await self._record(actor, name, args, exc.error_id, exc.message)
            raise
        audited = rule.changes or rule.shows_number or rule.shows_secret
        trail = self._audit()
        if audited and trail is None:
            raise ServiceUnavailable("the audit trail is not open yet: nothing is done "
                                     "unrecorded")
        try:
            result = await handler(args, actor)
        except CallCenterError as exc:
            if audited or isinstance(exc, Forbidden):
                await self._record(actor, name, args, exc.error_id, exc.message)
            raise
        except Exception as exc:
            if audited:
                await self._record(actor, name, args, "error", type(exc).__name__)
            raise
        if audited:
            await self._record(actor, name, args, OK,
                               "caller number shown" if rule.shows_number
                               else "secret shown" if rule.shows_secret else "")
        return result

    async def _record(self, actor: Actor, name: str, args: Args, result: str,
                      note: str) -> None:
        trail = self._audit()
        if trail is None:  # a refusal before the store is open: the log keeps it
            log.warning("audit.unavailable", action=name, user=actor.name, result=result)
            return
        target = " ".join(f"{shown} {str(args[key])[:40]}" for key, shown in TARGETS.items()
                          if args.get(key))
        shown = [f"{key}={str(args[key])[:60]}" for key in DETAILS if args.get(key)]
        if isinstance(args.get("fields"), dict):
            shown.append("fields=" + ",".join(sorted(map(str, args["fields"])))[:200])
        if note:
            shown.append(note[:200])
        shown += [added[:300] for added in NOTES.get()]
        await trail.record(AuditEntry.of(actor, iso_seconds(self._clock()), name, target, result,
                                         "; ".join(shown)))
