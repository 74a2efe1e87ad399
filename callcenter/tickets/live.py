"""Live updates for agent desktops: the engine publishes transcript, partial and pre-fill
events per ticket (:class:`TicketBus`), state and call events per agent (:class:`AgentBus`);
each subscriber (a server-sent-events client) has a bounded queue, and a subscriber too slow
to keep up loses the oldest events, never the engine."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Generic, TypeVar

from callcenter.errors import ServiceUnavailable

QUEUE_SIZE = 256
PER_TICKET = 16  # desktops watching one ticket (the agent, a supervisor, a few more)
PER_PERSON = 4  # of them one person's (a few tabs)
OWNER_SLOTS = 2  # kept for the key's owner (the agent of the ticket's call): nobody else's
IN_TOTAL = 2000  # live streams the engine serves at once


K = TypeVar("K", int, str)


class LiveBus(Generic[K]):
    """Subscribers by key (a ticket id, an agent id)."""

    noun = "key"
    shown = "对象"  # the noun as people read it

    def __init__(self, per_ticket: int = PER_TICKET, in_total: int = IN_TOTAL) -> None:
        self._subscribers: dict[K, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._whose: dict[asyncio.Queue[dict[str, Any]], tuple[str, bool]] = {}
        self.per_ticket = per_ticket  # per key
        self.in_total = in_total
        self._count = 0

    def subscribe(self, key: K, who: str = "", owner: bool = True
                  ) -> asyncio.Queue[dict[str, Any]]:
        """A queue of the key's events from now on; refused (ServiceUnavailable) beyond
        ``per_ticket`` for one key, ``PER_PERSON`` of them for one person (``who``), or
        ``in_total`` for all — memory stays bounded; the last ``OWNER_SLOTS`` of a key are
        its owner's (nobody else's streams keep the agent's own screen from its call)."""
        subscribers = self._subscribers.get(key, set())
        mine = sum(1 for q in subscribers if self._whose[q][0] == who) if who else 0
        others = sum(1 for q in subscribers if not self._whose[q][1])
        if (len(subscribers) >= self.per_ticket or mine >= PER_PERSON
                or (not owner and others >= self.per_ticket - OWNER_SLOTS)):
            raise ServiceUnavailable(f"{self.shown} {key} 的实时连接已满，请先关闭其他页面")
        if self._count >= self.in_total:
            raise ServiceUnavailable(f"已有 {self._count} 个实时连接，系统暂时不能再接受，"
                                     "请稍后再试")
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        subscribers.add(queue)
        self._whose[queue] = (who, owner)
        self._subscribers[key] = subscribers
        self._count += 1
        return queue

    def unsubscribe(self, key: K, queue: asyncio.Queue[dict[str, Any]]) -> None:
        subscribers = self._subscribers.get(key)
        if subscribers is not None and queue in subscribers:
            subscribers.discard(queue)
            self._whose.pop(queue, None)
            self._count -= 1
            if not subscribers:
                del self._subscribers[key]

    @property
    def streams(self) -> int:
        return self._count

    def publish(self, key: K, event: dict[str, Any]) -> None:
        for queue in self._subscribers.get(key, ()):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)


class TicketBus(LiveBus[int]):
    noun = "ticket"
    shown = "工单"


class AgentBus(LiveBus[str]):
    noun = "agent"
    shown = "工号"
