from __future__ import annotations

from callcenter.agents.state import AgentBoard
from callcenter.ami import events as ev
from callcenter.ami.adapter import adapt
from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.queues.watch import QueueWatch
from tests.recorded import recorded_frames

QUEUES = load_config(PROJECT_ROOT / "config").queues


def _row(rows: list[dict], queue: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in rows if r["queue"] == queue)


def test_recorded_agent_call_is_answered_in_target() -> None:
    watch = QueueWatch(QUEUES)
    board = AgentBoard({}, 2)
    last = 0.0
    for ts, frame in recorded_frames("ami_agent_call.jsonl"):
        event = adapt(frame)
        if event is not None:
            board.apply(event, ts)
            watch.on_event(event, ts)
        last = ts
    row = _row(watch.snapshot(board, last), "q12345")
    assert (row["answered"], row["in_target_pct"], row["waiting"]) == (1, 100.0, 0)
    assert row["available"] == 1  # the agent, after its wrap-up


def test_waiting_longest_wait_and_abandon() -> None:
    watch = QueueWatch(QUEUES)
    board = AgentBoard({}, 2)
    watch.on_event(ev.QueueCallerJoin("c1", "1.1", "1.1", "q12315", 1, 1), 100.0)
    watch.on_event(ev.QueueCallerJoin("c2", "1.2", "1.2", "q12315", 2, 2), 104.0)
    row = _row(watch.snapshot(board, 110.0), "q12315")
    assert (row["waiting"], row["longest_wait_s"]) == (2, 10.0)
    watch.on_event(ev.QueueCallerAbandon("c1", "1.1", "1.1", "q12315", 1, 1, 12), 112.0)
    watch.on_event(ev.QueueCallerLeave("c1", "1.1", "1.1", "q12315", 1, 1), 112.0)
    watch.on_event(ev.Hangup("c1", "1.1", "1.1", 16, "Normal Clearing"), 112.1)
    row = _row(watch.snapshot(board, 112.0), "q12315")
    assert (row["waiting"], row["abandoned"], row["longest_wait_s"]) == (1, 1, 8.0)
    watch.on_event(ev.AgentConnect("c2", "1.2", "1.2", "q12315", "PJSIP/agent-2006", "2006",
                                   "x", 20, 2), 124.0)
    row = _row(watch.snapshot(board, 125.0), "q12315")
    assert (row["answered"], row["in_target_pct"]) == (1, 0.0)  # 20 s > 15 s target


def test_a_queue_timeout_that_overflows_is_not_an_abandon() -> None:
    watch = QueueWatch(QUEUES)
    board = AgentBoard({}, 2)
    watch.on_event(ev.QueueCallerJoin("c1", "1.1", "1.1", "q12315", 1, 1), 100.0)
    # Asterisk reports the timeout like an abandon; the dialplan then overflows the caller
    watch.on_event(ev.QueueCallerAbandon("c1", "1.1", "1.1", "q12315", 1, 1, 10), 110.0)
    watch.on_event(ev.UserEvent("c1", "1.1", "1.1", "CcOverflow",
                                (("From", "q12315"), ("To", "q12345"),
                                 ("QueueStatus", "TIMEOUT"))), 110.0)
    watch.on_event(ev.QueueCallerJoin("c1", "1.1", "1.1", "q12345", 1, 1), 110.1)
    watch.on_event(ev.Hangup("c1", "1.1", "1.1", 16, "Normal Clearing"), 130.0)
    rows = watch.snapshot(board, 130.0)
    assert (_row(rows, "q12315")["abandoned"], _row(rows, "q12315")["overflowed"]) == (0, 1)
