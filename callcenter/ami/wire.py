"""The AMI wire parser: ``feed(bytes) -> frames``, network-free.

AMI is a line protocol: a banner line (``Asterisk Call Manager/x.y.z``), then frames of
``Key: Value`` lines separated by CRLF, each frame ended by an empty line. The parser keeps
no state but its buffer, bounds that buffer, and never raises on a bad line inside a frame:
such lines are kept in :attr:`AmiFrame.malformed` so the adapter can report them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from callcenter.errors import AmiProtocolError

BANNER_PREFIX = b"Asterisk Call Manager/"
FRAME_END = b"\r\n\r\n"
DEFAULT_MAX_FRAME_BYTES = 1 << 20


MALFORMED = "__malformed__"  # the JSON form's key for lines that were not headers


@dataclass(frozen=True, slots=True)
class AmiFrame:
    """One AMI message (event or response) as received.

    ``headers`` keeps the first value of each key; keys that repeat (``Output``,
    ``ChanVariable``) keep all their values, in order, in ``repeated``.
    """

    headers: Mapping[str, str]
    repeated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    malformed: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The event name, or ``""`` for a response."""
        return self.headers.get("Event", "")

    @property
    def is_event(self) -> bool:
        return "Event" in self.headers

    @property
    def is_response(self) -> bool:
        return "Response" in self.headers

    @property
    def action_id(self) -> str:
        return self.headers.get("ActionID", "")

    def get(self, key: str, default: str = "") -> str:
        return self.headers.get(key, default)

    def values(self, key: str) -> tuple[str, ...]:
        """All values of a key that may repeat."""
        if key in self.repeated:
            return self.repeated[key]
        value = self.headers.get(key)
        return () if value is None else (value,)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready form; :func:`frame_from_json` inverts it."""
        out: dict[str, object] = dict(self.headers)
        for key, values in self.repeated.items():
            out[key] = list(values)
        if self.malformed:
            out[MALFORMED] = list(self.malformed)
        return out


def frame_from_json(data: Mapping[str, object]) -> AmiFrame:
    """Rebuild a frame recorded with :meth:`AmiFrame.to_json`."""
    headers: dict[str, str] = {}
    repeated: dict[str, tuple[str, ...]] = {}
    malformed: tuple[str, ...] = ()
    for key, value in data.items():
        if key == MALFORMED and isinstance(value, list):
            malformed = tuple(str(v) for v in value)
        elif isinstance(value, list):
            values = tuple(str(v) for v in value)
            if values:
                headers[key] = values[0]
                repeated[key] = values
        else:
            headers[key] = str(value)
    return AmiFrame(headers, repeated, malformed)


def parse_block(block: str) -> AmiFrame:
    """Parse the text of one frame (without the terminating empty line)."""
    headers: dict[str, str] = {}
    repeated: dict[str, list[str]] | None = None
    malformed: list[str] | None = None
    for line in block.split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key:
            if line.strip():
                if malformed is None:
                    malformed = []
                malformed.append(line)
            continue
        if value[:1] == " ":
            value = value[1:]
        if key in headers:
            if repeated is None:
                repeated = {}
            repeated.setdefault(key, [headers[key]]).append(value)
        else:
            headers[key] = value
    return AmiFrame(
        headers,
        {k: tuple(v) for k, v in repeated.items()} if repeated else {},
        tuple(malformed) if malformed else (),
    )


class AmiParser:
    """Incremental parser: feed it whatever the socket gave, get whole frames back."""

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._buffer = b""
        self._max = max_frame_bytes
        self.banner: str | None = None

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[AmiFrame]:
        return list(self.iter_feed(data))

    def iter_feed(self, data: bytes) -> Iterator[AmiFrame]:
        buf = self._buffer + data if self._buffer else data
        start = 0
        if self.banner is None:
            if len(buf) < len(BANNER_PREFIX) and BANNER_PREFIX.startswith(buf):
                self._buffer = buf
                return
            if buf.startswith(BANNER_PREFIX):
                eol = buf.find(b"\r\n")
                if eol < 0:
                    self._check_size(len(buf))
                    self._buffer = buf
                    return
                self.banner = buf[:eol].decode("utf-8", "replace")
                start = eol + 2
            else:
                self.banner = ""
        find = buf.find
        while True:
            end = find(FRAME_END, start)
            if end < 0:
                break
            if end > start:
                block = buf[start:end].decode("utf-8", "replace").lstrip("\r\n")
                if block:
                    yield parse_block(block)
            start = end + 4
        rest = buf[start:]
        self._check_size(len(rest))
        self._buffer = rest

    def _check_size(self, size: int) -> None:
        if size > self._max:
            self._buffer = b""
            raise AmiProtocolError(
                f"AMI frame larger than {self._max} bytes without an end; stream reset"
            )
