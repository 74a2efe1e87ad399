"""The one command layer behind every front door: the HTTP API, the local control socket (and
so the CLI) run the same commands, by name, with the same argument checks and the same
errors. A front door only translates: a URL or a JSON line into ``(name, args)``, and an
error class into its own answer (``callcenter.api.errors`` for HTTP).

Who asks travels with each command (:class:`Actor`), so that role checks and the audit trail
sit here, once, for every front door.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import structlog

from callcenter.actors import LOCAL, Actor
from callcenter.agents.desk import AgentDesk
from callcenter.errors import CommandError, ServiceUnavailable, UnknownAgent, UnknownCommand
from callcenter.store.db import row_id
from callcenter.tickets.store import Tickets
from callcenter.transfers.desk import TransferDesk

log = structlog.get_logger("commands")

Args = Mapping[str, Any]
Handler = Callable[[Args], Awaitable[Any]]




class EngineParts(Protocol):
    """What the commands act on (the engine provides it)."""

    agent_desk: AgentDesk
    transfer_desk: TransferDesk

    def snapshot(self) -> dict[str, Any]: ...

    def tickets(self) -> Tickets | None: ...

    def hotlines_destinations(self) -> list[dict[str, object]]: ...

    async def reload(self, directory: str | None) -> dict[str, Any]: ...


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


def flag(args: Args, name: str, default: bool) -> bool:
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise CommandError(f"{name!r} must be true or false")
    return value


class Commands:
    def __init__(self, engine: EngineParts) -> None:
        self.engine = engine
        agents, transfers = engine.agent_desk, engine.transfer_desk
        self._handlers: dict[str, Handler] = {
            "status": self._status,
            "reload": self._reload,
            "agent.list": self._agent_list,
            "agent.login": lambda a: agents.login(text(a, "agent")),
            "agent.logout": lambda a: agents.logout(text(a, "agent")),
            "agent.pause": lambda a: agents.pause(text(a, "agent"), text(a, "reason",
                                                                          required=False)),
            "agent.unpause": lambda a: agents.unpause(text(a, "agent")),
            "transfer.start": lambda a: transfers.start(
                text(a, "agent"), text(a, "destination"),
                text(a, "mode", required=False, default="conference"),
                wait=flag(a, "wait", True)),
            "transfer.complete": lambda a: transfers.complete(text(a, "agent")),
            "transfer.cancel": lambda a: transfers.cancel(text(a, "agent")),
            "transfer.list": self._transfer_list,
            "transfer.destinations": self._destinations,
            "ticket.get": self._ticket_get,
            "ticket.confirm": self._ticket_confirm,
        }

    @property
    def names(self) -> list[str]:
        return sorted(self._handlers)

    async def run(self, name: str, args: Args, actor: Actor = LOCAL) -> Any:
        handler = self._handlers.get(name)
        if handler is None:
            raise UnknownCommand(f"unknown command {name!r} (known: {', '.join(self.names)})")
        return await handler(args)

    # -- the commands that are more than a call ------------------------------------------------

    async def _status(self, _args: Args) -> Any:
        return self.engine.snapshot()

    async def _reload(self, args: Args) -> Any:
        return await self.engine.reload(text(args, "config", required=False) or None)

    async def _agent_list(self, args: Args) -> Any:
        agents = self.engine.agent_desk.snapshot()
        wanted = text(args, "agent", required=False)
        if not wanted:
            return agents
        found = [a for a in agents if a["agent"] == wanted]
        if not found:
            raise UnknownAgent(f"unknown agent {wanted!r}")
        return found

    async def _transfer_list(self, _args: Args) -> Any:
        return self.engine.transfer_desk.snapshot()

    async def _destinations(self, _args: Args) -> Any:
        return self.engine.hotlines_destinations()

    def _tickets(self) -> Tickets:
        tickets = self.engine.tickets()
        if tickets is None:
            raise ServiceUnavailable("the ticket store is not open yet")
        return tickets

    async def _ticket_get(self, args: Args) -> Any:
        return await self._tickets().get(row_id(text(args, "ticket")))

    async def _ticket_confirm(self, args: Args) -> Any:
        tickets = self._tickets()
        ticket_id = row_id(text(args, "ticket"))
        await tickets.get(ticket_id)  # NoSuchRow before anything is written
        fields = args.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise CommandError('"fields" must be an object like {"phone": "…"}')
        await tickets.confirm(ticket_id, fields)
        log.info("ticket.confirmed", ticket=ticket_id, fields=sorted(fields))
        return await tickets.get(ticket_id)

