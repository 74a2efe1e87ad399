"""The commands on people and the audit trail (admin, or root through the control socket):
``user.add``, ``user.list``, ``user.revoke``, ``user.reset``, ``user.requests``,
``user.approve``, ``user.refuse``, ``audit.list``. They need only the store, so the CLI runs
them through the same command layer when the engine is down.

Root (the server's command line) adds and resets users at once. An admin over the web only
asks: the request waits for root's approval on the server (:mod:`callcenter.users.requests`),
who is then shown the new credentials once, to hand to the person."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from callcenter.actors import Actor, Role
from callcenter.audit import AuditTrail, note
from callcenter.commands import Args, Handler, number, text
from callcenter.errors import CommandError, ServiceUnavailable, UnknownAgent
from callcenter.store.db import row_id
from callcenter.users.requests import UserRequests
from callcenter.users.store import Credentials, Users

PENDING = "pending"  # a result's key: the request a second admin must approve


def since_of(value: str) -> datetime | None:
    """``2026-11-30`` or ``2026-11-30T08:00`` (local time unless it names its zone)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.astimezone()).astimezone(UTC)
    except (ValueError, OverflowError):  # not a date; a date no clock can say (0001-01-01)
        raise CommandError(f"时间 {value[:40]!r} 不是 2026-11-30 或 2026-11-30T08:00 这样的"
                           f"日期") from None


def _shown(credentials: Credentials) -> dict[str, Any]:
    user = credentials.user
    return {"name": user.name, "role": str(user.role), "agent": user.agent,
            "password": credentials.password, "token": credentials.token}


def people_handlers(users: Callable[[], Users | None], audit: Callable[[], AuditTrail | None],
                    known_agents: Callable[[], Collection[str]],
                    clock: Callable[[], datetime],
                    requests: Callable[[], UserRequests | None] = lambda: None,
                    ) -> dict[str, Handler]:
    def open_users() -> Users:
        found = users()
        if found is None:
            raise ServiceUnavailable("用户库尚未打开，请稍后再试")
        return found

    def open_requests() -> UserRequests:
        found = requests()
        if found is None:
            raise ServiceUnavailable("用户库尚未打开，请稍后再试")
        return found

    async def add(args: Args, actor: Actor) -> Any:
        name, role = text(args, "name"), text(args, "role")
        agent = text(args, "agent", required=False)
        if agent and agent not in known_agents():
            raise UnknownAgent(f"未知的座席 {agent!r}（agents.yaml 中有："
                               f"{', '.join(sorted(known_agents())) or '无'}）")
        if actor.role is Role.ROOT:
            return _shown(await open_users().add(name, role, agent, clock()))
        await open_users().check_new(name, role, agent)
        asked = await open_requests().ask("add", name, role, agent, actor.name, clock())
        note(f"request {asked.id}")
        return {PENDING: asked.shown()}

    async def reset(args: Args, actor: Actor) -> Any:
        name = text(args, "name")
        if actor.role is Role.ROOT:
            return _shown(await open_users().reset(name, clock()))
        user = await open_users().get(name)
        asked = await open_requests().ask("reset", name, str(user.role), user.agent,
                                          actor.name, clock())
        note(f"request {asked.id}")
        return {PENDING: asked.shown()}

    async def pending(_args: Args, _actor: Actor) -> Any:
        return [r.shown() for r in await open_requests().pending(clock())]

    async def approve(args: Args, actor: Actor) -> Any:
        asked, store = open_requests(), open_users()
        request = await asked.get(row_id(text(args, "request")), clock())
        note(f"{request.action} {request.name} asked by {request.requested_by}")
        if request.action == "add":  # still possible: nothing is decided otherwise
            await store.check_new(request.name, request.role, request.agent)
        await asked.decide(request.id, True, actor.name, clock())
        made = (await store.add(request.name, request.role, request.agent, clock())
                if request.action == "add" else await store.reset(request.name, clock()))
        return {**_shown(made), "request": request.id}

    async def refuse(args: Args, actor: Actor) -> Any:
        request = await open_requests().decide(row_id(text(args, "request")), False,
                                               actor.name, clock())
        note(f"{request.action} {request.name} asked by {request.requested_by}")
        return {"request": request.id, "refused": True}

    async def revoke(args: Args, _actor: Actor) -> Any:
        user = await open_users().revoke(text(args, "name"), clock())
        return {"name": user.name, "revoked": True}

    async def listed(_args: Args, _actor: Actor) -> Any:
        return await open_users().list()

    async def audit_rows(args: Args, _actor: Actor) -> Any:
        trail = audit()
        if trail is None:
            raise ServiceUnavailable("审计记录尚未打开，请稍后再试")
        return await trail.rows(since=since_of(text(args, "since", required=False)),
                                user=text(args, "user", required=False),
                                action=text(args, "action", required=False),
                                result=text(args, "result", required=False),
                                limit=number(args, "limit", 1000, 100_000))

    async def ended(args: Args, _actor: Actor) -> Any:
        """The server's command line revoked or reset a user in the store: the running
        engine ends their event streams and softphone sockets now (not at the next check)."""
        name = text(args, "name")
        open_users().endings.user_ended(name)
        return {"name": name, "ended": True}

    return {"user.add": add, "user.reset": reset, "user.revoke": revoke, "user.list": listed,
            "user.requests": pending, "user.approve": approve, "user.refuse": refuse,
            "user.ended": ended, "audit.list": audit_rows}
