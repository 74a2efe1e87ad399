"""Simulated callers with sipp: calls through the carrier trunk to any dialed number.

One scenario serves every use: the dialed number and the caller's number come from an
injection CSV (one line per call), the caller stays ``hold_ms`` then hangs up, or answers
Asterisk's BYE when Asterisk hangs up first (sipp's stock scenarios count that as a
failure). Optional RFC 2833 digits are replayed from sipp's stock pcaps after given delays.
Those pcaps carry fixed RTP sequence numbers and timestamps, and Asterisk drops an event that
is older than one it has seen: in one call, digits must go in the order 1, 2, 3, … 9 (0 only
alone). sipp 3.6.1's ``play_dtmf`` reached Asterisk with no digit at all in this lab.
All traffic goes to loopback; every run is bounded in calls and time.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PCAP_DIR = Path("/usr/share/sip-tester")


@dataclass(frozen=True, slots=True)
class CallSpec:
    dialed: str
    caller: str
    display: str = ""  # the From header's display name (as the caller's phone sends it)


@dataclass(frozen=True, slots=True)
class SippResult:
    returncode: int
    successful: int
    failed: int
    output: str
    stats: dict[str, str]


_HEADERS = """      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: {display}<sip:[field1]@[local_ip]:[local_port]>;tag=[pid]CC[call_number]
      To: <sip:[field0]@[remote_ip]:[remote_port]>{to_tag}
      Call-ID: [call_id]
      CSeq: {cseq}
      Contact: <sip:[field1]@[local_ip]:[local_port]>
      Max-Forwards: 70"""


def scenario(hold_ms: int, dtmf: Sequence[tuple[int, str]] = (),
             audio: bool | Path = False, display: bool = False) -> str:
    """The sipp XML of one call: INVITE, hold, DTMF, hang up (or take Asterisk's BYE).
    ``audio``: True plays sipp's stock recording, a path plays that RTP pcap
    (:func:`lab.rtp.write_rtp_pcap`), from the moment the call is answered.
    ``display``: the From header carries a display name (the injection file's third field)."""
    shown = '"[field2]" ' if display else ""
    invite_headers = _HEADERS.format(to_tag="", cseq="1 INVITE", display=shown)
    ack_headers = _HEADERS.format(to_tag="[peer_tag_param]", cseq="1 ACK", display=shown)
    bye_headers = _HEADERS.format(to_tag="[peer_tag_param]", cseq="2 BYE", display=shown)
    middle: list[str] = []
    if audio:
        pcap = PCAP_DIR / "g711a.pcap" if audio is True else Path(audio)
        middle.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
    spent = 0
    order = "1234567890"  # 0 has the highest sequence number but a low timestamp
    sequence = [order.index(d) for _, d in dtmf]
    if any(b <= a for a, b in itertools.pairwise(sequence)) or (
            "0" in [d for _, d in dtmf][1:]):
        raise ValueError("the stock DTMF pcaps only work in the order 1..9 (0 only alone)")
    for delay_ms, digit in dtmf:
        middle.append(f'  <recv request="BYE" timeout="{delay_ms}" '
                      f'ontimeout="d{spent}"/>')
        middle.append('  <nop next="asterisk_bye"/>')
        middle.append(f'  <label id="d{spent}"/>')
        middle.append(f'  <nop><action><exec play_pcap_audio="{PCAP_DIR}/dtmf_2833_{digit}.pcap"/>'
                      "</action></nop>")
        spent += delay_ms
    remaining = max(hold_ms - spent, 1)
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="12345 caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[field0]@[remote_ip]:[remote_port] SIP/2.0
{invite_headers}
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[local_ip_type] [local_ip]
      t=0 0
      m=audio [auto_media_port] RTP/AVP 0 8 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[field0]@[remote_ip]:[remote_port] SIP/2.0
{ack_headers}
      Content-Length: 0
    ]]>
  </send>
{chr(10).join(middle)}
  <recv request="BYE" timeout="{remaining}" ontimeout="caller_bye"/>
  <label id="asterisk_bye"/>
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
  <nop next="done"/>
  <label id="caller_bye"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[field0]@[remote_ip]:[remote_port] SIP/2.0
{bye_headers}
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
  <label id="done"/>
