"""Live ticket streams are bounded: per ticket and in total; a slow one loses old events."""

from __future__ import annotations

import pytest

from callcenter.errors import ServiceUnavailable
from callcenter.tickets.live import TicketBus


def test_subscribers_are_capped_per_ticket_and_in_total() -> None:
    bus = TicketBus(per_ticket=2, in_total=3)
    a, b = bus.subscribe(1), bus.subscribe(1)
    with pytest.raises(ServiceUnavailable, match="工单 1 的实时连接已满"):
        bus.subscribe(1)
    c = bus.subscribe(2)
    with pytest.raises(ServiceUnavailable, match="已有 3 个实时连接"):
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


def test_one_person_has_a_few_streams_and_the_owner_keeps_theirs() -> None:
    """Nobody else's streams — a supervisor's tabs, say — take the last slots of a ticket
    from the agent of its call."""
    bus = TicketBus(per_ticket=8)
    zhao = [bus.subscribe(1, "zhao", owner=False) for _ in range(4)]
    with pytest.raises(ServiceUnavailable):  # a person's fifth
        bus.subscribe(1, "zhao", owner=False)
    others = [bus.subscribe(1, "qian", owner=False), bus.subscribe(1, "sun", owner=False)]
    with pytest.raises(ServiceUnavailable):  # 6 of 8 are others': the last 2 are the owner's
        bus.subscribe(1, "wu", owner=False)
    mine = [bus.subscribe(1, "li"), bus.subscribe(1, "li")]
    with pytest.raises(ServiceUnavailable):  # all 8 taken
        bus.subscribe(1, "li")
    bus.unsubscribe(1, zhao[0])
    assert bus.subscribe(1, "wu", owner=False) is not None
    assert len(zhao + others + mine) == 8
