"""The browser softphone's SIP account (command ``phone.credentials``): what a page needs to
register JsSIP through the engine's ``/sip`` WebSocket (:mod:`callcenter.api.sip_proxy`) as
the signed-in person's own browser endpoint — an agent's ``agent-<ID>-web`` (the desktop), a
supervisor's ``supervisor-<name>-web`` (the wallboard's monitoring). Each gets only their
own; every read is audited, as it shows a password."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from typing import Any

from callcenter.actors import Actor, Role
from callcenter.arguments import NoArguments
from callcenter.commands import Handler, command
from callcenter.config.loader import Config, agent_web_endpoint, supervisor_web_endpoint
from callcenter.errors import CommandError, Forbidden, ServiceUnavailable, UnknownAgent
from callcenter.secrets import Secrets

SIP_PATH = "/sip"  # the engine's WebSocket to Asterisk (callcenter.api.sip_proxy)


def sip_host(address: str) -> str:
    """An address as the host part of a SIP URI (an IPv6 one in brackets)."""
    return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address


def web_endpoint(actor: Actor) -> str:
    """The one browser endpoint ``actor`` registers and calls as."""
    if actor.role is Role.AGENT and actor.agent:
        return agent_web_endpoint(actor.agent)
    if actor.role is Role.SUPERVISOR:
        return supervisor_web_endpoint(actor.name)
    raise Forbidden("只有话务员和班长的浏览器软电话可以连接")


def _configured(actor: Actor, config: Config) -> None:
    """The person has an endpoint in the configuration Asterisk runs."""
    if actor.role is Role.SUPERVISOR:
        if actor.name not in config.agents.supervisors:
            raise CommandError(f"班长 {actor.name} 没有浏览器软电话：请管理员在 agents.yaml 的 "
                               "supervisors: 中加上此人并重新加载配置")
    elif actor.agent not in config.agents.agents:
        raise UnknownAgent(f"座席 {actor.agent} 不在 agents.yaml 中：请管理员添加并重新加载配置")


def configured_endpoint(actor: Actor, config: Config) -> str:
    """``actor``'s browser endpoint, once it exists in the configuration Asterisk runs
    (:class:`Forbidden` for anyone without one)."""
    endpoint = web_endpoint(actor)
    try:
        _configured(actor, config)
    except (CommandError, UnknownAgent) as exc:
        raise Forbidden(exc.message) from None
    return endpoint


def phone_handlers(config: Callable[[], Config],
                   secrets: Callable[[], Secrets]) -> dict[str, Handler]:
    """``secrets`` reads the secrets file (a reload may have added agents and passwords)."""

    @command(NoArguments)
    async def credentials(_args: NoArguments, actor: Actor) -> Any:
        endpoint = web_endpoint(actor)
        current = config()
        _configured(actor, current)
        password = (await asyncio.to_thread(secrets)).sip_passwords.get(endpoint)
        if password is None:
            raise ServiceUnavailable(f"电话系统中还没有软电话账号 {endpoint}：请管理员在服务器上"
                                     "执行重新加载（run.py reload）")
        host = sip_host(current.engine.asterisk.bind_address)
        mine = {"agent": actor.agent} if actor.role is Role.AGENT else {"supervisor": actor.name}
        return {**mine, "uri": f"sip:{endpoint}@{host}", "password": password, "ws": SIP_PATH}

    return {"phone.credentials": credentials}