</scenario>
"""


def _injection(calls: Sequence[CallSpec]) -> str:
    for c in calls:
        if any(bad in f"{c.dialed}{c.caller}{c.display}" for bad in ";\n\r"):
            raise ValueError("sipp's injection file cannot carry ';' or line breaks")
    lines = ["SEQUENTIAL"] + [f"{c.dialed};{c.caller};{c.display};" for c in calls]
    return "\n".join(lines) + "\n"


def _read_stats(path: Path) -> dict[str, str]:
    try:
        rows = list(csv.reader(path.read_text().splitlines(), delimiter=";"))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1], strict=False))


def lab_sip_target() -> str:
    """Where the lab's simulated callers and phones find Asterisk's SIP port: the default
    instance's, or the one ``CALLCENTER_LAB_SIP`` names (the test suite's own Asterisk)."""
    return os.environ.get("CALLCENTER_LAB_SIP", "127.0.0.1:5060")


async def place_calls(calls: Sequence[CallSpec], *, target: str | None = None,
                      hold_ms: int = 3000, rate: float = 10.0, limit: int | None = None,
                      dtmf: Sequence[tuple[int, str]] = (), audio: bool | Path = False,
                      local_port: int = 5070, media_port: int = 16000,
                      timeout_s: float | None = None) -> SippResult:
    """Place ``len(calls)`` calls and wait for all of them to end."""
    if shutil.which("sipp") is None:
        raise RuntimeError("sipp is not installed: apt-get install sip-tester")
    target = target or lab_sip_target()
    if not calls:
        return SippResult(0, 0, 0, "", {})
    if not target.startswith(("127.", "localhost", "[::1]")):
        raise ValueError("simulated calls only go to loopback")
    longest = hold_ms + sum(d for d, _ in dtmf)
    budget = timeout_s or (len(calls) / rate + longest / 1000 + 30)
    with tempfile.TemporaryDirectory(prefix="cc-sipp-") as tmp:
        work = Path(tmp)
        (work / "caller.xml").write_text(scenario(hold_ms, dtmf, audio,
                                                  display=any(c.display for c in calls)))
        (work / "calls.csv").write_text(_injection(calls))
        stats = work / "stats.csv"
        args = ["sipp", target, "-sf", str(work / "caller.xml"), "-inf", str(work / "calls.csv"),
                "-i", "127.0.0.1", "-p", str(local_port), "-mp", str(media_port),
                "-m", str(len(calls)), "-r", f"{rate:g}", "-rp", "1000",
                "-l", str(limit or len(calls)), "-nostdin", "-trace_stat", "-stf", str(stats),
                "-fd", "1", "-timeout", f"{int(budget)}s", "-timeout_error",
                "-max_recv_loops", "1000", "-aa"]
        process = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=work)
        try:
            out, _ = await asyncio.wait_for(process.communicate(), budget + 15)
        except TimeoutError:
            process.kill()
            out, _ = await process.communicate()
        except asyncio.CancelledError:  # e.g. a failed test: no caller left behind
            process.kill()
            await process.wait()
            raise
        stats_row = _read_stats(stats)
    ok = int(stats_row.get("SuccessfulCall(C)", "0") or 0)
    failed = int(stats_row.get("FailedCall(C)", "0") or 0)
    return SippResult(process.returncode or 0, ok, failed,
                      out.decode(errors="replace"), stats_row)


def uas_scenario(answer: bool) -> str:
    """Seats of a sub-center: ring, then answer (and wait for the BYE) or ring forever."""
    ringing = """  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SEAT[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:seat@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
"""
    if not answer:
        return f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="sub-center seat that never answers">
{ringing}  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SEAT[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SEAT[call_number]
      [last_Call-ID:]
      CSeq: [cseq] INVITE
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
"""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="sub-center seat that answers">
{ringing}  <pause milliseconds="300"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SEAT[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:seat@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=seat 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[local_ip_type] [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
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
</scenario>
"""


class SippUas:
    """A sipp UAS on a loopback port, bounded in time, run from a directory of its own
    (removed when it stops): what the lab's seats and the citizens' phones share."""

    def __init__(self, port: int, media_port: int, lifetime_s: int) -> None:
        self.port = port
        self.media_port = media_port
        self.lifetime_s = lifetime_s
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: asyncio.subprocess.Process | None = None

    async def _start(self, text: str, name: str, prefix: str, *options: str) -> None:
        """sipp playing the scenario ``text`` (kept as ``name``), with more ``options``."""
        self._dir = tempfile.TemporaryDirectory(prefix=prefix)
        scenario_file = Path(self._dir.name) / name
        scenario_file.write_text(text)
        self._process = await asyncio.create_subprocess_exec(
            "sipp", "-sf", str(scenario_file), "-i", "127.0.0.1", "-p", str(self.port),
            "-mp", str(self.media_port), "-nostdin", "-timeout", f"{self.lifetime_s}s",
            "-max_recv_loops", "1000", "-aa", *options,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            cwd=self._dir.name)
        await asyncio.sleep(0.3)  # let it bind

    async def __aexit__(self, *exc: object) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), 5)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        if self._dir is not None:
            self._dir.cleanup()


class SippSeat(SippUas):
    """A sipp UAS standing in for a sub-center's seats on a loopback port (bounded in time)."""

    def __init__(self, port: int, *, answer: bool, media_port: int,
                 lifetime_s: int = 300) -> None:
        super().__init__(port, media_port, lifetime_s)
        self.answer = answer

    @property
    def contact(self) -> str:
        return f"sip:seat@127.0.0.1:{self.port}"

    async def __aenter__(self) -> SippSeat:
        await self._start(uas_scenario(self.answer), "seat.xml", "cc-seat-")
        return self
