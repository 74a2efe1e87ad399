"""The event hub: each AMI event, adapted once into a typed frozen event
(:mod:`callcenter.ami.events`), is handed to every part that subscribed to its type, in the
order they subscribed (the decision core first: the others read the call it has updated).

A subscriber that raises is logged with the event and the subscriber's name, and the others
still get the event: one part's bug never stops the calls' picture or another capability.
The live engine and the replay publish through the same hub, to the same subscribers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger("hub")

Handler = Callable[[Any, float], None]


@dataclass(frozen=True, slots=True)
class Subscription:
    name: str  # who listens: logged with a failure
    handler: Handler
    types: tuple[type, ...]  # () for every event

    def wants(self, kind: type) -> bool:
        return not self.types or issubclass(kind, self.types)


class Hub:
    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._by_type: dict[type, tuple[Subscription, ...]] = {}

    def subscribe(self, name: str, handler: Handler, *types: type) -> None:
        """``handler(event, ts)`` for every event of ``types`` (every event without types),
        after those who subscribed before."""
        self._subscriptions.append(Subscription(name, handler, types))
        self._by_type.clear()

    @property
    def subscribers(self) -> list[str]:
        return [s.name for s in self._subscriptions]

    def listeners(self, kind: type) -> list[str]:
        """Who hears an event of ``kind``, in order."""
        return [s.name for s in self._for(kind)]

    def _for(self, kind: type) -> tuple[Subscription, ...]:
        found = self._by_type.get(kind)
        if found is None:
            found = self._by_type[kind] = tuple(s for s in self._subscriptions if s.wants(kind))
        return found

    def publish(self, event: object, ts: float) -> None:
        kind = type(event)
        found = self._for(kind)
        for subscription in found:
            try:
                subscription.handler(event, ts)
            except Exception:
                log.exception("hub.subscriber_failed", subscriber=subscription.name,
                              event_type=kind.__name__, ts=ts)
