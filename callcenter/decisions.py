"""The one way to build the engine's deciding parts — router, agent desk, decision core,
routing scripts — for the live engine, the replay and the generated day alike.

What differs between them is given, not rebuilt: where actions go (``send``: the AMI client
live, :func:`callcenter.replay.offline.no_asterisk` offline) and what time it is
(``clock``). A reloaded configuration reaches every part through
:meth:`Decisions.reconfigure`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callcenter.agents.desk import AgentDesk
from callcenter.ami.client import ActionSender
from callcenter.config.loader import Config
from callcenter.core import CallCenterCore
from callcenter.pbx.confgen import prompt_path
from callcenter.routing.decide import Router
from callcenter.routing.scripts import RoutingScripts


@dataclass(frozen=True, slots=True)
class Decisions:
    core: CallCenterCore
    routing: RoutingScripts

    @property
    def router(self) -> Router:
        return self.core.router

    @property
    def agent_desk(self) -> AgentDesk:
        return self.core.agent_desk

    def reconfigure(self, config: Config) -> Router:
        """Every deciding part takes ``config``; the new router, for the other parts."""
        router = Router.of(config.hotlines, config.queues)
        self.core.reconfigure(config, router)
        self.routing.reconfigure(config, router)
        return router


def build_decisions(config: Config, send: ActionSender, clock: Callable[[], float]) -> Decisions:
    router = Router.of(config.hotlines, config.queues)
    core = CallCenterCore(router, config.queues, AgentDesk(config, send, clock))
    routing = RoutingScripts(router, prompt_path, clock)
    routing.on_routed = core.route_decided
    return Decisions(core, routing)
