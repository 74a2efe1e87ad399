"""Live ticket streams are bounded: per ticket and in total; a slow one loses old events."""

from __future__ import annotations

import pytest

from callcenter.errors import ServiceUnavailable
from callcenter.tickets.live import TicketBus


def test_subscribers_are_capped_per_ticket_and_in_total() -> None:
    bus = TicketBus(per_ticket=2, in_total=3)
    a, b = bus.subscribe(1), bus.subscribe(1)
    with pytest.raises(ServiceUnavailable, match="工单 1 已有 2 个页面"):
        bus.subscribe(1)
    c = bus.subscribe(2)
    with pytest.raises(ServiceUnavailable, match="已有 3 个实时页面"):
        bus.subscribe(3)
    bus.unsubscribe(1, a)
    bus.unsubscribe(1, a)  # twice: counted once
    d = bus.subscribe(3)
    bus.publish(1, {"type": "closed"})
    assert b.get_nowait() == {"type": "closed"} and c.empty() and d.empty()


def test_a_slow_subscriber_loses_the_oldest_events() -> None:
    from callcenter.tickets.live import QUEUE_SIZE

    bus = TicketBus()
    queue = bus.subscribe(7)
    for n in range(QUEUE_SIZE + 5):
        bus.publish(7, {"n": n})
    assert queue.qsize() == QUEUE_SIZE and queue.get_nowait() == {"n": 5}
