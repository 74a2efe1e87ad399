"""Live ticket updates for agent desktops: the engine publishes transcript, partial and
pre-fill events per ticket; each subscriber (a server-sent-events client) has a bounded
queue, and a subscriber too slow to keep up loses the oldest events, never the engine."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

QUEUE_SIZE = 256


class TicketBus:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[dict[str, Any]]]] = {}

    def subscribe(self, ticket_id: int) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.setdefault(ticket_id, set()).add(queue)
        return queue

    def unsubscribe(self, ticket_id: int, queue: asyncio.Queue[dict[str, Any]]) -> None:
        subscribers = self._subscribers.get(ticket_id)
        if subscribers is not None:
            subscribers.discard(queue)
            if not subscribers:
                del self._subscribers[ticket_id]

    def publish(self, ticket_id: int, event: dict[str, Any]) -> None:
        for queue in self._subscribers.get(ticket_id, ()):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)
