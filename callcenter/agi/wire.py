"""FastAGI wire format, network-free.

A request is ``agi_key: value`` lines ended by an empty line. Replies to our commands are
``200 result=<n> [(data)] [endpos=<n>]``, ``510 Invalid or unknown command``,
``511 Command Not Permitted on a dead channel …``, or a ``520-`` multi-line usage block
closed by ``520 End of proper usage.``. With ``agi sighup`` Asterisk also sends a bare
``HANGUP`` line when the caller hangs up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote, urlsplit

from callcenter.errors import AgiProtocolError

MAX_REQUEST_BYTES = 16 * 1024
MAX_REQUEST_LINES = 200
HANGUP_LINE = "HANGUP"

_REPLY = re.compile(r"^(\d{3})(?:[ -](.*))?$")
_RESULT = re.compile(r"result=(\S*)(?:\s+\((.*)\))?(?:\s+endpos=(\d+))?")


@dataclass(frozen=True, slots=True)
class AgiRequest:
    """What Asterisk tells us when a channel enters ``AGI(agi://host:port/script?x=y,args)``."""

    headers: Mapping[str, str]
    script: str
    query: tuple[tuple[str, str], ...]
    args: tuple[str, ...]

    def get(self, key: str, default: str = "") -> str:
        return self.headers.get(key, default)

    @property
    def channel(self) -> str:
        return self.get("agi_channel")

    @property
    def uniqueid(self) -> str:
        return self.get("agi_uniqueid")

    @property
    def extension(self) -> str:
        return self.get("agi_extension")

    @property
    def caller(self) -> str:
        return self.get("agi_callerid")


@dataclass(frozen=True, slots=True)
class AgiReply:
    """``result`` is the numeric result (0 when it is not a number, e.g. GET DATA's digits
    ``*12``); ``raw_result`` is the text as sent."""

    code: int
    result: int
    data: str
    endpos: int | None
    text: str
    raw_result: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 200


def parse_request_lines(lines: list[str]) -> AgiRequest:
    """Build a request from its header lines (the empty line excluded)."""
    headers: dict[str, str] = {}
    args: dict[int, str] = {}
    for number, line in enumerate(lines, 1):
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key.startswith("agi_"):
            raise AgiProtocolError(f"request line {number} is not 'agi_name: value': {line!r}")
        value = value[1:] if value.startswith(" ") else value
        if key.startswith("agi_arg_"):
            index = key[len("agi_arg_"):]
            if not index.isdigit():
                raise AgiProtocolError(f"bad argument header {key!r}")
            args[int(index)] = value
        else:
            headers[key] = value
    if "agi_request" not in headers:
        raise AgiProtocolError("request has no agi_request header")
    script, query = split_script(headers.get("agi_network_script") or headers["agi_request"])
    return AgiRequest(
        headers=MappingProxyType(headers),
        script=script,
        query=query,
        args=tuple(args[i] for i in sorted(args)),
    )


def split_script(raw: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``agi://127.0.0.1:4573/route?x=1`` or ``route?x=1`` → ``("route", (("x", "1"),))``."""
    if "://" in raw:
        parts = urlsplit(raw)
        path, query = parts.path, parts.query
    else:
        path, _, query = raw.partition("?")
    script = unquote(path.strip("/"))
    return script, tuple(parse_qsl(query, keep_blank_values=True))


class AgiRequestReader:
    """Incremental request reader with hard bounds; ``feed`` returns the request once whole."""

    def __init__(self) -> None:
        self._buffer = b""
        self._lines: list[str] = []
        self._size = 0

    def feed(self, data: bytes) -> AgiRequest | None:
        self._size += len(data)
        if self._size > MAX_REQUEST_BYTES:
            raise AgiProtocolError(f"request larger than {MAX_REQUEST_BYTES} bytes")
        self._buffer += data
        while True:
            eol = self._buffer.find(b"\n")
            if eol < 0:
                return None
            raw, self._buffer = self._buffer[:eol], self._buffer[eol + 1:]
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if line == "":
                if not self._lines:
                    continue
                return parse_request_lines(self._lines)
            self._lines.append(line)
            if len(self._lines) > MAX_REQUEST_LINES:
                raise AgiProtocolError(f"request has more than {MAX_REQUEST_LINES} lines")


def parse_reply(lines: list[str]) -> AgiReply:
    """Parse one reply, given all its lines (one, or a whole ``520-`` block)."""
    if not lines:
        raise AgiProtocolError("empty reply")
    first = lines[0]
    match = _REPLY.match(first)
    if match is None:
        raise AgiProtocolError(f"not an AGI reply: {first!r}")
    code = int(match.group(1))
    rest = match.group(2) or ""
    text = "\n".join(lines)
    if code != 200:
        return AgiReply(code, -1, rest, None, text)
    result = _RESULT.search(rest)
    if result is None:
        raise AgiProtocolError(f"200 reply without result=: {first!r}")
    endpos = int(result.group(3)) if result.group(3) else None
    raw = result.group(1)
    number = int(raw) if raw.lstrip("-").isdigit() else 0
    return AgiReply(200, number, result.group(2) or "", endpos, text, raw)


def reply_complete(lines: list[str]) -> bool:
    """Whether the lines read so far make a whole reply (``520-`` blocks span lines)."""
    if not lines:
        return False
    if lines[0].startswith("520-"):
        return lines[-1].startswith("520 ")
    return True


def quote_arg(value: str) -> str:
    """Quote one AGI command argument."""
    cleaned = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{cleaned}"'
