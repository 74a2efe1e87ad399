"""The browser softphone's SIP account (command ``phone.credentials``): what the agent
desktop needs to register JsSIP as the signed-in agent's ``agent-<ID>-web`` endpoint through
the engine's ``/sip`` WebSocket (:mod:`callcenter.api.sip_proxy`). An agent gets only their
own; every read is audited, as it shows a password."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from typing import Any

from callcenter.actors import Actor
from callcenter.commands import Args, Handler
from callcenter.config.loader import Config, agent_web_endpoint
from callcenter.errors import CommandError, ServiceUnavailable, UnknownAgent
from callcenter.secrets import Secrets

SIP_PATH = "/sip"  # the engine's WebSocket to Asterisk (callcenter.api.sip_proxy)


def sip_host(address: str) -> str:
    """An address as the host part of a SIP URI (an IPv6 one in brackets)."""
    return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address


def phone_handlers(config: Callable[[], Config],
                   secrets: Callable[[], Secrets]) -> dict[str, Handler]:
    """``secrets`` reads the secrets file (a reload may have added agents and passwords)."""

    async def credentials(_args: Args, actor: Actor) -> Any:
        agent = actor.agent
        if not agent:
            raise CommandError("phone.credentials is an agent's own browser softphone: sign "
                               "in as an agent")
        current = config()
        if agent not in current.agents.agents:
            raise UnknownAgent(f"agent {agent!r} is not in agents.yaml")
        endpoint = agent_web_endpoint(agent)
        password = (await asyncio.to_thread(secrets)).sip_passwords.get(endpoint)
        if password is None:
            raise ServiceUnavailable(f"Asterisk has no endpoint {endpoint} yet: `run.py "
                                     f"reload` generates it")
        host = sip_host(current.engine.asterisk.bind_address)
        return {"agent": agent, "uri": f"sip:{endpoint}@{host}", "password": password,
                "ws": SIP_PATH}

    return {"phone.credentials": credentials}
