"""The decision core's timers: the same lines whenever the clock is looked at (live ticks
once a second at any phase; a replay at whole seconds and before every event)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from structlog.testing import capture_logs

from callcenter.ami import events as ev
from callcenter.config.loader import load_config
from callcenter.core import CallCenterCore
from callcenter.decisions import build_decisions
from callcenter.paths import PROJECT_ROOT
from callcenter.replay.offline import no_asterisk
from tests.unit.test_agent_state import called, complete, connect, member

CONFIG = load_config(PROJECT_ROOT / "config")  # q12345 wrap-up: 10 s


def core() -> CallCenterCore:
    return build_decisions(CONFIG, no_asterisk, lambda: 0.0).core


def states(logs: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    return [(e["from"], e["to"], e["reason"]) for e in logs if e["event"] == "agent.state"]


def run(ticks: list[float],
        events: list[tuple[float, ev.AmiEvent]]) -> list[tuple[str, str, str]]:
    c = core()
    timeline = sorted([(t, 0, None) for t in ticks] + [(t, 1, e) for t, e in events],
                      key=lambda x: (x[0], x[1]))
    with capture_logs() as logs:
        for t, _, event in timeline:
            if event is None:
                c.tick(t)
            else:
                c.on_event(event, t)
    return states(logs)


EVENTS: list[tuple[float, ev.AmiEvent]] = [
    (100.0, member(ev.QueueMemberAdded)), (101.0, called()), (102.0, connect()),
    (140.3, complete()),  # wrap-up until 150.3
    (155.2, called("1.2")),
]
EXPECTED = [("logged_out", "available", "login"), ("available", "ringing", "offered q12345"),
            ("ringing", "on_call", "answered q12345"),
            ("on_call", "wrapup", "call ended (caller)"),
            ("wrapup", "available", "wrap-up over"),
            ("available", "ringing", "offered q12345")]


def test_wrap_up_ends_the_same_whatever_the_tick_phase() -> None:
    whole = [float(t) for t in range(99, 160)]
    shifted = [t + 0.37 for t in whole]
    assert run(whole, EVENTS) == run(shifted, EVENTS) == EXPECTED


def test_no_tick_at_all_still_ends_the_wrap_up_before_the_next_event() -> None:
    assert run([], EVENTS) == EXPECTED


def test_the_first_tick_only_starts_the_clock() -> None:
    c = core()
    with capture_logs() as logs:
        c.on_event(member(ev.QueueMemberAdded), 100.0)
        c.on_event(complete(), 100.5)
        c.tick(200.0)  # a tick long after: the wrap-up that ended meanwhile is reported
    assert states(logs)[-1] == ("wrapup", "available", "wrap-up over")


def test_a_subcenter_seat_answering_is_a_decision() -> None:
    """DialEnd ANSWER at a sub-center seat → subcenter.answered (reports count that line)."""
    from callcenter.ami.events import ChannelState, DialEnd, DialStatus, Newchannel

    c = core()
    with capture_logs() as logs:
        c.on_event(Newchannel("PJSIP/carrier-1", "9.1", "9.1", ChannelState.RING,
                              "13812345678", "", "12366", "from-carrier"), 1.0)
        c.on_event(DialEnd("PJSIP/carrier-1", "9.1", "9.1", "PJSIP/subcenter-12366-0001",
                           "9.2", DialStatus.ANSWER), 2.0)
        c.on_event(DialEnd("PJSIP/carrier-1", "9.1", "9.1", "PJSIP/subcenter-12305-0002",
                           "9.3", DialStatus.NOANSWER), 3.0)
    answered = [e for e in logs if e["event"] == "subcenter.answered"]
    assert [(e["call_id"], e["subcenter"], e["via"]) for e in answered] == [
        ("9.1", "12366", "routing")]


def test_the_decided_route_is_carried_to_the_callback() -> None:
    """12333's menu sent the caller to hotline 12329: the callback request says 12329's
    hotline (it used to decide again from the number dialed, 12333)."""
    from datetime import date

    from callcenter.ami.events import ChannelState, Newchannel, UserEvent
    from callcenter.store.db import CallbackRequest

    c = core()
    chosen = c.router.decide("12329", date(2026, 11, 30))
    requests: list[Any] = []
    c.publish = lambda event, _ts: requests.append(event)
    c.route_decided("7.1", chosen, 0.5)  # the routing script ran before AMI told of the channel
    c.on_event(Newchannel("PJSIP/carrier-7", "7.1", "7.1", ChannelState.RING, "13812345678",
                          "", "12333", "from-carrier"), 1.0)
    assert c.tracker.calls["7.1"].route is chosen
    c.on_event(UserEvent("PJSIP/carrier-7", "7.1", "7.1", "CcCallback",
                         (("Queue", "q12329"), ("QueueStatus", "JOINEMPTY"),
                          ("Dialed", "12333"), ("Hotline", "12329"))), 2.0)
    (request,) = [r for r in requests if isinstance(r, CallbackRequest)]
    assert request.hotline == chosen.hotline != c.router.decide("12333", date(2026, 11, 30)
                                                                ).hotline
