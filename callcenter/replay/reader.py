"""Reading a call log as a stream: one record at a time, with its line number; a corrupt or
truncated line is reported (line number, why) and skipped, never fatal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class LogLine:
    number: int
    end_offset: int  # bytes read so far (progress)
    record: dict[str, Any]

    @property
    def event(self) -> str:
        return str(self.record.get("event", ""))


@dataclass(frozen=True, slots=True)
class BadLine:
    number: int
    end_offset: int
    problem: str


def read_log(path: Path) -> Iterator[LogLine | BadLine]:
    offset = 0
    with path.open("rb") as file:
        for number, raw in enumerate(file, 1):
            offset += len(raw)
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                truncated = not raw.endswith(b"\n")
                why = "truncated line (no end)" if truncated else f"not JSON: {exc}"
                yield BadLine(number, offset, why)
                continue
            if not isinstance(record, dict) or not isinstance(record.get("event"), str) \
                    or not isinstance(record.get("ts"), str):
                yield BadLine(number, offset, "not a call-log record (needs 'ts' and 'event')")
                continue
            yield LogLine(number, offset, record)
