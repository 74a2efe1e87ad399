"""A capability as the engine loads it.

Each capability's ``plugin.py`` has ``load(context) -> Capability``: it builds its own parts
from what the engine shares (:class:`Context`: the configuration, AMI, the calls, the agents,
the hub, the store, the call log, the clock) and declares what it adds in one value. The
engine loads the plug-ins listed in :mod:`callcenter.plugins`, in order; it subscribes their
event handlers to the hub (in that order, after the decision core), puts their commands into
the one command layer, hands their routes to the HTTP server, runs their tasks supervised,
applies their store migrations and calls their hooks — without knowing what any of them does.

Capabilities reach one another only through the ports of :mod:`callcenter.ports`: one
provides a part under a port (``context.parts.provide(desk, TICKETS)``), another looks it up
when it needs it (``context.parts.find(TICKETS)``: by then every plug-in is loaded; None if
the capability is not loaded)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from callcenter.ami import events as ev
from callcenter.ami.client import ActionSender
from callcenter.audit import AuditTrail
from callcenter.calllog.writer import CallLog
from callcenter.calls.state import LiveCall
from callcenter.commands import Handler
from callcenter.config.loader import Config
from callcenter.core import CallCenterCore
from callcenter.errors import EngineControlError
from callcenter.paths import Paths
from callcenter.ports import Port
from callcenter.routing.decide import Router
from callcenter.secrets import Secrets
from callcenter.store.db import Migration, Store
from callcenter.web.request import Json, Runner

EventHandler = Callable[[Any, float], None]
# adds the capability's routes; ``run`` runs a command as the request's person, ``json``
# answers with a result
Routes = Callable[[web.Application, Runner, Json], None]
Work = Callable[[], Coroutine[Any, Any, Any]]
T = TypeVar("T")
P = TypeVar("P")


class Parts:
    """The parts capabilities offer one another: each under its own class, and under the
    ports (:class:`callcenter.ports.Port`: a protocol's key) it serves."""

    def __init__(self) -> None:
        self._parts: dict[object, object] = {}

    def provide(self, part: P, *ports: Port[P]) -> P:
        """``part`` under its own class and under each of ``ports``."""
        for key in (type(part), *ports):
            if key in self._parts:
                raise EngineControlError(f"two capabilities provide {key}")
            self._parts[key] = part
        return part

    def get(self, key: Port[T] | type[T]) -> T:
        part = self._parts.get(key)
        if part is None:
            raise EngineControlError(f"no capability provides {key}")
        return part  # type: ignore[return-value]

    def find(self, key: Port[T] | type[T]) -> T | None:
        """``key``'s part, or None if no capability loaded provides it."""
        return self._parts.get(key)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Context:
    """What the engine shares with every capability."""

    config: Callable[[], Config]  # the configuration in force (after any reload)
    paths: Paths
    secrets: Secrets
    send: ActionSender  # an AMI action; AmiActionFailed / AmiNotConnected
    core: CallCenterCore  # the calls, the agents, the queues (read; the core decides)
    publish: Callable[[object, float], None]  # a domain event on the hub
    call_log: CallLog
    store: Callable[[], Store | None]  # once open
    audit: Callable[[], AuditTrail | None]  # once the store is open
    # a short task, kept until done, its failure logged
    spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]]
    clock: Callable[[], float]  # seconds since the epoch, as logged
    parts: Parts = field(default_factory=Parts)

    @property
    def router(self) -> Router:
        return self.core.router

    def queue_title(self, queue: str) -> str:
        """A queue as people know it (queues.yaml's title)."""
        found = self.config().queues.queues.get(queue)
        return found.title if found is not None and found.title else queue


@dataclass(frozen=True, slots=True)
class Capability:
    name: str
    # events it reads from the hub, by type (() for every event): AMI events
    # (callcenter/ami/events.py) and the domain's (callcenter/calls/state.py's notices, the
    # agent desk's outcomes, callcenter/ports.py's)
    events: Sequence[tuple[EventHandler, tuple[type, ...]]] = ()
    commands: Mapping[str, Handler] = field(default_factory=dict)
    routes: Routes | None = None
    # long-running work, supervised (restarted; the engine stops if it keeps failing)
    tasks: Mapping[str, Work] = field(default_factory=dict)
    # its tables: applied in order when the store opens, each once (store/db.py)
    migrations: Sequence[Migration] = ()
    # the store is open (read what was kept)
    opened: Callable[[Store], Awaitable[None]] | None = None
    # open its own listening sockets (EngineControlError if it cannot: the engine stops)
    listen: Callable[[], Awaitable[None]] | None = None
    # the engine is listening (start background work that may take a while)
    started: Callable[[], None] | None = None
    # after an AMI (re)connect rebuilt the calls: the channels Asterisk listed
    resynced: Callable[[Iterable[ev.CoreShowChannel], Iterable[LiveCall], float],
                       Awaitable[None]] | None = None
    tick: Callable[[float], None] | None = None  # at least once a second
    reconfigure: Callable[[Config, Router], None] | None = None
    # its sections of `status`, by name
    snapshot: Callable[[], Mapping[str, object]] | None = None
    # at a stop, while AMI is still connected (hang up what it placed)
    stopping: Callable[[], Awaitable[None]] | None = None
    close: Callable[[], Awaitable[None]] | None = None  # at a stop, after the front doors
