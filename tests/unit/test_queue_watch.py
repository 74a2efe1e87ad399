"""The live queue watch: who waits and since when, the decisions it logs (``queue.*``), and
its snapshot — whose figures of the day are the report's (the agreement with ``run.py
report`` on a recorded log: tests/unit/test_wallboard_report.py)."""

from __future__ import annotations

from datetime import date

from callcenter.agents.state import AgentBoard
from callcenter.ami import events as ev
from callcenter.ami.adapter import adapt
from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.queues.watch import QueueWatch
from callcenter.reports.figures import Report, Tally
from tests.recorded import recorded_frames
from tests.unit.live import Decided

QUEUES = load_config(PROJECT_ROOT / "config").queues
EMPTY_DAY = Report(date(2026, 11, 28), date(2026, 11, 28))


def _row(rows: list[dict], queue: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in rows if r["queue"] == queue)


def test_recorded_agent_call_is_answered_in_target() -> None:
    watch = QueueWatch(QUEUES)
    board = AgentBoard({}, 2)
    frames = recorded_frames("ami_agent_call.jsonl")
    last = frames[-1][0]
    before_unregistered = None
    lines = Decided(watch)
    for ts, frame in frames:
        event = adapt(frame)
        if isinstance(event, ev.QueueMemberStatus) \
                and event.status is ev.DeviceState.UNAVAILABLE:
            before_unregistered = _row(watch.snapshot(board, last, EMPTY_DAY), "q12345")
        if event is not None:
            board.apply(event, ts)
            lines.on_event(event, ts)
    (answered,) = [line for line in lines if line["event"] == "queue.answered"]
    assert (answered["queue"], answered["agent"], answered["wait_s"]) == ("q12345", "1001", 2)
    # the agent after its wrap-up; the recording ends with the softphone unregistered
    # (member Status 5): then not counted as available (Asterisk would not ring it)
    assert before_unregistered is not None and before_unregistered["available"] == 1
    row = _row(watch.snapshot(board, last, EMPTY_DAY), "q12345")
    assert (row["waiting"], row["available"]) == (0, 0)


def test_waiting_longest_wait_and_abandon() -> None:
    watch = QueueWatch(QUEUES)
    board = AgentBoard({}, 2)
    lines = Decided(watch)
    lines.on_event(ev.QueueCallerJoin("c1", "1.1", "1.1", "q12315", 1, 1), 100.0)
    lines.on_event(ev.QueueCallerJoin("c2", "1.2", "1.2", "q12315", 2, 2), 104.0)
    row = _row(watch.snapshot(board, 110.0, EMPTY_DAY), "q12315")
    assert (row["waiting"], row["longest_wait_s"]) == (2, 10.0)
    assert watch.oldest("q12315") == 100.0 and watch.oldest("q12345") is None
    lines.on_event(ev.QueueCallerAbandon("c1", "1.1", "1.1", "q12315", 1, 1, 12), 112.0)
    lines.on_event(ev.QueueCallerLeave("c1", "1.1", "1.1", "q12315", 1, 1), 112.0)
    lines.on_event(ev.Hangup("c1", "1.1", "1.1", 16, "Normal Clearing"), 112.1)
    row = _row(watch.snapshot(board, 112.0, EMPTY_DAY), "q12315")
    assert (row["waiting"], row["longest_wait_s"]) == (1, 8.0)
    (abandoned,) = [line for line in lines if line["event"] == "queue.abandoned"]
    assert (abandoned["queue"], abandoned["wait_s"], abandoned["ts"]) == ("q12315", 12, 112.0)


def test_the_figures_of_the_day_are_the_reports() -> None:
    watch = QueueWatch(QUEUES)
    day = Report(date(2026, 11, 28), date(2026, 11, 28))
    day.by_queue["q12315"] = Tally(offered=3, answered=2, answered_in_15s=1, abandoned=1,
                                   overflowed=4)
    row = _row(watch.snapshot(AgentBoard({}, 2), 0.0, day), "q12315")
    assert (row["answered"], row["in_target_pct"], row["abandoned"], row["overflowed"]) == (
        2, 50.0, 1, 4)
    quiet = _row(watch.snapshot(AgentBoard({}, 2), 0.0, day), "q12345")
    assert (quiet["answered"], quiet["in_target_pct"], quiet["abandoned"]) == (0, None, 0)


def test_a_queue_timeout_that_overflows_is_not_an_abandon() -> None:
    watch = QueueWatch(QUEUES)
    lines = Decided(watch)
    lines.on_event(ev.QueueCallerJoin("c1", "1.1", "1.1", "q12315", 1, 1), 100.0)
    # Asterisk reports the timeout like an abandon; the dialplan then overflows the caller
    lines.on_event(ev.QueueCallerAbandon("c1", "1.1", "1.1", "q12315", 1, 1, 10), 110.0)
    lines.on_event(ev.UserEvent("c1", "1.1", "1.1", "CcOverflow",
                                (("From", "q12315"), ("To", "q12345"),
                                 ("QueueStatus", "TIMEOUT"))), 110.0)
    lines.on_event(ev.QueueCallerJoin("c1", "1.1", "1.1", "q12345", 1, 1), 110.1)
    lines.on_event(ev.Hangup("c1", "1.1", "1.1", 16, "Normal Clearing"), 130.0)
    decided = [(line["event"], line["queue"]) for line in lines
               if line["event"] in ("queue.abandoned", "queue.overflowed")]
    assert decided == [("queue.overflowed", "q12315")]
    (overflowed,) = [line for line in lines if line["event"] == "queue.overflowed"]
    assert (overflowed["to"], overflowed["wait_s"]) == ("q12345", 10)
