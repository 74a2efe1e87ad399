"""The event hub: typed subscriptions in their order, a failing subscriber isolated and
logged with the event."""

from __future__ import annotations

import structlog

from callcenter.ami import events as ev
from callcenter.hub import Hub

HANGUP = ev.Hangup("PJSIP/carrier-1", "1.1", "1.1", 16, "Normal Clearing")


def test_subscribers_get_their_types_in_order() -> None:
    hub, seen = Hub(), []
    hub.subscribe("all", lambda e, ts: seen.append(("all", type(e).__name__, ts)))
    hub.subscribe("hangups", lambda e, ts: seen.append(("hangups", e.channel, ts)), ev.Hangup)
    hub.subscribe("dials", lambda e, ts: seen.append(("dials", e, ts)), ev.DialEnd)
    hub.publish(HANGUP, 5.0)
    assert seen == [("all", "Hangup", 5.0), ("hangups", "PJSIP/carrier-1", 5.0)]
    assert hub.subscribers == ["all", "hangups", "dials"]


def test_a_failing_subscriber_is_logged_and_the_others_still_hear() -> None:
    hub, seen = Hub(), []

    def broken(_event: object, _ts: float) -> None:
        raise KeyError("a bug")

    hub.subscribe("first", lambda e, ts: seen.append("first"))
    hub.subscribe("broken", broken)
    hub.subscribe("last", lambda e, ts: seen.append("last"))
    with structlog.testing.capture_logs() as logs:
        hub.publish(HANGUP, 7.0)
        hub.publish(HANGUP, 8.0)
    assert seen == ["first", "last", "first", "last"]
    failed = [line for line in logs if line["event"] == "hub.subscriber_failed"]
    assert [(f["subscriber"], f["event_type"], f["ts"]) for f in failed] == [
        ("broken", "Hangup", 7.0), ("broken", "Hangup", 8.0)]


def test_a_late_subscriber_gets_the_next_events() -> None:
    hub, seen = Hub(), []
    hub.publish(HANGUP, 1.0)  # (the per-type list is cached, then redone)
    hub.subscribe("late", lambda e, ts: seen.append(ts), ev.Hangup)
    hub.publish(HANGUP, 2.0)
    assert seen == [2.0]
