"""People: users and their roles, the requests root approves, the audit trail."""

from __future__ import annotations

from collections.abc import Mapping

from callcenter.capability import Capability
from callcenter.commands import Handler
from callcenter.users.http import add_routes as routes


def capability(commands: Mapping[str, Handler]) -> Capability:
    return Capability("people", commands=commands, routes=routes)
