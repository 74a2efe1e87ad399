"""What a browser softphone may send to Asterisk, per socket (pure; no clock needed).

A page's softphone registers as its person's own endpoint and answers the calls Asterisk
offers it; it never starts a call. So, of what the browser sends:

- a REGISTER passes only from and for the socket's own endpoint (Asterisk then asks for
  that endpoint's password), with exactly one Contact, on this WebSocket
  (``;transport=ws``): Asterisk's WebSocket module rewrites only the first Contact, and a
  second one would send the agent's calls to any address over UDP;
- a request within a dialog (a To tag) passes only for a call Asterisk started on this very
  socket (its Call-ID seen in a request from Asterisk), and only as one of the methods a
  call uses (ACK, BYE, INFO, INVITE, PRACK, UPDATE);
- a response passes only for a request Asterisk sent on this socket, and never as a
  redirect (3xx: Asterisk would forward the citizen's call wherever the page says — out
  through the carrier trunk, into any context);
- nothing from the page may route Asterisk's messages (Record-Route, Route, Path: the
  call's ACK and BYE would go to any address);
- anything else — a call started from the page, a message, an invented dialog — is refused.

Every message is first read by :func:`callcenter.sip.wire.parse`, which refuses a frame that
Asterisk could read another way. The Call-IDs kept are bounded (the most recent ones).
"""

from __future__ import annotations

import re
from collections import OrderedDict

from callcenter.errors import SipRefused
from callcenter.sip.wire import parse

# RFC 5626 keep-alives: Asterisk pings with a double CRLF, JsSIP answers with one (refusing
# them closed the softphone's socket in the middle of a call)
KEEPALIVES = ("\r\n", "\r\n\r\n")
IN_A_CALL = frozenset({"ACK", "BYE", "INFO", "INVITE", "PRACK", "UPDATE"})
REMEMBERED_CALLS = 64
ROUTING = frozenset({"record-route", "route", "path"})  # a page never routes Asterisk's SIP
# one Contact on this WebSocket, with parameters as JsSIP writes them (+sip.instance quoted)
_WS_CONTACT = re.compile(r"<sips?:[^<>\s,;]+(?:;[^<>\s,;]+)*;transport=wss?(?:;[^<>\s,;]+)*>"
                         r"""(?:[ \t]*;[ \t]*[^;=",<>\s]+(?:=(?:[^;",<>\s]+|"[^"]*"))?)*""",
                         re.IGNORECASE)


class BrowserGuard:
    """One browser socket's rules: :meth:`refusal` for what the browser sends,
    :meth:`from_asterisk` for what Asterisk sends it (the calls the socket may act in)."""

    def __init__(self, endpoint: str, remembered: int = REMEMBERED_CALLS) -> None:
        self.endpoint = endpoint
        self._remembered = remembered
        self._calls: OrderedDict[str, None] = OrderedDict()

    def from_asterisk(self, frame: str) -> None:
        """Asterisk's requests name the calls the browser may then answer and act in."""
        try:
            message = parse(frame)
        except SipRefused:
            return  # Asterisk's own frame is relayed as it is; it names no call
        if message.is_request:
            self._calls[message.call_id] = None
            self._calls.move_to_end(message.call_id)
            while len(self._calls) > self._remembered:
                self._calls.popitem(last=False)

    def refusal(self, frame: str) -> str | None:
        """Why ``frame`` must not reach Asterisk (None: it may)."""
        if frame in KEEPALIVES:
            return None
        try:
            message = parse(frame)
        except SipRefused as refused:
            return refused.message
        if any(name in ROUTING for name, _value in message.headers):
            return "a Record-Route, Route or Path header from the page"
        if not message.is_request:
            if message.call_id not in self._calls:
                return "a response to no request Asterisk sent on this socket"
            if 300 <= message.status < 400:
                return "a redirect (3xx) from the page"
            return None
        if message.method == "REGISTER":
            if message.sender.user != self.endpoint or message.to.user != self.endpoint:
                return f"a REGISTER from or for another SIP user than {self.endpoint}"
            if message.to.tag is not None:
                return "a REGISTER with a To tag"
            contacts = [value for name, value in message.headers if name == "contact"]
            if len(contacts) != 1 or not _WS_CONTACT.fullmatch(contacts[0]):
                return "a REGISTER without exactly one Contact on this WebSocket"
            return None
        if message.to.tag is None:
            return f"a {message.method} outside a call (the page only answers calls)"
        if message.method not in IN_A_CALL:
            return f"a {message.method} within a call"
        if message.call_id not in self._calls:
            return f"a {message.method} in a call Asterisk did not start on this socket"
        return None
