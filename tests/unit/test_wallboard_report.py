"""The wallboard's (and ``run.py status``'s) figures of the day agree with ``run.py report``
over the same period: the recorded session (tests/data/replay) fed through the engine's own
decision code as the replay does, the facts it publishes counted live (as the wallboard
counts them), compared with the report of the log — at the end and at every point the log
could have been read; after a restart, the day read back from the call log; and the day is
the local day."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import astuple
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from callcenter.calllog.writer import CallLog
from callcenter.calls.facts import (
    CallBegan,
    CallFact,
    CallFinished,
    CallRefused,
    CallRouted,
    QueueAnswered,
    QueueJoined,
    log_fact,
)
from callcenter.clock import iso_ts, parse_ts
from callcenter.config.loader import config_hash, load_config
from callcenter.hub import Subscription
from callcenter.paths import PROJECT_ROOT
from callcenter.replay.runner import Replayer
from callcenter.reports.figures import Report, ReportBuilder, Tally, local_day
from callcenter.reports.render import tables
from callcenter.wallboard import catchup
from callcenter.wallboard.day import DayFigures
from callcenter.wallboard.live import wrapups
from callcenter.wallboard.screen import ScreenState, screen

DATA = PROJECT_ROOT / "tests/data/replay"
SESSION = DATA / "session.jsonl"
CONFIG = load_config(DATA / "config")
WRAPUP = wrapups(CONFIG)


def session_lines() -> list[str]:
    return SESSION.read_text(encoding="utf-8").splitlines()


def report_of(lines: list[str], day: date | None = None) -> Report:
    """What ``run.py report [--from D --to D]`` counts over these lines."""
    return ReportBuilder(WRAPUP, day, day).feed(json.loads(line) for line in lines)


async def replayed(lines: list[str], tmp_path: Path,
                   whole: bool = True) -> tuple[Replayer, DayFigures, float]:
    """The lines through the engine's decision code (as ``run.py replay``), the facts it
    publishes on its hub counted live (as the engine's wallboard counts them). ``whole``: the
    whole log, which replays without a divergence (a cut one may end before a timer's
    decision was recorded)."""
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    day = DayFigures(WRAPUP)

    def counted(fact: CallFact, ts: float) -> None:
        day.count(fact.record(ts))

    replayer = Replayer(CONFIG, config_hash(DATA / "config"),
                        listeners=[Subscription("wallboard", counted, (CallFact,))])
    result = await replayer.run_file(path)
    assert not whole or [d.describe() for d in result.divergences] == []
    assert result.last_ts is not None
    return replayer, day, result.last_ts


def shown(report: Report) -> dict[str, Any]:
    """What the wallboard shows of a day's report."""
    return {"total": astuple(report.total),
            "queues": {q: astuple(t) for q, t in report.by_queue.items()},
            "agents": {a: astuple(t) for a, t in report.by_agent.items()}}


def _tally_row(t: Tally) -> dict[str, Any]:
    return {"answered": t.answered, "abandoned": t.abandoned, "overflowed": t.overflowed,
            "service_rate": None if t.service_level is None else round(t.service_level, 4),
            "connection_rate": None if t.connection_rate is None
            else round(t.connection_rate, 4)}


async def test_the_board_agrees_with_the_report_on_the_recorded_session(
        tmp_path: Path) -> None:
    lines = session_lines()
    replayer, day, now = await replayed(lines, tmp_path)
    report = report_of(lines, local_day(now))
    # by hand: 4 calls (12345, 12396 merged, 12333 menu → overflow, 12313 sub-center
    # fallback); 2 answered by 1001 in q12345 (2 s, 1 s), 2 abandoned there (1 s, 11 s)
    t = report.total
    assert (t.offered, t.answered, t.abandoned, t.abandoned_5s, t.overflowed) == (4, 2, 2, 1, 1)
    assert report.by_queue["q12333"].overflowed == 1

    today = day.today(now)
    assert shown(today) == shown(report)
    wall = screen(ScreenState(CONFIG, replayer.core.queue_watch, replayer.core.agent_desk.board,
                            replayer.core.agent_desk.since, today, {}), now)
    rows = {q["queue"]: q for q in wall["queues"]}
    for queue in CONFIG.queues.queues:
        tally = report.by_queue.get(queue, Tally())
        assert {k: rows[queue][k] for k in _tally_row(tally)} == _tally_row(tally), queue
    assert {k: wall["totals"][k] for k in _tally_row(t)} == _tally_row(t)
    assert wall["totals"]["offered"] == 4 and wall["totals"]["connection_rate"] == round(2 / 3, 4)
    agents = {a["agent"]: a for a in wall["agents"]}
    assert agents["1001"]["calls_today"] == 2
    assert agents["1001"]["aht_s"] == round(report.by_agent["1001"].aht_s or 0, 1)
    # the report's own tables say the same (the queue table with its 溢出 column)
    by_queue = {row["队列"]: row for row in tables(report, ReportBuilder(WRAPUP))["by_queue"]}
    assert (by_queue["q12345"]["人工接通"], by_queue["q12333"]["溢出"]) == (2, 1)
    # run.py status: the same rows
    status = replayer.core.queue_watch.snapshot(replayer.core.agent_desk.board, now, today)
    for row in status:
        assert (row["answered"], row["abandoned"], row["overflowed"]) == (
            rows[row["queue"]]["answered"], rows[row["queue"]]["abandoned"],
            rows[row["queue"]]["overflowed"])
    # nothing of a caller on the board
    text = json.dumps(wall, ensure_ascii=False)
    assert "137" not in text and "caller" not in text and "call_id" not in text


async def test_at_every_point_the_log_could_be_read_the_board_agrees(tmp_path: Path) -> None:
    """Cut the log before each raw input (the engine had logged all it decided before it):
    ``run.py report`` over the log so far counts what the live count shows, through every
    stage of the session's calls."""
    lines = session_lines()
    cuts = [k for k, line in enumerate(lines) if json.loads(line)["event"] == "ami.frame"
            and k > 0]
    stages = set()
    for k in cuts:
        _, day, now = await replayed(lines[:k], tmp_path, whole=False)
        today = day.today(now)
        assert shown(today) == shown(report_of(lines[:k], local_day(now))), k
        stages.add((today.total.offered, today.total.answered, today.total.abandoned))
    assert len(cuts) > 300 and len(stages) == 5  # no call ended … all four


def _shifted(lines: list[str], days: int, compact: bool = False) -> list[str]:
    """The session ``days`` later, as other calls (``compact``: no spaces, as the call log's
    writer puts it)."""
    out = []
    for line in lines:
        record = json.loads(line)
        record["ts"] = iso_ts(parse_ts(record["ts"]) + days * 86400)
        if "call_id" in record:
            record["call_id"] = f"{record['call_id']}.{days}"
        out.append(json.dumps(record, ensure_ascii=False,
                              separators=(",", ":") if compact else (", ", ": ")))
    return out


@pytest.mark.parametrize("compact", [True, False], ids=["as-written", "spaced"])
def test_after_a_restart_the_day_so_far_is_read_back_from_the_call_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compact: bool) -> None:
    """Yesterday's and today's sessions in one log: the board's day is today's only, as
    ``run.py report --from today --to today`` counts it (the file bisected, not read whole)."""
    monkeypatch.setattr(catchup, "BLOCK", 512)
    lines = session_lines()
    log = _shifted(lines, -1, compact) + _shifted(lines, 0, compact)
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(log) + "\n", encoding="utf-8")
    now = parse_ts(json.loads(lines[-1])["ts"])
    reports = catchup.read_day(path, path.stat().st_size, now, WRAPUP)
    today = reports.settled(local_day(now))
    assert shown(today) == shown(report_of(log, local_day(now)))
    assert today.total.offered == 4 and report_of(log).total.offered == 8
    with path.open("rb") as file:  # it did skip yesterday
        start = catchup.start_offset(file, path.stat().st_size,
                                     iso_ts(catchup.day_start(now) - catchup.MARGIN_S))
    assert start > len("\n".join(log[:len(lines) // 2]))


def test_lines_logged_while_the_day_is_read_back_count_once(tmp_path: Path) -> None:
    lines = session_lines()
    middle = len(lines) // 2
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines[:middle]) + "\n", encoding="utf-8")
    until = path.stat().st_size
    day = DayFigures(WRAPUP)
    for line in lines[:middle]:  # counted live before the restart's read: replaced
        day.count(json.loads(line))
    day.hold()
    with path.open("a", encoding="utf-8") as file:  # the engine logs on meanwhile
        for line in lines[middle:]:
            file.write(line + "\n")
            day.count(json.loads(line))
    assert day.catching_up
    now = parse_ts(json.loads(lines[-1])["ts"])
    day.caught_up(catchup.read_day(path, until, now, WRAPUP))
    assert not day.catching_up
    assert shown(day.today(now)) == shown(report_of(lines, local_day(now)))


def test_what_the_wallboard_counts_of_a_fact_is_the_line_the_call_log_writes(
        tmp_path: Path) -> None:
    """The live count and ``run.py report`` read the same thing: a fact's record is its
    call-log line (but for the caller's number, which the log masks and no figure uses)."""
    import structlog

    path = tmp_path / "calls.jsonl"
    log = CallLog(path)
    said = [CallBegan("1.1", "12345", "13812345678", "PJSIP/carrier-01", "from-carrier"),
            CallRouted("1.1", "12345", "12345热线", "12345", "main", "", "q12345", "engine",
                       extra=(("subcenter", "12366"),)),
            QueueJoined("1.1", "q12345", 1, 1), QueueAnswered("1.1", "q12345", "1001", 3, 1),
            CallRefused("1.2", "not the carrier"),
            CallFinished("1.1", "12345", "13812345678", "PJSIP/carrier-01", 42.5, 16,
                         "Normal Clearing", "hangup")]
    for k, fact in enumerate(said):
        log_fact(structlog.get_logger("t"), fact, 2.0 + k)
    log.close()
    written = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
               if json.loads(line)["event"] != "calllog.opened"]
    assert len(written) == len(said)
    for k, (fact, line) in enumerate(zip(said, written, strict=True)):
        record = fact.record(2.0 + k)
        if "caller" in record:
            assert line.pop("caller") == "138****5678"
            record.pop("caller")
        assert line.pop("level") == ("warning" if isinstance(fact, CallRefused) else "info")
        assert line == record


