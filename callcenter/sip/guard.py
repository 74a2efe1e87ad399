"""What a browser softphone may send to Asterisk, per socket (pure; no clock needed).

A page's softphone registers as its person's own endpoint and answers the calls Asterisk
offers it; it never starts a call. So, of what the browser sends:

- a REGISTER passes only from and for the socket's own endpoint (Asterisk then asks for
  that endpoint's password);
- a request within a dialog (a To tag) passes only for a call Asterisk started on this very
  socket (its Call-ID seen in a request from Asterisk), and only as one of the methods a
  call uses (ACK, BYE, INFO, INVITE, PRACK, UPDATE);
- a response passes only for a request Asterisk sent on this socket;
- anything else — a call started from the page, a message, an invented dialog — is refused.

Every message is first read by :func:`callcenter.sip.wire.parse`, which refuses a frame that
Asterisk could read another way. The Call-IDs kept are bounded (the most recent ones).
"""

from __future__ import annotations

from collections import OrderedDict

from callcenter.errors import SipRefused
from callcenter.sip.wire import parse

# RFC 5626 keep-alives: Asterisk pings with a double CRLF, JsSIP answers with one (refusing
# them closed the softphone's socket in the middle of a call)
KEEPALIVES = ("\r\n", "\r\n\r\n")
IN_A_CALL = frozenset({"ACK", "BYE", "INFO", "INVITE", "PRACK", "UPDATE"})
REMEMBERED_CALLS = 64


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
        if not message.is_request:
            if message.call_id not in self._calls:
                return "a response to no request Asterisk sent on this socket"
            return None
        if message.method == "REGISTER":
            if message.sender.user != self.endpoint or message.to.user != self.endpoint:
                return f"a REGISTER from or for another SIP user than {self.endpoint}"
            if message.to.tag is not None:
                return "a REGISTER with a To tag"
            return None
        if message.to.tag is None:
            return f"a {message.method} outside a call (the page only answers calls)"
        if message.method not in IN_A_CALL:
            return f"a {message.method} within a call"
        if message.call_id not in self._calls:
            return f"a {message.method} in a call Asterisk did not start on this socket"
        return None
