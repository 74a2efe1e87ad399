"""The engine's command set: its own commands (``status``, ``reload``, the agents' and their
softphones') and every capability's. Part of the composition root (app.py builds it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from callcenter.actors import LOCAL, Actor
from callcenter.agents.commands import agent_handlers
from callcenter.agents.desk import AgentDesk
from callcenter.arguments import Arguments, NoArguments, Text
from callcenter.audit import AuditTrail
from callcenter.commands import Commands, Handler, command


class EngineParts(Protocol):
    """What the engine's own commands act on (the engine provides it)."""

    agent_desk: AgentDesk

    def snapshot(self) -> dict[str, Any]: ...

    async def reload(self, directory: str | None, *,
                     asterisk_too: bool = True) -> dict[str, Any]: ...

    def audit_trail(self) -> AuditTrail | None: ...


class Reload(Arguments):
    config: Text = ""
    """the configuration directory (the server's command line only; else the engine's own)"""


def engine_handlers(engine: EngineParts) -> dict[str, Handler]:
    """The engine's own commands (status, reload) and the agents'."""

    @command(NoArguments)
    async def status(_args: NoArguments, _actor: Actor) -> Any:
        return engine.snapshot()

    @command(Reload)
    async def reload(args: Reload, actor: Actor) -> Any:
        # the server's own command line (`run.py reload`) has reconfigured Asterisk first
        local = actor.via == LOCAL.via
        directory = args.config if local else ""
        return await engine.reload(directory or None, asterisk_too=local)

    return {"status": status, "reload": reload, **agent_handlers(engine.agent_desk)}


def engine_commands(engine: EngineParts, more: Mapping[str, Handler],
                    clock: Callable[[], datetime]) -> Commands:
    """The one command layer of a running engine: its own commands and ``more`` (the
    capabilities')."""
    return Commands({**engine_handlers(engine), **more}, engine.audit_trail, clock)
