"""``run.py user …`` and ``run.py audit``: the people who sign in, and the audit trail, on the
store (whether the engine runs or not; a running engine is told of a revoke or reset)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, RenderableType
from rich.table import Table

from callcenter.actors import Actor, Role
from callcenter.audit import AuditTrail
from callcenter.cli_kit import add_arguments, config_of, console, given, known, run_on_store
from callcenter.cli_tables import Column, fitted, local_time
from callcenter.commands import Commands, Handler
from callcenter.config.loader import Config
from callcenter.control.client import query
from callcenter.errors import EngineControlError
from callcenter.glossary import word
from callcenter.paths import Paths
from callcenter.store.db import Store
from callcenter.users.commands import (
    AuditList,
    RequestOnly,
    UserAdd,
    UserOnly,
    people_handlers,
)
from callcenter.users.requests import UserRequests
from callcenter.users.store import Users

AUDIT_COLUMNS = (Column("时间", key=True), Column("用户", key=True), Column("角色"),
                 Column("途径"), Column("地址"), Column("操作"), Column("对象"), Column("结果"),
                 Column("详情"))


def audit_table(console: Console, rows: Sequence[Mapping[str, Any]]) -> RenderableType:
    """`run.py audit`: actions, doors, roles and results in the glossary's words."""
    shown = [[local_time(r["at"]), str(r["user"]), word("role", str(r["role"])),
              word("via", str(r["via"])), str(r["address"] or ""),
              word("audit_action", str(r["action"])), str(r["target"] or ""),
              word("audit_result", "ok") if r["result"] == "ok"
              else f"{word('audit_result', 'refused')}（{r['result']}）", str(r["detail"] or "")]
             for r in rows]
    return fitted(console, "审计记录", AUDIT_COLUMNS, shown)


def on_store(store: Store, config: Config) -> Mapping[str, Handler]:
    users, trail, requests = Users(store), AuditTrail(store), UserRequests(store)
    return people_handlers(lambda: users, lambda: trail, lambda: config.agents.agents,
                           lambda: datetime.now(UTC), lambda: requests,
                           lambda: known("units", config.directory))


def cmd_user(args: argparse.Namespace, paths: Paths) -> int:
    config = config_of(args, paths)

    action = args.user_action

    async def show(commands: Commands, actor: Actor) -> int:
        if action == "list":
            rows = await commands.run("user.list", {}, actor)
            table = Table("name", "role", "agent", "unit", "created", "revoked", title="users")
            for row in rows:
                table.add_row(row["name"], row["role"], row["agent"], row.get("unit") or "",
                              row["created_at"], row["revoked_at"] or "")
            console.print(table)
            return 0
        if action == "revoke":
            await commands.run("user.revoke", given(args, UserOnly), actor)
            await _tell_engine(paths, args.name)
            print(f"user {args.name} revoked: their password, token and sessions no longer "
                  f"work (`user reset {args.name}` gives new ones)")
            return 0
        if action == "requests":
            rows = await commands.run("user.requests", {}, actor)
            table = Table("id", "asks", "name", "role", "agent", "asked by", "at", "lapses",
                          title="requests from the admin page, waiting for `user approve ID`")
            for row in rows:
                table.add_row(str(row["id"]), row["action"], row["name"], row["role"],
                              row["agent"], row["requested_by"], row["requested_at"],
                              row["expires_at"])
            console.print(table)
            return 0
        if action == "refuse":
            await commands.run("user.refuse", given(args, RequestOnly), actor)
            print(f"request {args.request} refused")
            return 0
        if action == "approve":
            made: dict[str, Any] = await commands.run("user.approve",
                                                      given(args, RequestOnly), actor)
        else:
            made = await commands.run(f"user.{action}",
                                      given(args, UserAdd if action == "add" else UserOnly),
                                      actor)
        if action != "add":  # a reset (or an approved one): the old sign-ins end now
            await _tell_engine(paths, made["name"])
        what = f"{made['role']}" + (f", agent {made['agent']}" if made["agent"] else "")
        done = ("added" if action == "add" else "reset" if action == "reset"
                else f"request {made['request']} approved")
        print(f"user {made['name']} ({what}): {done}")
        print(f"password: {made['password']}")
        print(f"token: {made['token']}")
        print("(shown this once: only their hashes are kept)")
        return 0

    return run_on_store(config, paths, on_store, show)



async def _tell_engine(paths: Paths, name: str) -> None:
    """A running engine ends the user's event streams and softphone sockets at once (the
    store alone would have them end at their next check, up to 30 s later)."""
    with contextlib.suppress(EngineControlError):  # no engine running: nothing is open
        await asyncio.to_thread(query, paths.control_socket, "user.ended", timeout=2.0,
                                name=name)



def cmd_audit(args: argparse.Namespace, paths: Paths) -> int:
    config = config_of(args, paths)

    async def show(commands: Commands, actor: Actor) -> int:
        rows = await commands.run("audit.list", given(args, AuditList), actor)
        if args.json:
            for row in rows:
                print(json.dumps(row, ensure_ascii=False))
            return 0
        console.print(audit_table(console, rows))
        return 0

    return run_on_store(config, paths, on_store, show)



def add_parsers(sub: Any) -> None:
    user = sub.add_parser("user", help="people who sign in to the API and web pages")
    user_sub = user.add_subparsers(dest="user_action", required=True)
    roles = [str(r) for r in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.UNIT)]
    add_arguments(user_sub.add_parser("add", help="add a user: prints their password and API "
                                      "token, once"),
                  UserAdd, positional=("name",), choices={"role": roles})
    add_arguments(user_sub.add_parser("reset", help="new password and token (the old ones "
                                      "stop working)"), UserOnly, positional=("name",))
    user_sub.add_parser("list", help="every user, with role and agent")
    add_arguments(user_sub.add_parser("revoke", help="no password, token or session of theirs "
                                      "works any more"), UserOnly, positional=("name",))
    user_sub.add_parser("requests", help="what admins asked for on the admin page (adding or "
                        "resetting a user): only root approves, here")
    for name, text in (("approve", "do what the request asks: prints the password and API "
                        "token, once — to hand to the person"),
                       ("refuse", "drop the request")):
        add_arguments(user_sub.add_parser(name, help=text), RequestOnly,
                      positional=("request",))
    user.set_defaults(func=cmd_user)
    audit = sub.add_parser("audit", help="the audit trail: who did what, when, from where")
    add_arguments(audit, AuditList)
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.set_defaults(func=cmd_audit)
