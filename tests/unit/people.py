"""Users of every role on a temporary store, and the HTTP app signed in as them: the
harness the API and command-layer tests share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from callcenter.actors import Actor
from callcenter.admin import plugin as admin_plugin
from callcenter.api.server import build_app
from callcenter.audit import AuditTrail
from callcenter.commands import Commands, Handler
from callcenter.desktop import plugin as desktop_plugin
from callcenter.engine_commands import engine_commands
from callcenter.knowledge import plugin as knowledge_plugin
from callcenter.store.db import Store
from callcenter.supervision import plugin as supervision_plugin
from callcenter.tickets import plugin as tickets_plugin
from callcenter.transfers import plugin as transfers_plugin
from callcenter.users import plugin as users_plugin
from callcenter.users.commands import people_handlers
from callcenter.users.requests import UserRequests
from callcenter.users.signin import SignIn, actor_of
from callcenter.users.store import User, Users
from callcenter.wallboard import plugin as wallboard_plugin

PEOPLE = (("li", "agent", "1001"), ("wang", "agent", "1002"), ("zhao", "supervisor", ""),
          ("chen", "admin", ""))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Door:
    store: Store
    users: Users
    trail: AuditTrail
    signin: SignIn
    commands: Commands
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    who: dict[str, User] = field(default_factory=dict)

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def actor(self, name: str, via: str = "http") -> Actor:
        return actor_of(self.who[name], via, "127.0.0.1")

    def app(self, ticket_events: Any = None, agent_events: Any = None,
            wallboard_events: Any = None, phone: Any = None) -> Any:
        """The engine's web application: its own routes and every capability's, as the
        engine's plug-ins add them (with these event buses)."""
        return build_app(self.signin, self.commands.run,
                         capability_routes(ticket_events, agent_events, wallboard_events),
                         phone=phone)

    async def audit(self) -> list[dict[str, Any]]:
        return await self.trail.rows()


async def open_door(tmp_path: Path, engine: Any,
                    more: Mapping[str, Handler] | None = None) -> Door:
    """``engine``: a fake with the EngineParts the commands need (tests/unit/test_api.py);
    ``more``: another handler group (e.g. the knowledge base's)."""
    store = await Store.open(tmp_path / "people.sqlite3")
    users, trail, clock = Users(store), AuditTrail(store), Clock()
    engine.audit_trail = lambda: trail
    requests = UserRequests(store)
    people = people_handlers(lambda: users, lambda: trail, lambda: ("1001", "1002"), clock,
                             lambda: requests)
    people |= {**engine.handlers(), **(more or {})}
    door = Door(store, users, trail,
                SignIn(lambda: users, lambda: trail, clock, timedelta(hours=12)),
                engine_commands(engine, people, clock), clock)
    for name, role, agent in PEOPLE:
        made = await users.add(name, role, agent, clock())
        door.tokens[name], door.passwords[name], door.who[name] = (made.token, made.password,
                                                                   made.user)
    return door


def capability_routes(ticket_events: Any = None, agent_events: Any = None,
                      wallboard_events: Any = None) -> list[Any]:
    """The capabilities' routes in the engine's order (callcenter/app.py)."""
    return [tickets_plugin.routes(ticket_events), transfers_plugin.routes,
            desktop_plugin.routes(agent_events), wallboard_plugin.routes(wallboard_events),
            supervision_plugin.routes, knowledge_plugin.routes, users_plugin.routes,
            admin_plugin.routes]
