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
