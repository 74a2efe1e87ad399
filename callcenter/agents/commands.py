"""The agents' commands (签入, 签出, 暂停, 恢复, the list), on the agent desk."""

from __future__ import annotations

from typing import Any

from callcenter import permissions
from callcenter.actors import Actor, Role
from callcenter.agents.desk import AgentDesk
from callcenter.arguments import Arguments, Text
from callcenter.commands import Handler, command
from callcenter.errors import UnknownAgent


class AgentList(Arguments):
    agent: Text = ""
    """only this agent"""


class AgentOnly(Arguments):
    agent: Text
    """the agent's id, e.g. 1001"""


class AgentLogin(AgentOnly):
    device: Text = "sip"
    """sip: the desk softphone; webrtc: the browser's"""


class AgentPause(AgentOnly):
    reason: Text = ""
    """a pause reason of agents.yaml"""


def agent_handlers(agents: AgentDesk) -> dict[str, Handler]:
    @command(AgentList)
    async def agent_list(args: AgentList, actor: Actor) -> Any:
        rows = permissions.own_rows(actor, agents.snapshot())
        if not args.agent:
            return rows
        found = [a for a in rows if a["agent"] == args.agent]
        if not found:
            raise UnknownAgent(f"unknown agent {args.agent!r}")
        return found

    @command(AgentLogin)
    async def login(args: AgentLogin, _actor: Actor) -> Any:
        return await agents.login(args.agent, args.device)

    @command(AgentOnly)
    async def logout(args: AgentOnly, actor: Actor) -> Any:
        # a person's 签出 waits for the call's end; the server's CLI (root) may force it
        return await agents.logout(args.agent, refuse_on_call=actor.role is not Role.ROOT)

    @command(AgentPause)
    async def pause(args: AgentPause, _actor: Actor) -> Any:
        return await agents.pause(args.agent, args.reason)

    @command(AgentOnly)
    async def unpause(args: AgentOnly, actor: Actor) -> Any:
        return await agents.unpause(args.agent, own=actor.role is Role.AGENT)

    return {"agent.list": agent_list, "agent.login": login, "agent.logout": logout,
            "agent.pause": pause, "agent.unpause": unpause}
