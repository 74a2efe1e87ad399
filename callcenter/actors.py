"""Who runs a command, and through which front door: every command carries it, so that role
checks and the audit trail can sit in one place (the command layer)."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a signed-in person may do (:mod:`callcenter.permissions` has the rules)."""

    AGENT = "agent"  # 话务员: their own agent, the tickets of their own calls
    SUPERVISOR = "supervisor"  # 班长: every agent, queue and transfer; monitoring
    ADMIN = "admin"  # 管理员: users, reload, configuration, the audit trail
    UNIT = "unit"  # 承办单位: the tickets dispatched to their own unit (the ticket loop)
    ROOT = "root"  # the machine's owner, through the local control socket (the CLI)
    NONE = "none"  # not signed in (yet): a refused sign-in is audited under this role


@dataclass(frozen=True, slots=True)
class Actor:
    """Who runs a command (a user's name, their role and, for an agent, their agent id),
    and through which door: ``control`` (the local socket, which only root can open),
    ``http`` (the API, a token or a web session), ``cli`` (the store, engine down)."""

    name: str
    via: str
    address: str = ""
    role: Role = Role.ROOT
    agent: str = ""
    unit: str = ""  # a unit user's unit (承办单位)


LOCAL = Actor("root", "control")


def cli_actor() -> Actor:
    """Root on the server's command line, acting on the store with the engine down."""
    try:
        name = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        name = str(os.getuid())
    return Actor(name, "cli", f"uid={os.getuid()}", Role.ROOT)
