"""The one command layer: the HTTP API, the local control socket (and so the CLI) run the
same commands, by name, with the same argument checks, role checks, audit rows and errors.
A front door only translates: a URL or a JSON line into ``(name, args)``, and an error class
into its own answer (``callcenter.api.errors`` for HTTP). Each handler is declared with its
arguments (:func:`command`, :mod:`callcenter.arguments`): they are checked here, after the
role check and before the handler runs, and the handler reads them checked.

Who asks travels with each command (:class:`Actor`): :mod:`callcenter.permissions` decides
whether they may, before the command runs; the audit trail (:mod:`callcenter.audit`) gets a
row for every state-changing command, every read of a caller's unmasked number, and every
refusal — whatever the door.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

import structlog

from callcenter import permissions
from callcenter.actors import LOCAL, Actor
from callcenter.arguments import Arguments
from callcenter.audit import NOTES, OK, AuditEntry, AuditTrail
from callcenter.clock import iso_seconds
from callcenter.errors import (
    CallCenterError,
    EngineControlError,
    Forbidden,
    ServiceUnavailable,
    UnknownCommand,
)

log = structlog.get_logger("commands")

Args = Mapping[str, Any]  # as given, before their check
# the arguments that name what a command acts on, as the audit row shows them
TARGETS = {"agent": "agent", "ticket": "ticket", "earlier": "earlier ticket",
           "callback": "callback", "name": "user", "session": "monitor session",
           "call": "call", "request": "user request"}
DETAILS = ("reason", "destination", "mode", "role", "config", "device",
           "article", "queue", "position", "to_queue")  # shown in the audit row


A = TypeVar("A", bound=Arguments)


class Declared(Generic[A]):
    """A command's handler with the declaration of its arguments (:mod:`callcenter.arguments`):
    the handler gets them checked. Called with the arguments as given, it checks them first
    (``Commands.run`` checks them itself, after the role check)."""

    __slots__ = ("arguments", "rule", "run")

    def __init__(self, arguments: type[A], run: Callable[[A, Actor], Awaitable[Any]],
                 rule: permissions.Rule | None = None) -> None:
        self.arguments = arguments
        self.run = run
        # who may run it, declared by a capability with the command (None: the table of
        # callcenter.permissions, where the commands written before plug-ins have theirs)
        self.rule = rule

    async def __call__(self, args: Args, actor: Actor) -> Any:
        return await self.run(self.arguments.check(args), actor)


def command(arguments: type[A], rule: permissions.Rule | None = None,
            ) -> Callable[[Callable[[A, Actor], Awaitable[Any]]], Declared[A]]:
    """``@command(TransferStart)`` over ``async def start(args: TransferStart, actor)``;
    ``rule``: who may run it (a new capability declares it here)."""

    def declared(run: Callable[[A, Actor], Awaitable[Any]]) -> Declared[A]:
        return Declared(arguments, run, rule)

    return declared


Handler = Declared[Any]


class Commands:
    """Commands by name: ``run`` checks the actor's role, runs, and writes the audit row."""

    def __init__(self, handlers: Mapping[str, Handler],
                 audit: Callable[[], AuditTrail | None],
                 clock: Callable[[], datetime]) -> None:
        undeclared = sorted(name for name, handler in handlers.items()
                            if not isinstance(handler, Declared))
        if undeclared:  # (a test's stand-in, or a plug-in written before declarations)
            raise EngineControlError(f"commands without a declaration of their arguments: "
                                     f"{', '.join(undeclared)}")
        self._handlers = dict(handlers)
        self._audit = audit
        self._clock = clock

    @property
    def names(self) -> list[str]:
        return sorted(self._handlers)

    def arguments(self, name: str) -> type[Arguments]:
        """What ``name`` takes (its declaration)."""
        return self._handlers[name].arguments

    def rule(self, name: str) -> permissions.Rule:
        """Who may run ``name``: declared with it, or the permissions table's."""
        declared = self._handlers[name].rule
        return declared if declared is not None else permissions.rule(name)

    async def run(self, name: str, args: Args, actor: Actor = LOCAL) -> Any:
        NOTES.set(())  # what the handler adds to its audit row (callcenter.audit.note)
        handler = self._handlers.get(name)
        if handler is None:
            raise UnknownCommand(f"unknown command {name!r} (known: {', '.join(self.names)})")
        try:
            rule = permissions.check(actor, name, args, handler.rule)
        except Forbidden as exc:
            await self._record(actor, name, args, exc.error_id, exc.message)
            raise
        audited = rule.changes or rule.shows_number or rule.shows_secret or rule.read_audited
        trail = self._audit()
        if audited and trail is None:
            raise ServiceUnavailable("the audit trail is not open yet: nothing is done "
                                     "unrecorded")
        try:
            result = await handler.run(handler.arguments.check(args), actor)
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
