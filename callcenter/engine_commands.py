"""The engine's command set: every capability's commands on the engine's live parts, and
the engine's own (``status``, ``reload``). Part of the composition root (app.py builds it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from callcenter.actors import LOCAL, Actor
from callcenter.agents.commands import agent_handlers
from callcenter.agents.desk import AgentDesk
from callcenter.audit import AuditTrail
from callcenter.commands import Args, Commands, Handler, text
from callcenter.tickets.commands import ticket_handlers
from callcenter.tickets.store import Tickets
from callcenter.transfers.commands import handoff_handlers, transfer_handlers
from callcenter.transfers.desk import TransferDesk
from callcenter.transfers.records import TransferRecords


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


def engine_handlers(engine: EngineParts) -> dict[str, Handler]:
    """The commands on the engine's live parts (agents, transfers, tickets, status)."""

    async def status(_args: Args, _actor: Actor) -> Any:
        return engine.snapshot()

    async def reload(args: Args, actor: Actor) -> Any:
        # the server's own command line (`run.py reload`) has reconfigured Asterisk first
        local = actor.via == LOCAL.via
        directory = text(args, "config", required=False) if local else ""
        return await engine.reload(directory or None, asterisk_too=local)

    return {"status": status, "reload": reload,
            **agent_handlers(engine.agent_desk),
            **transfer_handlers(engine.transfer_desk, engine.hotlines_destinations),
            **ticket_handlers(engine.tickets),
            **handoff_handlers(lambda: engine.transfer_records)}


def engine_commands(engine: EngineParts, more: Mapping[str, Handler],
                    clock: Callable[[], datetime]) -> Commands:
    """The one command layer of a running engine: its own commands and ``more`` (the other
    capabilities' groups)."""
    return Commands({**engine_handlers(engine), **more}, engine.audit_trail, clock)
