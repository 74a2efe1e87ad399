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
from typing import Annotated, Any

from callcenter.actors import Actor, Role
from callcenter.arguments import Arguments, Id, NoArguments, Number, Text
from callcenter.audit import AuditTrail, note
from callcenter.commands import Handler, command
from callcenter.errors import CommandError, ServiceUnavailable, UnknownAgent, UserError
from callcenter.users.requests import UserRequests
from callcenter.users.store import Credentials, Users

PENDING = "pending"  # a result's key: the request a second admin must approve


class UserOnly(Arguments):
    name: Text
    """the user's name, e.g. li.ming"""


class UserAdd(UserOnly):
    role: Text
    """agent, supervisor, admin or unit"""
    agent: Text = ""
    """the agent id of a user with the agent role"""
    unit: Text = ""
    """the unit (承办单位) of a user with the unit role, e.g. 城关区 (`units list`)"""


class RequestOnly(Arguments):
    request: Id
    """the request's id (`user requests`)"""


class AuditList(Arguments):
    since: Text = ""
    """from this date (2026-11-30 or 2026-11-30T08:00)"""
    user: Text = ""
    """only this user's rows"""
    action: Text = ""
    """a command or its family (user)"""
    result: Text = ""
    """ok, an error id, or refused (every refusal)"""
    limit: Annotated[int, Number(100_000)] = 1000
    """the newest N rows"""


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
    return {"name": user.name, "role": str(user.role), "agent": user.agent, "unit": user.unit,
            "password": credentials.password, "token": credentials.token}


def people_handlers(users: Callable[[], Users | None], audit: Callable[[], AuditTrail | None],
                    known_agents: Callable[[], Collection[str]],
                    clock: Callable[[], datetime],
                    requests: Callable[[], UserRequests | None] = lambda: None,
                    known_units: Callable[[], Collection[str] | None] = lambda: None,
                    ) -> dict[str, Handler]:
    """``known_units``: the units a unit user may be of (None: no unit is known here — the
    ticket loop is not loaded — and none is accepted)."""

    def check_unit(unit: str) -> None:
        units = known_units()
        if unit and (units is None or unit not in units):
            raise UserError(f"未知的承办单位 {unit[:40]!r}（run.py units list）")

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

    @command(UserAdd)
    async def add(args: UserAdd, actor: Actor) -> Any:
        name, role, agent, unit = args.name, args.role, args.agent, args.unit
        if agent and agent not in known_agents():
            raise UnknownAgent(f"未知的座席 {agent!r}（agents.yaml 中有："
                               f"{', '.join(sorted(known_agents())) or '无'}）")
        check_unit(unit)
        if actor.role is Role.ROOT:
            return _shown(await open_users().add(name, role, agent, clock(), unit))
        await open_users().check_new(name, role, agent, unit)
        asked = await open_requests().ask("add", name, role, agent, actor.name, clock(), unit)
        note(f"request {asked.id}")
        return {PENDING: asked.shown()}

    @command(UserOnly)
    async def reset(args: UserOnly, actor: Actor) -> Any:
        name = args.name
        if actor.role is Role.ROOT:
            return _shown(await open_users().reset(name, clock()))
        user = await open_users().get(name)
        asked = await open_requests().ask("reset", name, str(user.role), user.agent,
                                          actor.name, clock(), user.unit)
        note(f"request {asked.id}")
        return {PENDING: asked.shown()}

    @command(NoArguments)
    async def pending(_args: NoArguments, _actor: Actor) -> Any:
        return [r.shown() for r in await open_requests().pending(clock())]

    @command(RequestOnly)
    async def approve(args: RequestOnly, actor: Actor) -> Any:
        asked, store = open_requests(), open_users()
        request = await asked.get(args.request, clock())
        note(f"{request.action} {request.name} asked by {request.requested_by}")
        if request.action == "add":  # still possible: nothing is decided otherwise
            await store.check_new(request.name, request.role, request.agent, request.unit)
        await asked.decide(request.id, True, actor.name, clock())
        made = (await store.add(request.name, request.role, request.agent, clock(),
                                request.unit)
                if request.action == "add" else await store.reset(request.name, clock()))
        return {**_shown(made), "request": request.id}

    @command(RequestOnly)
    async def refuse(args: RequestOnly, actor: Actor) -> Any:
        request = await open_requests().decide(args.request, False, actor.name, clock())
        note(f"{request.action} {request.name} asked by {request.requested_by}")
        return {"request": request.id, "refused": True}

    @command(UserOnly)
    async def revoke(args: UserOnly, _actor: Actor) -> Any:
        user = await open_users().revoke(args.name, clock())
        return {"name": user.name, "revoked": True}

    @command(NoArguments)
    async def listed(_args: NoArguments, _actor: Actor) -> Any:
        return await open_users().list()

    @command(AuditList)
    async def audit_rows(args: AuditList, _actor: Actor) -> Any:
        trail = audit()
        if trail is None:
            raise ServiceUnavailable("审计记录尚未打开，请稍后再试")
        return await trail.rows(since=since_of(args.since), user=args.user,
                                action=args.action, result=args.result, limit=args.limit)

    @command(UserOnly)
    async def ended(args: UserOnly, _actor: Actor) -> Any:
        """The server's command line revoked or reset a user in the store: the running
        engine ends their event streams and softphone sockets now (not at the next check)."""
        name = args.name
        open_users().endings.user_ended(name)
        return {"name": name, "ended": True}

    return {"user.add": add, "user.reset": reset, "user.revoke": revoke, "user.list": listed,
            "user.requests": pending, "user.approve": approve, "user.refuse": refuse,
            "user.ended": ended, "audit.list": audit_rows}
