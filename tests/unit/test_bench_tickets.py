"""bench/tickets_scale.py on a tiny store: the tickets it fills are what the loop's steps
make of them (a place in the loop and its history agree; the moment the scan next has
something to do is the pure state's; history lines in time order), and a run prints its
figures with the scan at once again finding nothing to do."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bench.ticket_fill import Plan, fill
from callcenter.ticketflow.limits import Limits
from callcenter.ticketflow.state import remind_at
from callcenter.ticketflow.store import flow_of

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 10, 0).timestamp()


def test_the_filled_tickets_are_what_the_loop_makes(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    counts = fill(path, Plan(2000, NOW, NOW - 3600, 0.03, 7), jobs=1, told=lambda _: None)
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        assert db.execute("SELECT COUNT(*) FROM ticket").fetchone()[0] == 2000
        flows = db.execute("SELECT * FROM ticket_flow ORDER BY ticket").fetchall()
        assert [f["ticket"] for f in flows] == list(range(1, 2001))
        lines: dict[int, list[sqlite3.Row]] = {}
        for line in db.execute("SELECT * FROM ticket_event ORDER BY id"):
            lines.setdefault(line["ticket"], []).append(line)
        assert sum(map(len, lines.values())) == counts["events"]
        for row in flows:
            history = lines[row["ticket"]]
            assert history[0]["action"] == "accept_call"
            assert (history[-1]["after"], len(history)) == (row["step"], row["version"] + 1)
            assert row["remind_at"] == remind_at(flow_of(row), Limits())
        ats = [r[0] for r in db.execute("SELECT at FROM ticket_event ORDER BY id")]
        assert ats == sorted(ats)
        assert 0 < counts["open"] < 2000
    finally:
        db.close()


def test_a_tiny_run_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, "bench/tickets_scale.py", "--tickets", "2000", "--baseline", "0",
         "--samples", "5", "--steps", "10", "--jobs", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "unit page: 待办 (led and assisted)" in done.stdout
    assert "back office: 督办" in done.stdout
    assert "timeline of a ticket" in done.stdout
    assert "; at once again: 0 reminded" in done.stdout
    assert "steps in a row (sign, reply): 10 in" in done.stdout
