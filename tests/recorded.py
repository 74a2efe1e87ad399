"""Helpers to use the AMI frames recorded from real calls (tests/data/*.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

from callcenter.ami.wire import AmiFrame, frame_from_json

DATA = Path(__file__).parent / "data"


def recorded_frames(name: str = "ami_demo_calls.jsonl") -> list[tuple[float, AmiFrame]]:
    from datetime import datetime

    out = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["event"] != "ami.frame":
            continue
        ts = datetime.fromisoformat(record["ts"].replace("Z", "+00:00")).timestamp()
        out.append((ts, frame_from_json(record["frame"])))
    return out


def to_wire(frame: AmiFrame) -> bytes:
    """The bytes Asterisk sent for a recorded frame (JSON keeps the header order)."""
    lines = []
    for key, value in frame.to_json().items():
        if key == "__malformed__":
            continue
        values = value if isinstance(value, list) else [value]
        lines += [f"{key}: {v}" for v in values]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
