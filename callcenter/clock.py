"""Time as the engine writes and reads it, in one place: the call log's stamps (ISO 8601 UTC
with milliseconds, and the whole-millisecond time every decision is taken on, so that a
replay, which has only the log, decides the same), and the store's and audit trail's
(ISO 8601 UTC to the second)."""

from __future__ import annotations

from datetime import UTC, datetime

_second_cache: tuple[int, str] = (-1, "")


def iso_ts(t: float) -> str:
    """``2026-11-28T07:18:50.123Z``; the date-time part is cached per second (hot path)."""
    global _second_cache
    second = int(t)
    if second != _second_cache[0]:
        text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second_cache = (second, text)
    return f"{_second_cache[1]}.{_millis(t, second):03d}Z"


def _millis(t: float, second: int) -> int:
    return min(round((t - second) * 1000), 999)


_MILLIS_Z = [f".{ms:03d}Z\"".encode() for ms in range(1000)]
_second_bytes: tuple[int, bytes] = (-1, b"")


def iso_ts_quoted(t: float) -> bytes:
    """:func:`iso_ts` as the JSON string the call log writes (``b'"2026-…123Z"'``): the
    hot path of every AMI frame."""
    global _second_bytes
    second = int(t)
    if second != _second_bytes[0]:
        _second_bytes = (second, b'"' + iso_ts(t)[:19].encode())
    millis = round((t - second) * 1000)  # (as _millis)
    return _second_bytes[1] + _MILLIS_Z[millis if millis < 1000 else 999]


def log_time(t: float) -> float:
    """``t`` as the call log writes it (whole milliseconds): the engine decides on this value
    so that a replay, which only has the log, computes exactly the same figures."""
    second = int(t)
    return second + _millis(t, second) / 1000


def parse_ts(text: str) -> float:
    """The inverse of :func:`iso_ts` (``2026-11-28T07:18:50.123Z`` → epoch seconds)."""
    global _parse_cache
    head, _, millis = text.rstrip("Z").partition(".")
    if head != _parse_cache[0]:
        _parse_cache = (head, int(datetime.strptime(head, "%Y-%m-%dT%H:%M:%S")
                                  .replace(tzinfo=UTC).timestamp()))
    return _parse_cache[1] + int(millis or 0) / 1000


_parse_cache: tuple[str, int] = ("", 0)


def iso_seconds(moment: datetime | float) -> str:
    """The store's and audit trail's time: ``2026-11-30T08:00:05+00:00`` (a datetime, or
    seconds since 1970)."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def wall_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)
