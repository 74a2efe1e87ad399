"""The commands on people and the audit trail (admin, or root through the control socket):
``user.add``, ``user.list``, ``user.revoke``, ``user.reset``, ``audit.list``. They need only
the store, so the CLI runs them through the same command layer when the engine is down."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from callcenter.actors import Actor
from callcenter.audit import AuditTrail
from callcenter.commands import Args, Handler, number, text
from callcenter.errors import CommandError, ServiceUnavailable, UnknownAgent
from callcenter.users.store import Credentials, Users


def since_of(value: str) -> datetime | None:
    """``2026-11-30`` or ``2026-11-30T08:00`` (local time unless it names its zone)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.astimezone()).astimezone(UTC)
    except (ValueError, OverflowError):  # not a date; a date no clock can say (0001-01-01)
        raise CommandError(f"since {value[:40]!r} is not a date like 2026-11-30 or "
                           f"2026-11-30T08:00") from None


def _shown(credentials: Credentials) -> dict[str, Any]:
    user = credentials.user
    return {"name": user.name, "role": str(user.role), "agent": user.agent,
            "password": credentials.password, "token": credentials.token}


def people_handlers(users: Callable[[], Users | None], audit: Callable[[], AuditTrail | None],
                    known_agents: Callable[[], Collection[str]],
                    clock: Callable[[], datetime]) -> dict[str, Handler]:
    def open_users() -> Users:
        found = users()
        if found is None:
            raise ServiceUnavailable("the user store is not open yet")
        return found

    async def add(args: Args, _actor: Actor) -> Any:
        agent = text(args, "agent", required=False)
        if agent and agent not in known_agents():
            raise UnknownAgent(f"unknown agent {agent!r} (agents.yaml lists "
                               f"{', '.join(sorted(known_agents())) or 'none'})")
        return _shown(await open_users().add(text(args, "name"), text(args, "role"), agent,
                                             clock()))

    async def reset(args: Args, _actor: Actor) -> Any:
        return _shown(await open_users().reset(text(args, "name"), clock()))

    async def revoke(args: Args, _actor: Actor) -> Any:
        user = await open_users().revoke(text(args, "name"), clock())
        return {"name": user.name, "revoked": True}

    async def listed(_args: Args, _actor: Actor) -> Any:
        return await open_users().list()

    async def audit_rows(args: Args, _actor: Actor) -> Any:
        trail = audit()
        if trail is None:
            raise ServiceUnavailable("the audit trail is not open yet")
        return await trail.rows(since=since_of(text(args, "since", required=False)),
                                user=text(args, "user", required=False),
                                limit=number(args, "limit", 1000, 100_000))

    return {"user.add": add, "user.reset": reset, "user.revoke": revoke, "user.list": listed,
            "audit.list": audit_rows}
