"""Live ticket updates for agent desktops: the engine publishes transcript, partial and
pre-fill events per ticket; each subscriber (a server-sent-events client) has a bounded
queue, and a subscriber too slow to keep up loses the oldest events, never the engine."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from callcenter.errors import ServiceUnavailable

QUEUE_SIZE = 256
PER_TICKET = 16  # desktops watching one ticket (the agent, a supervisor, a few more)
IN_TOTAL = 2000  # live streams the engine serves at once


class TicketBus:
    def __init__(self, per_ticket: int = PER_TICKET, in_total: int = IN_TOTAL) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[dict[str, Any]]]] = {}
        self.per_ticket = per_ticket
        self.in_total = in_total
        self._count = 0

    def subscribe(self, ticket_id: int) -> asyncio.Queue[dict[str, Any]]:
        """A queue of the ticket's events from now on; refused (ServiceUnavailable) beyond
        ``per_ticket`` for one ticket or ``in_total`` for all — memory stays bounded."""
        subscribers = self._subscribers.get(ticket_id, set())
        if len(subscribers) >= self.per_ticket:
            raise ServiceUnavailable(f"ticket {ticket_id} already has {len(subscribers)} live "
                                     "streams open: close one first")
        if self._count >= self.in_total:
            raise ServiceUnavailable(f"{self._count} live ticket streams are open: the "
                                     "engine takes no more now")
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        subscribers.add(queue)
        self._subscribers[ticket_id] = subscribers
        self._count += 1
        return queue

    def unsubscribe(self, ticket_id: int, queue: asyncio.Queue[dict[str, Any]]) -> None:
        subscribers = self._subscribers.get(ticket_id)
        if subscribers is not None and queue in subscribers:
            subscribers.discard(queue)
            self._count -= 1
            if not subscribers:
                del self._subscribers[ticket_id]

    def publish(self, ticket_id: int, event: dict[str, Any]) -> None:
        for queue in self._subscribers.get(ticket_id, ()):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)
