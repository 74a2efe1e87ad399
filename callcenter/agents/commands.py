"""The agents' commands (签入, 签出, 暂停, 恢复, the list), on the agent desk."""

from __future__ import annotations

from typing import Any

from callcenter import permissions
from callcenter.actors import Actor, Role
from callcenter.agents.desk import AgentDesk
from callcenter.commands import Args, Handler, text
from callcenter.errors import UnknownAgent


def agent_handlers(agents: AgentDesk) -> dict[str, Handler]:
    async def agent_list(args: Args, actor: Actor) -> Any:
        rows = permissions.own_rows(actor, agents.snapshot())
        wanted = text(args, "agent", required=False)
        if not wanted:
            return rows
        found = [a for a in rows if a["agent"] == wanted]
        if not found:
            raise UnknownAgent(f"unknown agent {wanted!r}")
        return found

    return {
        "agent.list": agent_list,
        "agent.login": lambda a, _: agents.login(
            text(a, "agent"), text(a, "device", required=False, default="sip")),
        # a person's 签出 waits for the call's end; the server's CLI (root) may force it
        "agent.logout": lambda a, actor: agents.logout(
            text(a, "agent"), refuse_on_call=actor.role is not Role.ROOT),
        "agent.pause": lambda a, _: agents.pause(text(a, "agent"),
                                                 text(a, "reason", required=False)),
        "agent.unpause": lambda a, actor: agents.unpause(text(a, "agent"),
                                                         own=actor.role is Role.AGENT),
    }
