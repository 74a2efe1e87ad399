"""Replay of a session recorded from the real Asterisk (tests/data/replay)."""

from __future__ import annotations

import json
from pathlib import Path

from callcenter.config.loader import config_hash, load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.replay.reader import BadLine, read_log
from callcenter.replay.runner import Replayer, ReplayResult

DATA = PROJECT_ROOT / "tests/data/replay"
SESSION = DATA / "session.jsonl"
CONFIG = load_config(DATA / "config")


async def replay(path: Path, config_dir: Path = DATA / "config") -> ReplayResult:
    config = CONFIG if config_dir == DATA / "config" else load_config(config_dir)
    return await Replayer(config, config_hash(config_dir)).run_file(path)


def lines() -> list[str]:
    return SESSION.read_text().splitlines()


async def test_recorded_session_replays_without_divergence() -> None:
    result = await replay(SESSION)
    assert [d.describe() for d in result.divergences] == []
    assert result.bad_lines == [] and result.config_warning == ""
    # (the two speech forks were logged as calls before: 6 decisions the engine no longer makes)
    assert result.recorded_decisions == result.replayed_decisions >= 39
    assert result.frames > 300 and result.agi_requests >= 4
    events = {json.loads(line)["event"] for line in lines()}
    # what the session holds: routing, a menu, queues, overflow, abandonment
    assert {"call.routed", "menu.timeout", "queue.answered", "queue.overflowed",
            "queue.abandoned", "agent.state"} <= events


async def test_an_edited_decision_is_a_divergence_with_its_line(tmp_path: Path) -> None:
    text = lines()
    number = next(i for i, line in enumerate(text, 1) if '"queue.answered"' in line)
    record = json.loads(text[number - 1])
    record["agent"] = "9999"
    text[number - 1] = json.dumps(record, ensure_ascii=False)
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join(text) + "\n")
    result = await replay(edited)
    (divergence,) = result.divergences
    assert (divergence.line, divergence.event) == (number, "queue.answered")
    assert divergence.recorded is not None and divergence.recorded["agent"] == "9999"
    assert divergence.replayed is not None and divergence.replayed["agent"] == "1001"


async def test_a_decision_missing_from_the_log_is_reported(tmp_path: Path) -> None:
    text = [line for line in lines() if '"queue.overflowed"' not in line]
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(text) + "\n")
    result = await replay(cut)
    (divergence,) = result.divergences
    assert divergence.event == "queue.overflowed" and divergence.recorded is None


async def test_corrupt_and_truncated_lines_are_skipped_with_their_numbers(
        tmp_path: Path) -> None:
    text = lines()
    text.insert(10, "{not json")
    text.insert(20, '{"event": "no ts"}')
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join(text) + '\n{"ts": "2026-11-28T13:21:0')  # cut mid-write
    result = await replay(damaged)
    assert [(b.number, b.problem.split(":")[0]) for b in result.bad_lines] == [
        (11, "not JSON"), (21, "not a call-log record (needs 'ts' and 'event')"),
        (len(text) + 1, "truncated line (no end)")]
    assert result.divergences == []  # the rest replayed as before


async def test_another_configuration_is_warned_about() -> None:
    result = await replay(SESSION, PROJECT_ROOT / "config")
    assert "recorded with configuration" in result.config_warning
    # the shipped config has no menu on 12333: the menu's decisions differ, and say so
    assert any(d.event.startswith("menu.") for d in result.divergences)


def test_reader_streams_line_by_line(tmp_path: Path) -> None:
    log = tmp_path / "x.jsonl"
    log.write_text('{"ts": "2026-11-28T00:00:00.000Z", "event": "a"}\n\n[1]\n')
    items = list(read_log(log))
    assert [type(i).__name__ for i in items] == ["LogLine", "BadLine"]
    assert isinstance(items[1], BadLine) and items[1].number == 3


async def test_paced_replay_takes_its_time() -> None:
    import time

    started = time.monotonic()
    result = await Replayer(CONFIG, config_hash(DATA / "config"), speed=20).run_file(SESSION)
    assert result.divergences == []
    # the session spans ~38 s of log: at 20× real time that is ~1.9 s
    assert time.monotonic() - started >= result.log_span_s / 20 * 0.9
