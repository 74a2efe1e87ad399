"""Routing rules: which number was dialed → where the call goes. Pure functions, no I/O.

The same rules serve the live engine (FastAGI, at call entry) and the static dialplan
computed at generate time (used when the engine is down), so both route alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from callcenter.config.catalogue import (
    TRANSITION_SHORT,
    Catalogue,
    Line,
    digits_of,
    greeting_prompt,
    transition_prompt,
)
from callcenter.config.models import (
    HotlinesConfig,
    HotlineTarget,
    MainLine,
    Menu,
    MenuTarget,
    QueuesConfig,
    Section,
)


class Mode(StrEnum):
    MAIN = "main"
    MERGED = "merged"
    DUAL = "dual"
    SUBCENTER = "subcenter"
    UNKNOWN = "unknown"


class Kind(StrEnum):
    QUEUE = "queue"
    SUBCENTER = "subcenter"


@dataclass(frozen=True, slots=True)
class Route:
    dialed: str
    mode: Mode
    hotline: str  # catalogue name
    number: str  # catalogue number as in the annex
    unit: str  # responsible unit(s), joined with 、
    kind: Kind
    prompts: tuple[str, ...] = ()
    queue: str = ""
    queue_timeout_s: int | None = None
    overflow_queue: str = ""
    destination: str = ""  # dial string of a sub-center
    subcenter: str = ""  # its name in logs (endpoint or number)
    dial_timeout_s: int = 0
    menu: Menu | None = None
    reason: str = ""

    @property
    def target(self) -> str:
        return self.queue if self.kind is Kind.QUEUE else self.subcenter


@dataclass(frozen=True, slots=True)
class Router:
    catalogue: Catalogue
    queues: QueuesConfig

    @classmethod
    def of(cls, hotlines: HotlinesConfig, queues: QueuesConfig) -> Router:
        """The router of a configuration (its hotline catalogue and queues)."""
        return cls(Catalogue.build(hotlines), queues)

    @property
    def hotlines(self) -> HotlinesConfig:
        return self.catalogue.config

    def _queue(self, name: str, **fields: object) -> dict[str, object]:
        spec = self.queues.queues[name]
        return {"kind": Kind.QUEUE, "queue": name, "queue_timeout_s": spec.overflow_after_s,
                "overflow_queue": spec.overflow_to or "", **fields}

    def main_queue_route(self, dialed: str, mode: Mode, line: Line | None,
                         prompts: tuple[str, ...] = (), reason: str = "") -> Route:
        main = self.hotlines.main
        return Route(
            dialed=dialed, mode=mode,
            hotline=line.name if line else main.name,
            number=line.number if line else "",
            unit=_units(line), prompts=prompts, reason=reason,
            **self._queue(main.queue),  # type: ignore[arg-type]
        )

    def decide(self, dialed: str, today: date) -> Route:
        dialed = digits_of(dialed) or dialed
        line = self.catalogue.lookup(dialed)
        if line is None:
            return self.main_queue_route(dialed, Mode.UNKNOWN, None, reason="unknown number")
        if isinstance(line, MainLine):
            return replace(self.main_queue_route(dialed, Mode.MAIN, line, (line.greeting,)),
                           menu=line.menu)
        section = line.section
        if section is Section.MERGED:
            ends = line.transition_ends or self.hotlines.defaults.merged.transition_ends
            prompt = TRANSITION_SHORT if ends is not None and today > ends \
                else transition_prompt(line)
            return replace(self.main_queue_route(dialed, Mode.MERGED, line, (prompt,)),
                           menu=line.menu)
        if section is Section.DUAL:
            assert line.queue is not None
            return Route(dialed=dialed, mode=Mode.DUAL, hotline=line.name, number=line.number,
                         unit=_units(line), prompts=(greeting_prompt(line),), menu=line.menu,
                         **self._queue(line.queue))  # type: ignore[arg-type]
        destination = line.destination
        assert destination is not None
        timeout = line.answer_timeout_s or self.hotlines.defaults.subcenter.answer_timeout_s
        if destination.endpoint is not None:
            dial, name = f"PJSIP/{destination.endpoint}", destination.endpoint
        else:
            dial, name = destination.dial or "", destination.dial or ""
        return Route(dialed=dialed, mode=Mode.SUBCENTER, hotline=line.name, number=line.number,
                     unit=_units(line), kind=Kind.SUBCENTER, destination=dial, subcenter=name,
                     dial_timeout_s=round(timeout), menu=line.menu)

    def subcenter_failed(self, route: Route, reason: str) -> Route:
        """The sub-center did not take the call: the caller goes to the 12345 queue."""
        fallback = self.main_queue_route(route.dialed, route.mode, None,
                                         reason=f"subcenter {reason.lower() or 'failed'}")
        return replace(fallback, hotline=route.hotline, number=route.number, unit=route.unit)

    def menu_choice(self, route: Route, target: MenuTarget, today: date) -> Route:
        """Where a menu option (or the menu's default) sends the caller."""
        if isinstance(target, HotlineTarget):
            chosen = self.decide(digits_of(target.hotline), today)
            return replace(chosen, dialed=route.dialed, menu=None, prompts=())
        return replace(route, menu=None, prompts=(), **self._queue(target.queue))  # type: ignore[arg-type]

    def static_route(self, dialed: str, today: date) -> Route:
        """What the dialplan does when the engine is down: no menu, its default target."""
        route = self.decide(dialed, today)
        if route.menu is not None:
            chosen = self.menu_choice(route, route.menu.default, today)
            route = replace(chosen, prompts=route.prompts)
        return route


def _units(line: Line | None) -> str:
    if line is None or isinstance(line, MainLine):
        return ""
    return "、".join(line.units)


def route_spec(route: Route, prompt_path: Callable[[str], str]) -> str:
    """The route as the dialplan's ``cc-set-route`` arguments (comma-separated).

    One string, so the engine answers a call with a single AGI command and the static
    dialplan uses the very same subroutine.
    """
    fields = (
        route.kind.value, route.mode.value, digits_of(route.number), "&".join(
            prompt_path(p) for p in route.prompts),
        route.queue, "" if route.queue_timeout_s is None else str(route.queue_timeout_s),
        route.overflow_queue, route.destination, str(route.dial_timeout_s or ""),
    )
    for value in fields:
        if "," in value or "\n" in value:
            raise ValueError(f"route field {value!r} may not contain a comma")
    return ",".join(fields)
