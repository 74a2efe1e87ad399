"""FastAGI handlers of routing: ``entry`` (every call) and ``subcenter-failed``.

Each answers with one ``SET VARIABLE CC_SPEC`` that the dialplan hands to ``cc-set-route``,
and tells the decision core the route (``on_routed``: it logs the ``call.routed`` line and keeps
the route on the call). A DTMF menu, where a hotline has one, is played here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Protocol

import structlog

from callcenter.agi.server import AgiSession
from callcenter.routing.decide import Route, Router, route_spec

log = structlog.get_logger("routing")

SPEC_VARIABLE = "CC_SPEC"
ANY_KEY = "0123456789*#"


class OnRouted(Protocol):
    def __call__(self, call_id: str, route: Route, ts: float, source: str = "engine",
                 **extra: object) -> None: ...


def _not_told(call_id: str, route: Route, ts: float, source: str = "engine",
              **extra: object) -> None:
    """(Until the decision core is given: it logs the route and keeps it on the call.)"""


class RoutingScripts:
    def __init__(self, router: Router, prompt_path: Callable[[str], str],
                 clock: Callable[[], float] = time.time) -> None:
        self.router = router
        self.prompt_path = prompt_path
        self.clock = clock
        # the decided route, for the live call (the core records it: decided once, carried)
        self.on_routed: OnRouted = _not_told

    def today(self) -> date:
        """The centre's calendar day (the machine's time zone)."""
        return date.fromtimestamp(self.clock())

    def reconfigure(self, _config: object, router: Router) -> None:
        self.router = router

    async def entry(self, session: AgiSession) -> None:
        dialed = dict(session.request.query).get("dialed", "") or session.request.extension
        route = self.router.decide(dialed, self.today())
        if route.menu is not None:
            route = await self._menu(session, route)
        await session.set_variable(SPEC_VARIABLE, route_spec(route, self.prompt_path))
        self.on_routed(session.call_id, route, self.clock())

    async def subcenter_failed(self, session: AgiSession) -> None:
        query = dict(session.request.query)
        first = self.router.decide(query.get("dialed", ""), self.today())
        route = self.router.subcenter_failed(first, query.get("reason", ""))
        await session.set_variable(SPEC_VARIABLE, route_spec(route, self.prompt_path))
        self.on_routed(session.call_id, route, self.clock(), subcenter=first.subcenter)

    async def _menu(self, session: AgiSession, route: Route) -> Route:
        """Greeting, then the menu. A key pressed during the greeting or the "invalid"
        message counts as the caller's choice, as callers who know the menu expect."""
        menu = route.menu
        assert menu is not None
        await session.answer()
        pressed = ""
        for prompt in route.prompts:
            pressed = await self._play(session, prompt)
            if pressed:
                break
        invalid = 0
        while True:
            digit = pressed or await self._read_digit(session, menu.prompt, menu.timeout_s)
            pressed = ""
            if not digit:
                log.info("menu.timeout", dialed=route.dialed)
                return self.router.menu_choice(route, menu.default, self.today())
            target = menu.options.get(digit)
            if target is not None:
                log.info("menu.choice", dialed=route.dialed, digit=digit)
                return self.router.menu_choice(route, target, self.today())
            invalid += 1
            log.info("menu.invalid", dialed=route.dialed, digit=digit, attempt=invalid)
            if invalid > menu.max_invalid:
                return self.router.menu_choice(route, menu.default, self.today())
            pressed = await self._play(session, menu.invalid_prompt)

    async def _play(self, session: AgiSession, prompt: str) -> str:
        reply = await session.stream_file(self.prompt_path(prompt), ANY_KEY)
        return chr(reply.result) if reply.result > 0 else ""

    async def _read_digit(self, session: AgiSession, prompt: str, timeout_s: float) -> str:
        reply = await session.checked(
            f"GET DATA {self.prompt_path(prompt)} {int(timeout_s * 1000)} 1")
        return reply.raw_result[:1]
