"""A strict reading of one SIP message from a WebSocket text frame, network-free.

The browser softphone's frames reach Asterisk through the engine (:mod:`callcenter.api.
sip_proxy`), and what the engine lets through must be read exactly as Asterisk's SIP stack
(pjsip) would read it. So this reader accepts only what has a single reading, and refuses
the rest rather than guess:

- one message per frame: a start line, header lines ended by CRLF (never a bare CR or LF,
  which pjsip also takes as a line end), a blank line, and a body of exactly
  ``Content-Length`` bytes (pjsip reads what follows a shorter length as a second message);
- no folded header lines, no control characters, no space before a header's colon;
- exactly one From, To, Call-ID, CSeq, Via and Content-Length (full or compact names), the
  Via a single value;
- From and To as RFC 3261 name-addr or addr-spec: quoted display names with their escapes,
  the URI between ``<>``, then only ``;name=value`` parameters; the URI's user part is
  everything before its ``@`` (a password or a parameter in it makes it another user).

JsSIP, which the pages use, writes every message this way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from callcenter.errors import SipRefused

MAX_MESSAGE_CHARS = 64 * 1024
HEAD_END = "\r\n\r\n"
# RFC 3261 7.3.3 compact forms (those pjsip knows)
COMPACT = {"f": "from", "t": "to", "i": "call-id", "v": "via", "l": "content-length",
           "m": "contact", "c": "content-type", "e": "content-encoding", "k": "supported",
           "s": "subject", "o": "event", "r": "refer-to", "b": "referred-by",
           "u": "allow-events", "x": "session-expires", "a": "accept-contact",
           "j": "reject-contact", "d": "request-disposition", "y": "identity"}
EXACTLY_ONE = ("from", "to", "call-id", "cseq", "via", "content-length")

_REQUEST_LINE = re.compile(r"([A-Z]{1,16}) ((?i:sips?):[!-~]{1,512}) SIP/2\.0")
_STATUS_LINE = re.compile(r"SIP/2\.0 ([1-6][0-9]{2}) [^\x00-\x1f\x7f]{0,128}")
_HEADER = re.compile(r"([A-Za-z0-9!%*_+`'~.-]{1,64}):[ \t]*(.*?)[ \t]*")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CALL_ID = re.compile(r"[!-~]{1,256}")
_CSEQ = re.compile(r"([0-9]{1,10})[ \t]+([A-Z]{1,16})")
_LENGTH = re.compile(r"[0-9]{1,6}")
_TOKEN = r"[A-Za-z0-9.!%*_+`'~-]+"
_QUOTED = r'"(?:[^"\\\r\n]|\\[^\r\n])*"'
_DISPLAY_TOKENS = re.compile(rf"(?:{_TOKEN}[ \t]*)*")
_QUOTED_AT = re.compile(_QUOTED)
_PARAMS = re.compile(rf"(?:[ \t]*;[ \t]*{_TOKEN}(?:[ \t]*=[ \t]*(?:{_TOKEN}|{_QUOTED}|"
                     rf"\[[0-9A-Fa-f:.]+\]))?)*[ \t]*")
_PARAM = re.compile(rf";[ \t]*({_TOKEN})(?:[ \t]*=[ \t]*({_TOKEN}|{_QUOTED}|\[[0-9A-Fa-f:.]+\]))?")
_URI = re.compile(r"(?i:sips?):[!-~]+")
_URI_FORBIDDEN_BARE = re.compile(r'[;?<>",]')  # an addr-spec's URI: its ';' start header params


@dataclass(frozen=True, slots=True)
class Address:
    """A From or To header: its URI's user part (``""`` without one) and its parameters
    (names in lower case; ``tag`` marks a request within a dialog)."""

    display: str
    uri: str
    user: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")


@dataclass(frozen=True, slots=True)
class SipMessage:
    method: str  # "" for a response
    status: int  # 0 for a request
    request_uri: str
    sender: Address  # From
    to: Address
    call_id: str
    cseq: tuple[int, str]
    headers: tuple[tuple[str, str], ...]  # (canonical lower-case name, value), in order
    body: str

    @property
    def is_request(self) -> bool:
        return self.status == 0


def _refuse(why: str) -> SipRefused:
    return SipRefused(why)


def address(value: str) -> Address:
    """A From/To value as pjsip reads it, or :class:`SipRefused` where that is not certain."""
    rest = value.strip(" \t")
    display = ""
    if rest.startswith('"'):
        quoted = _QUOTED_AT.match(rest)
        if quoted is None:
            raise _refuse("a display name whose quotes do not close")
        display, rest = quoted.group(0), rest[quoted.end():].lstrip(" \t")
        if not rest.startswith("<"):
            raise _refuse("a quoted display name not followed by <URI>")
    elif "<" in rest:
        display, rest = rest[:rest.index("<")], rest[rest.index("<"):]
        if not _DISPLAY_TOKENS.fullmatch(display):
            raise _refuse("a display name that is neither quoted nor plain words")
    if rest.startswith("<"):
        end = rest.find(">")
        if end < 0:
            raise _refuse("a URI whose < does not close")
        uri, params = rest[1:end], rest[end + 1:]
        if "<" in uri:
            raise _refuse("a < inside a URI")
    else:
        cut = rest.find(";")
        uri, params = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
        if _URI_FORBIDDEN_BARE.search(uri):
            raise _refuse("a URI without <> holding ; ? < > \" or ,")
    if not _URI.fullmatch(uri):
        raise _refuse("a From/To URI that is not one sip: or sips: URI")
    if not _PARAMS.fullmatch(params):
        raise _refuse("something after a From/To URI that is not ;name=value parameters")
    found = {m.group(1).lower(): (m.group(2) or "") for m in _PARAM.finditer(params)}
    userinfo, at, _host = uri.partition(":")[2].partition("@")
    return Address(display.strip(" \t"), uri, userinfo if at else "", found)


def parse(frame: str) -> SipMessage:
    """The one SIP message in ``frame``; :class:`SipRefused` says why there is not exactly
    one that reads only one way."""
    if len(frame) > MAX_MESSAGE_CHARS:
        raise _refuse("a message over 64 kB")
    head, blank, body = frame.partition(HEAD_END)
    if not blank:
        raise _refuse("no blank line after the headers")
    lines = head.split("\r\n")
    if _CONTROL.search(head.replace("\r\n", "")):
        raise _refuse("a bare CR or LF, or a control character, in the headers")
    start, method, status, request_uri = lines[0], "", 0, ""
    if (request := _REQUEST_LINE.fullmatch(start)) is not None:
        method, request_uri = request.group(1), request.group(2)
    elif (response := _STATUS_LINE.fullmatch(start)) is not None:
        status = int(response.group(1))
    else:
        raise _refuse("not a SIP/2.0 request or status line")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            raise _refuse("a folded header line")
        match = _HEADER.fullmatch(line)
        if match is None:
            raise _refuse("a header line that is not 'Name: value'")
        name = match.group(1).lower()
        headers.append((COMPACT.get(name, name), match.group(2)))
    one: dict[str, str] = {}
    for name in EXACTLY_ONE:
        values = [v for n, v in headers if n == name]
        if len(values) != 1:
            raise _refuse(f"{len(values)} {name} headers (exactly one is allowed)")
        one[name] = values[0]
    if "," in one["via"]:
        raise _refuse("more than one Via value")
    if not _LENGTH.fullmatch(one["content-length"]) or int(
            one["content-length"]) != len(body.encode("utf-8")):
        raise _refuse("a Content-Length other than the body's length")
    if not _CALL_ID.fullmatch(one["call-id"]):
        raise _refuse("a Call-ID that is not one word")
    cseq = _CSEQ.fullmatch(one["cseq"])
    if cseq is None or (method and cseq.group(2) != method):
        raise _refuse("a CSeq that is not 'number METHOD' of this request")
    return SipMessage(method, status, request_uri, address(one["from"]), address(one["to"]),
                      one["call-id"], (int(cseq.group(1)), cseq.group(2)), tuple(headers),
                      body)
