"""The public network for the centre's outbound calls: a sipp UAS on the outbound trunk's
port (engine.yaml ``outbound.trunk``, 127.0.0.1:5070 in the lab) plays the citizens' phones.

One behaviour per run of the UAS (restart it to change what the next call meets):

- ``answer``: rings, answers, stays until Asterisk hangs up;
- ``busy``: 486 Busy Here;
- ``no-answer``: rings until Asterisk gives up (CANCEL);
- ``keys``: answers, then presses keys after given delays (RFC 2833 from sipp's stock
  pcaps: within one call only in the order 1, 2, … 9, 0 only alone — see :mod:`lab.sipp`),
  then stays until Asterisk hangs up.

Every request the UAS gets is written to its message trace (:meth:`PublicNetwork.invites`
reads the INVITEs: who the citizen's phone says is calling). Loopback only, bounded in time.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from lab.sipp import PCAP_DIR, SippUas

TRACE = "messages.log"  # sipp's trace of the messages it received, in its directory

BEHAVIOURS = ("answer", "busy", "no-answer", "keys")

_REPLY = """      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]CIT[call_number]
      [last_Call-ID:]
      [last_CSeq:]"""

_RINGING = f"""  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
{_REPLY}
      Contact: <sip:citizen@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
"""

_ANSWER = f"""  <pause milliseconds="300"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
{_REPLY}
      Contact: <sip:citizen@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=citizen 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[local_ip_type] [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
"""

_TAKE_BYE = """  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
"""


def _keys(keys: Sequence[tuple[int, str]]) -> str:
    order = "1234567890"  # the stock pcaps' RTP sequence numbers rise in this order
    sequence = [order.index(k) for _, k in keys]
    if any(b <= a for a, b in itertools.pairwise(sequence)) or (
            "0" in [k for _, k in keys][1:]):
        raise ValueError("the stock DTMF pcaps only work in the order 1..9 (0 only alone)")
    steps = []
    for delay_ms, key in keys:
        steps.append(f'  <pause milliseconds="{delay_ms}"/>')
        steps.append(f'  <nop><action><exec play_pcap_audio="{PCAP_DIR}/dtmf_2833_{key}.pcap"/>'
                     "</action></nop>")
    return "\n".join(steps) + "\n"


def scenario(behaviour: str, keys: Sequence[tuple[int, str]] = ()) -> str:
    """The sipp UAS XML of one citizen's phone."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"unknown behaviour {behaviour!r}: one of {', '.join(BEHAVIOURS)}")
    if keys and behaviour != "keys":
        raise ValueError("keys go with the 'keys' behaviour")
    if behaviour == "busy":
        body = f"""  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 486 Busy Here
{_REPLY}
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>
"""
    elif behaviour == "no-answer":
        body = _RINGING + f"""  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
{_REPLY}
      Content-Length: 0
    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]CIT[call_number]
      [last_Call-ID:]
      CSeq: [cseq] INVITE
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>
"""
    else:
        body = _RINGING + _ANSWER + _keys(keys) + _TAKE_BYE
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="citizen's phone: {behaviour}">
{body}</scenario>
"""


class PublicNetwork(SippUas):
    """A sipp UAS standing in for the citizens' phones on ``port`` (loopback, bounded)."""

    def __init__(self, port: int, behaviour: str, *, keys: Sequence[tuple[int, str]] = (),
                 media_port: int = 17200, lifetime_s: int = 300) -> None:
        super().__init__(port, media_port, lifetime_s)
        self.text = scenario(behaviour, keys)

    @property
    def _trace(self) -> Path:
        assert self._dir is not None
        return Path(self._dir.name) / TRACE

    def invites(self) -> list[str]:
        """The INVITEs received so far, as text (headers and body)."""
        try:
            text = self._trace.read_text(errors="replace")
        except OSError:
            return []
        return [m.group(0) for m in re.finditer(r"INVITE sip:.*?(?=\n-{10}|\Z)", text, re.S)]

    async def __aenter__(self) -> PublicNetwork:
        if shutil.which("sipp") is None:
            raise RuntimeError("sipp is not installed: apt-get install sip-tester")
        # (sipp runs in the directory: its trace lands at ``_trace``)
        await self._start(self.text, "citizen.xml", "cc-public-", "-trace_msg",
                          "-message_file", TRACE)
        return self
