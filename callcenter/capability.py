"""A capability as the engine loads it: what it adds, declared in one value. The engine
subscribes its event handlers to the hub (in the order the capabilities are listed), puts its
commands into the one command layer, hands its routes to the HTTP server, gives it every
reloaded configuration, and closes it at a stop — without knowing what it does.

Each capability's ``plugin.py`` builds its :class:`Capability` from its own parts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from callcenter.commands import Handler
from callcenter.config.loader import Config
from callcenter.routing.decide import Router
from callcenter.web.request import Json, Runner

EventHandler = Callable[[Any, float], None]
# adds the capability's routes; ``run`` runs a command as the request's person, ``json``
# answers with a result
Routes = Callable[[web.Application, Runner, Json], None]


@dataclass(frozen=True, slots=True)
class Capability:
    name: str
    # AMI events it reads (typed, callcenter/ami/events.py), by type (() for every event)
    events: Sequence[tuple[EventHandler, tuple[type, ...]]] = ()
    commands: Mapping[str, Handler] = field(default_factory=dict)
    routes: Routes | None = None
    reconfigure: Callable[[Config, Router], None] | None = None
    close: Callable[[], Awaitable[None]] | None = None
