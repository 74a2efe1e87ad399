"""People: users and their roles, the requests root approves, sign-in and sessions (the
front door's wall: the engine's HTTP server asks this capability's SignIn)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from callcenter.capability import Capability, Context
from callcenter.clock import wall_clock
from callcenter.ports import UNITS
from callcenter.store.db import Store
from callcenter.users.commands import people_handlers
from callcenter.users.http import add_routes as routes
from callcenter.users.requests import UserRequests
from callcenter.users.signin import SignIn
from callcenter.users.store import Users


def load(context: Context) -> Capability:
    users: list[Users] = []
    requests: list[UserRequests] = []
    context.parts.provide(SignIn(lambda: users[0] if users else None, context.audit,
                                 wall_clock,
                                 timedelta(hours=context.config().engine.api.session_hours)))

    async def opened(store: Store) -> None:
        users[:], requests[:] = [Users(store)], [UserRequests(store)]

    def known_units() -> Collection[str] | None:
        units = context.parts.find(UNITS)
        return units.unit_ids() if units is not None else None

    commands = people_handlers(lambda: users[0] if users else None, context.audit,
                               lambda: context.config().agents.agents, wall_clock,
                               lambda: requests[0] if requests else None, known_units)
    return Capability("people", commands=commands, routes=routes, opened=opened)
