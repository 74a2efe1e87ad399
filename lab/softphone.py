"""A simulated person on a SIP softphone (pyVoIP): an agent of the 12345 centre, or a
sub-center's seat. It registers, answers after a delay, plays a tone (or a wav) while it
talks for a while, hangs up, and keeps a record of what happened for tests and the demo.

pyVoIP is blocking and runs its own threads; asyncio code talks to a Softphone only through
its thread-safe methods and :meth:`wait_for` (which polls off the event loop). Lab traps
(see shared/ASTERISK-LAB.md): keep its SIP port off 5060 and its RTP ports off Asterisk's
range; its audio is 8-bit unsigned 8 kHz; read it non-blocking, paced at 20 ms.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import dataclass, field

from pyVoIP.VoIP import CallState, InvalidStateError, PhoneStatus, VoIPCall, VoIPPhone

from lab.sipp import lab_sip_target

FRAME_S = 0.02
FRAME_BYTES = 160  # 20 ms of 8 kHz 8-bit audio
MAX_RECORDED = 30_000  # frames kept per call (10 minutes)


def tone(frequency: float = 440.0, seconds: float = 1.0, volume: float = 0.3) -> bytes:
    """8-bit unsigned 8 kHz samples of a sine tone (pyVoIP's audio format)."""
    count = int(8000 * seconds)
    return bytes(int(128 + 127 * volume * math.sin(2 * math.pi * frequency * i / 8000))
                 for i in range(count))


@dataclass
class CallRecord:
    caller: str
    offered_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    heard_audio: bool = False
    last_heard_at: float | None = None  # when it last heard something (not silence)
    # (when, 8-bit unsigned samples) of what it heard, with SoftphoneSettings.record
    heard: list[tuple[float, bytes]] = field(default_factory=list)


@dataclass
class SoftphoneSettings:
    username: str
    password: str
    sip_port: int
    rtp_low: int
    rtp_high: int
    server: str = field(default_factory=lambda: lab_sip_target().rpartition(":")[0])
    server_port: int = field(default_factory=lambda: int(lab_sip_target().rpartition(":")[2]))
    answer_delay_s: float = 0.5
    talk_s: float = 3.0
    answer: bool = True  # False: let it ring (never answer)
    audio: bytes = field(default_factory=lambda: tone(440.0, 1.0))
    record: bool = False  # keep what it hears (CallRecord.heard), up to MAX_RECORDED frames


class Softphone:
    def __init__(self, settings: SoftphoneSettings) -> None:
        self.settings = settings
        self.calls: list[CallRecord] = []
        self._lock = threading.Lock()
        self._phone = VoIPPhone(settings.server, settings.server_port, settings.username,
                                settings.password, myIP="127.0.0.1",
                                callCallback=self._on_call, sipPort=settings.sip_port,
                                rtpPortLow=settings.rtp_low, rtpPortHigh=settings.rtp_high)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> None:
        self._phone.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._phone.get_status() == PhoneStatus.REGISTERED:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"softphone {self.settings.username} did not register")

    def stop(self) -> None:
        # pyVoIP raises assorted errors when it cannot deregister (Asterisk already gone)
        with contextlib.suppress(Exception):
            self._phone.stop()

    # -- what happened ----------------------------------------------------------------

    @property
    def answered(self) -> list[CallRecord]:
        with self._lock:
            return [c for c in self.calls if c.answered_at is not None]

    @property
    def offered(self) -> int:
        with self._lock:
            return len(self.calls)

    # -- the person -------------------------------------------------------------------

    def _on_call(self, call: VoIPCall) -> None:
        """Runs in a pyVoIP thread for each incoming call."""
        s = self.settings
        record = CallRecord(caller=str(call.request.headers.get("From", {}).get("number", "")),
                            offered_at=time.time())
        with self._lock:
            self.calls.append(record)
        if not s.answer:
            return  # ring until the caller side gives up
        time.sleep(s.answer_delay_s)
        try:
            call.answer()
        except InvalidStateError:
            return  # the caller went away while it rang
        record.answered_at = time.time()
        deadline = time.monotonic() + s.talk_s
        offset = 0
        next_frame = time.monotonic()
        while time.monotonic() < deadline and call.state == CallState.ANSWERED:
            chunk = s.audio[offset:offset + FRAME_BYTES]
            if len(chunk) < FRAME_BYTES:
                offset, chunk = 0, s.audio[:FRAME_BYTES]
            offset += FRAME_BYTES
            call.write_audio(chunk)
            heard = call.read_audio(FRAME_BYTES, blocking=False)
            if heard and any(abs(b - 128) > 8 for b in heard):
                record.heard_audio = True
                record.last_heard_at = time.time()
            if heard and s.record and len(record.heard) < MAX_RECORDED:
                record.heard.append((time.time(), bytes(heard)))
            next_frame += FRAME_S
            time.sleep(max(0.0, next_frame - time.monotonic()))
        if call.state == CallState.ANSWERED:
            with contextlib.suppress(InvalidStateError):
                call.hangup()
        record.ended_at = time.time()
