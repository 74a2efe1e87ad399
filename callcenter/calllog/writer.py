"""The call log: structlog → JSON lines, one file, one clock.

Every line has ``ts`` (ISO 8601 UTC, milliseconds), ``event`` (a dotted name such as
``call.started``) and, inside a call, ``call_id`` (bound per task with contextvars). The raw
AMI frames and FastAGI requests the engine received are written to the same file
(``ami.frame`` / ``agi.request`` lines) in arrival order, so a replay reads one stream.

Caller numbers are masked unless the admin setting ``privacy.log_full_numbers`` is on.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

import orjson
import structlog
from structlog.typing import EventDict, WrappedLogger

from callcenter.calllog import privacy
from callcenter.clock import iso_ts, iso_ts_quoted
from callcenter.private import private_file

CONSOLE_SKIP = frozenset({"ts", "event", "level", "logger"})




def add_timestamp(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """``ts`` given as a float (the time a frame arrived) is kept; otherwise now."""
    ts = event_dict.get("ts")
    if isinstance(ts, float | int):
        event_dict["ts"] = iso_ts(float(ts))
    elif ts is None:
        event_dict["ts"] = iso_ts(datetime.now(UTC).timestamp())
    return event_dict


def mask_numbers(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    privacy.mask_event_dict(event_dict)
    return event_dict


def _order(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """``ts`` and ``event`` first, so that a line reads well in ``less``."""
    head = {"ts": event_dict.pop("ts"), "event": event_dict.pop("event")}
    head.update(event_dict)
    return head


class _Sink:
    """Where rendered lines go (UTF-8 bytes): the call-log file, and a short form on a
    console.

    Lines reach the disk at most ``flush_interval`` seconds after they are written (the
    engine also flushes on a timer, so a quiet spell never holds a line back); ``0`` writes
    every line through at once.
    """

    BATCH_BYTES = 256 * 1024  # written out at once when this much is waiting

    def __init__(self, file: IO[bytes], console: TextIO | None,
                 flush_interval: float) -> None:
        self.file = file
        self.console = console
        self.flush_interval = flush_interval
        self._last_flush = time.monotonic()
        self._waiting: list[bytes] = []  # lines not yet handed to the file, in order

    CHECK_EVERY = 64  # lines between looks at the clock (and at the bytes waiting)

    def write_line(self, line: bytes) -> None:
        if self.flush_interval <= 0:
            self.file.write(line + b"\n")
            self.file.flush()
            return
        waiting = self._waiting
        waiting.append(line)
        if len(waiting) % self.CHECK_EVERY == 0 and (
                len(waiting) * len(line) >= self.BATCH_BYTES
                or time.monotonic() - self._last_flush >= self.flush_interval):
            self.flush()

    def flush(self) -> None:
        if self._waiting:
            self._waiting.append(b"")
            self.file.write(b"\n".join(self._waiting))
            self._waiting.clear()
        self.file.flush()
        self._last_flush = time.monotonic()

    def echo(self, event_dict: Mapping[str, Any]) -> None:
        if self.console is None:
            return
        rest = " ".join(
            f"{k}={v}" for k, v in event_dict.items() if k not in CONSOLE_SKIP
        )
        ts = str(event_dict.get("ts", ""))[11:23]
        self.console.write(f"{ts} {event_dict.get('event')} {rest}\n")
        self.console.flush()


# Characters that some line readers (Python's str.splitlines, some editors and log shippers)
# take as line ends: a caller's SIP display name may carry them. Escaped, a line stays a line.
# (JSON escapes CR, LF and the other control characters itself.)
_LINE_BREAKERS = re.compile("\u0085|\u2028|\u2029".encode())
# orjson as json.dumps(default=str) did: datetimes and dataclasses through str(), as before
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _escaped(match: re.Match[bytes]) -> bytes:
    return f"\\u{ord(match.group(0).decode()):04x}".encode()


def dumps_bytes(data: Mapping[str, Any]) -> bytes:
    """One JSON line as UTF-8: non-ASCII text kept readable, anything that could end a line
    escaped (orjson: the call log's hot path; what it cannot write — an integer past 64 bits,
    a NaN — goes through the standard library as before)."""
    try:
        line = orjson.dumps(data, default=str, option=_ORJSON)
    except (TypeError, orjson.JSONEncodeError):
        line = json.dumps(data, ensure_ascii=False, default=str).encode()
    if not line.isascii() and _LINE_BREAKERS.search(line) is not None:  # (ASCII: fast)
        line = _LINE_BREAKERS.sub(_escaped, line)
    return line


def dumps(data: Mapping[str, Any]) -> str:
    """:func:`dumps_bytes` as text."""
    return dumps_bytes(data).decode()


class _Logger:
    def __init__(self, sink: _Sink) -> None:
        self._sink = sink

    def msg(self, line: bytes) -> None:
        self._sink.write_line(line)

    info = debug = warning = warn = error = critical = exception = msg


def _renderer(sink: _Sink) -> structlog.typing.Processor:
    def render(_: WrappedLogger, __: str, event_dict: EventDict) -> bytes:
        sink.echo(event_dict)
        return dumps_bytes(event_dict)

    return render


def line_processors(mask: bool) -> list[structlog.typing.Processor]:
    """What makes an event dict a call-log line (before rendering): context, level, time,
    masking. The replay captures its lines through the same."""
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        add_timestamp,
    ]
    if mask:
        processors.append(mask_numbers)
    return processors


_FRAME_LINE = b',"event":"ami.frame","frame":'


class CallLog:
    """Owns the call-log file; configures structlog to write into it."""

    def __init__(self, path: Path | None, *, mask: bool = True,
                 console: TextIO | None = None, flush_interval: float = 0.0) -> None:
        self.path = path
        self.mask = mask
        if path is None:
            file: IO[bytes] = sys.stdout.buffer
        else:
            file = private_file(path).open("ab")
        self._owns_file = path is not None
        self._frames = privacy.FrameMasker()
        self._sink = _Sink(file, console, flush_interval)
        processors = line_processors(mask)
        processors += [
            structlog.processors.format_exc_info,
            _order,
            _renderer(self._sink),
        ]
        structlog.configure(
            processors=processors,
            logger_factory=lambda *_: _Logger(self._sink),
            wrapper_class=structlog.BoundLogger,
            cache_logger_on_first_use=False,
        )

    def record(self, event: str, ts: float, payload_key: str,
               payload: Mapping[str, Any]) -> None:
        """Write a raw input (an AMI frame, an AGI request) in the same format and clock."""
        line: MutableMapping[str, Any] = {"ts": iso_ts(ts), "event": event, payload_key: payload}
        self._sink.write_line(dumps_bytes(line))

    def record_frame(self, frame_json: dict[str, Any], ts: float) -> None:
        """``frame_json`` is the caller's fresh dict (``AmiFrame.to_json()``): masked in place.
        The hot path (every AMI frame): the line is put together around the frame's JSON,
        as :meth:`record` would write it."""
        if self.mask:
            self._frames.mask(frame_json)
        try:  # a frame is text headers (lists for repeated ones): orjson as it is
            body = orjson.dumps(frame_json)
        except (TypeError, orjson.JSONEncodeError):
            body = dumps_bytes(frame_json)
        if not body.isascii() and _LINE_BREAKERS.search(body) is not None:
            body = _LINE_BREAKERS.sub(_escaped, body)
        self._sink.write_line(b'{"ts":' + iso_ts_quoted(ts) + _FRAME_LINE + body + b"}")

    def record_agi_request(self, headers: Mapping[str, str], ts: float) -> None:
        if self.mask:
            headers = privacy.mask_headers(headers, privacy.AGI_NUMBER_HEADERS)
        self.record("agi.request", ts, "request", headers)

    def remember_number(self, number: str) -> None:
        """A number the engine is about to dial: masked in the AMI frames that follow."""
        self._frames.remember(number)

    def flush(self) -> None:
        self._sink.flush()

    def close(self) -> None:
        self._sink.flush()
        if self._owns_file:
            self._sink.file.close()
