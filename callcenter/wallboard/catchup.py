"""The day so far, read back from the call log when the engine starts (a restart must not
empty the wallboard's "today"): the lines from shortly before local midnight, found by
bisecting the file on its ``ts`` (the log is written in time order, give or take seconds),
up to where the live count took over. Raw frames and AGI requests are skipped unparsed."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, time
from pathlib import Path
from typing import BinaryIO

from callcenter.clock import iso_ts
from callcenter.reports.figures import CALL_LINES, local_day
from callcenter.wallboard.day import DailyReports

MARGIN_S = 600.0  # lines written out of time order by up to this much
BLOCK = 64 * 1024  # bisect down to this, then read
# ts and event open every line, written compactly (the call log's writer) or with spaces
# (json.dumps: older logs, hand-made ones)
SKIPPED = re.compile(r'"event": ?"(?:ami\.frame|agi\.request)"')
HEAD = 80
TS = re.compile(rb'^\{"ts": ?"([0-9T:.Z-]+)"')


def day_start(now: float) -> float:
    """Local midnight of the day of ``now``."""
    return datetime.combine(local_day(now), time()).timestamp()


def _ts_after(file: BinaryIO, offset: int) -> bytes | None:
    """The ``ts`` of the first whole line after ``offset`` (None: none readable there)."""
    file.seek(offset)
    if offset:
        file.readline()  # the rest of a line begun before
    found = TS.match(file.readline())
    return found.group(1) if found else None


def start_offset(file: BinaryIO, size: int, since: str) -> int:
    """An offset at or before the first line stamped ``since`` or later."""
    wanted = since.encode()
    low, high = 0, size
    while high - low > BLOCK:
        middle = (low + high) // 2
        ts = _ts_after(file, middle)
        if ts is not None and ts < wanted:
            low = middle
        else:
            high = middle
    return low


def read_day(path: Path, until: int, now: float, wrapup_s: Mapping[str, int]) -> DailyReports:
    """The day of ``now`` so far: the log's call lines up to byte ``until``, counted."""
    reports = DailyReports(wrapup_s)
    with path.open("rb") as file:
        position = start_offset(file, until, iso_ts(day_start(now) - MARGIN_S))
        file.seek(position)
        if position:
            position += len(file.readline())
        while True:
            raw = file.readline()
            position += len(raw)
            if not raw or position > until:
                break
            line = raw.decode("utf-8", "replace")
            if SKIPPED.search(line, 0, HEAD):
                continue
            try:
                record = json.loads(line)
                if isinstance(record, dict) and record.get("event") in CALL_LINES:
                    reports.add(record)
            except (ValueError, KeyError, TypeError):
                continue  # a corrupt or truncated line: the report skips it too
    return reports