@pytest.fixture
def shanghai(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_today_is_the_local_day_as_the_report_counts_it(shanghai: None) -> None:
    """16:30 UTC is 00:30 the next day in Shanghai: a call then is the next day's."""
    def at(moment: datetime) -> str:
        return iso_ts(moment.timestamp())

    start = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    call = [{"ts": at(start), "event": "call.started", "call_id": "n1", "dialed": "12345",
             "context": "from-carrier"},
            {"ts": at(start + timedelta(seconds=8)), "event": "queue.answered",
             "call_id": "n1", "queue": "q12345", "agent": "1001", "wait_s": 8},
            {"ts": at(start + timedelta(seconds=90)), "event": "call.ended", "call_id": "n1"}]
    day = DayFigures(WRAPUP)
    for record in call:
        day.count(record)
    now = (start + timedelta(minutes=5)).timestamp()
    assert local_day(now) == date(2026, 12, 1)
    assert day.today(now).total.answered == 1
    assert day.today(now - 3600).total.offered == 0  # 23:35 on the 30th: not that day's
    expected = ReportBuilder(WRAPUP, date(2026, 12, 1), date(2026, 12, 1)).feed(call)
    assert shown(day.today(now)) == shown(expected)
    assert catchup.day_start(now) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC).timestamp()
