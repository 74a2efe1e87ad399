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
from typing import Any, Protocol

import structlog

from callcenter import permissions
from callcenter.actors import LOCAL, Actor, Role
from callcenter.agents.desk import AgentDesk
from callcenter.audit import NOTES, OK, AuditEntry, AuditTrail
from callcenter.clock import iso_seconds
from callcenter.errors import (
    CallCenterError,
    CommandError,
    Forbidden,
    ServiceUnavailable,
    UnknownAgent,
    UnknownCommand,
)
from callcenter.store.db import row_id
from callcenter.tickets.store import Tickets
from callcenter.transfers.desk import TransferDesk
from callcenter.transfers.records import TransferRecords

log = structlog.get_logger("commands")

Args = Mapping[str, Any]
Handler = Callable[[Args, Actor], Awaitable[Any]]
# the arguments that name what a command acts on, as the audit row shows them
TARGETS = {"agent": "agent", "ticket": "ticket", "earlier": "earlier ticket",
           "callback": "callback", "name": "user", "session": "monitor session",
           "call": "call", "request": "user request"}
DETAILS = ("reason", "destination", "mode", "role", "config", "device",
           "article", "queue", "position", "to_queue")  # shown in the audit row


class EngineParts(Protocol):
    """What the commands act on (the engine provides it)."""

    agent_desk: AgentDesk
    transfer_desk: TransferDesk
    transfer_records: TransferRecords | None

    def snapshot(self) -> dict[str, Any]: ...

    def tickets(self) -> Tickets | None: ...

    def hotlines_destinations(self) -> list[dict[str, object]]: ...

    async def reload(self, directory: str | None, *,
                     asterisk_too: bool = True) -> dict[str, Any]: ...

    def audit_trail(self) -> AuditTrail | None: ...



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

    @classmethod
    def of_engine(cls, engine: EngineParts, people: Mapping[str, Handler],
                  clock: Callable[[], datetime]) -> Commands:
        return cls({**engine_handlers(engine), **people}, engine.audit_trail, clock)

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


def engine_handlers(engine: EngineParts) -> dict[str, Handler]:
    """The commands on the engine's live parts (agents, transfers, tickets, status)."""
    agents, transfers = engine.agent_desk, engine.transfer_desk

    async def status(_args: Args, _actor: Actor) -> Any:
        return engine.snapshot()

    async def reload(args: Args, actor: Actor) -> Any:
        # the server's own command line (`run.py reload`) has reconfigured Asterisk first
        local = actor.via == LOCAL.via
        directory = text(args, "config", required=False) if local else ""
        return await engine.reload(directory or None, asterisk_too=local)

    async def agent_list(args: Args, actor: Actor) -> Any:
        rows = permissions.own_rows(actor, agents.snapshot())
        wanted = text(args, "agent", required=False)
        if not wanted:
            return rows
        found = [a for a in rows if a["agent"] == wanted]
        if not found:
            raise UnknownAgent(f"unknown agent {wanted!r}")
        return found

    async def transfer_list(_args: Args, actor: Actor) -> Any:
        return permissions.own_rows(actor, engine.transfer_desk.snapshot())

    async def destinations(_args: Args, _actor: Actor) -> Any:
        return engine.hotlines_destinations()

    return {
        "status": status,
        "reload": reload,
        "agent.list": agent_list,
        "agent.login": lambda a, _: agents.login(
            text(a, "agent"), text(a, "device", required=False, default="sip")),
        # a person's 签出 waits for the call's end; the server's CLI (root) may force it
        "agent.logout": lambda a, actor: agents.logout(
            text(a, "agent"), refuse_on_call=actor.role is not Role.ROOT),
        "agent.pause": lambda a, _: agents.pause(text(a, "agent"),
                                                 text(a, "reason", required=False)),
        "agent.unpause": lambda a, actor: agents.unpause(text(a, "agent"),
                                                         own=actor.role is Role.AGENT),
        "transfer.start": lambda a, _: transfers.start(
            text(a, "agent"), text(a, "destination"),
            text(a, "mode", required=False, default="conference"), wait=flag(a, "wait", True)),
        "transfer.complete": lambda a, _: transfers.complete(text(a, "agent")),
        "transfer.cancel": lambda a, _: transfers.cancel(text(a, "agent")),
        "transfer.list": transfer_list,
        "transfer.destinations": destinations,
        **store_handlers(engine.tickets, lambda: engine.transfer_records),
    }


def store_handlers(tickets_of: Callable[[], Tickets | None],
                   records_of: Callable[[], TransferRecords | None]) -> dict[str, Handler]:
    """The commands on what the store keeps (tickets, hand-offs): they need no live engine,
    so the CLI runs them through this same layer (role check, audit row) when it is down."""

    def tickets() -> Tickets:
        found = tickets_of()
        if found is None:
            raise ServiceUnavailable("the ticket store is not open yet")
        return found

    async def ticket_get(args: Args, actor: Actor) -> Any:
        ticket = await tickets().get(row_id(text(args, "ticket")))
        permissions.check_ticket(actor, ticket)
        return ticket

    async def ticket_watch(args: Args, actor: Actor) -> Any:
        """Whether ``actor`` may follow the ticket live (its stream is opened only then; the
        ticket itself is read, and audited, by ``ticket.get``)."""
        ticket = await tickets().get(row_id(text(args, "ticket")))
        permissions.check_ticket(actor, ticket)
        return {"ticket": ticket["id"], "agent": ticket.get("agent") or ""}

    async def ticket_confirm(args: Args, actor: Actor) -> Any:
        store = tickets()
        ticket_id = row_id(text(args, "ticket"))
        # NoSuchRow, Forbidden before anything is written
        permissions.check_ticket(actor, await store.get(ticket_id))
        fields = args.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise CommandError('"fields" must be an object like {"phone": "…"}')
        await store.confirm(ticket_id, fields)
        log.info("ticket.confirmed", ticket=ticket_id, fields=sorted(fields))
        return await store.get(ticket_id)

    async def ticket_list(args: Args, _actor: Actor) -> Any:
        return await tickets().recent(number(args, "limit", 20, 1000))

    async def handoff_list(args: Args, _actor: Actor) -> Any:
        records = records_of()
        if records is None:
            raise ServiceUnavailable("the store is not open yet")
        ticket = text(args, "ticket", required=False)
        return await records.handoffs(
            destination=text(args, "destination", required=False),
            ticket_id=row_id(ticket) if ticket else None,
            limit=number(args, "limit", 50, 1000))

    return {"ticket.get": ticket_get, "ticket.watch": ticket_watch,
            "ticket.confirm": ticket_confirm,
            "ticket.list": ticket_list, "handoff.list": handoff_list}
