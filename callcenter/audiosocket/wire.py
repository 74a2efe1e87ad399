"""The AudioSocket wire format, network-free: ``feed(bytes) -> frames``.

Each frame is a 3-byte header — kind (1 byte), payload length (2 bytes, big-endian) — and
the payload. Kinds: 0x00 hang-up (no payload), 0x01 the stream's UUID (16 bytes), 0x03 a DTMF
digit (1 byte), 0x10 audio (signed 16-bit little-endian mono at 8 kHz), 0xff an error (a
1-byte code). Anything else — an unknown kind, a length over the limit, a UUID that is not
16 bytes, odd-length audio (which would corrupt the recognizer's stream) — raises
:class:`AudioSocketProtocolError`; the buffer never holds more than one frame's worth.
"""

from __future__ import annotations

import struct
import uuid as uuidlib
from dataclasses import dataclass

from callcenter.errors import AudioSocketProtocolError

KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_AUDIO = 0x10
KIND_ERROR = 0xFF
HEADER = struct.Struct(">BH")
SAMPLE_RATE = 8000
# 20 ms of 8 kHz audio is 320 bytes; Asterisk sends that. A second of audio is the most a
# frame may carry here: more means a broken or hostile peer.
MAX_PAYLOAD = 16000


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


@dataclass(frozen=True, slots=True)
class StreamId:
    uuid: str


@dataclass(frozen=True, slots=True)
class Dtmf:
    digit: str


@dataclass(frozen=True, slots=True)
class Audio:
    pcm: bytes  # s16le mono 8 kHz, even length

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class PeerError:
    code: int


Frame = Hangup | StreamId | Dtmf | Audio | PeerError


class BrokenStream(AudioSocketProtocolError):
    """A protocol error, with the good frames that came before it in the same data."""

    def __init__(self, message: str, frames: list[Frame]) -> None:
        super().__init__(message)
        self.frames = frames


class AudioSocketParser:
    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._buffer = bytearray()
        self.failed = False

    @property
    def pending(self) -> int:
        """Bytes held for an incomplete frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        """The complete frames in what has arrived. On a protocol error: BrokenStream,
        carrying the complete frames that came before the bad one."""
        if self.failed:
            raise AudioSocketProtocolError("the stream already failed; open a new one")
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= HEADER.size:
            kind, length = HEADER.unpack_from(self._buffer)
            try:
                self._check_header(kind, length)
            except AudioSocketProtocolError as exc:
                raise BrokenStream(exc.message, frames) from None
            end = HEADER.size + length
            if len(self._buffer) < end:
                break
            payload = bytes(self._buffer[HEADER.size:end])
            del self._buffer[:end]
            frames.append(self._frame(kind, payload))
        return frames

    def close(self) -> None:
        """The peer closed: a partial frame left behind is a protocol error."""
        if self._buffer and not self.failed:
            self.failed = True
            raise AudioSocketProtocolError(
                f"connection closed inside a frame ({len(self._buffer)} bytes left over)")

    def _fail(self, message: str) -> AudioSocketProtocolError:
        self.failed = True
        self._buffer.clear()
        return AudioSocketProtocolError(message)

    def _check_header(self, kind: int, length: int) -> None:
        if kind not in (KIND_HANGUP, KIND_UUID, KIND_DTMF, KIND_AUDIO, KIND_ERROR):
            raise self._fail(f"unknown frame kind 0x{kind:02x}")
        if length > self.max_payload:
            raise self._fail(f"frame of {length} bytes (kind 0x{kind:02x}) is over the "
                             f"{self.max_payload}-byte limit")
        expected = {KIND_HANGUP: 0, KIND_UUID: 16, KIND_DTMF: 1}.get(kind)
        if expected is not None and length != expected:
            raise self._fail(f"frame kind 0x{kind:02x} must carry {expected} bytes, "
                             f"not {length}")
        if kind == KIND_AUDIO and length % 2:
            raise self._fail(f"audio frame of odd length {length}: not 16-bit samples")

    def _frame(self, kind: int, payload: bytes) -> Frame:
        if kind == KIND_HANGUP:
            return Hangup()
        if kind == KIND_UUID:
            return StreamId(str(uuidlib.UUID(bytes=payload)))
        if kind == KIND_DTMF:
            return Dtmf(payload.decode("ascii", errors="replace"))
        if kind == KIND_AUDIO:
            return Audio(payload)
        return PeerError(payload[0] if payload else 0)


def encode(frame: Frame) -> bytes:
    """The bytes of one frame (what Asterisk's side sends; used by simulators and tests)."""
    if isinstance(frame, Hangup):
        return HEADER.pack(KIND_HANGUP, 0)
    if isinstance(frame, StreamId):
        raw = uuidlib.UUID(frame.uuid).bytes
        return HEADER.pack(KIND_UUID, len(raw)) + raw
    if isinstance(frame, Dtmf):
        return HEADER.pack(KIND_DTMF, 1) + frame.digit.encode("ascii")[:1]
    if isinstance(frame, Audio):
        return HEADER.pack(KIND_AUDIO, len(frame.pcm)) + frame.pcm
    return HEADER.pack(KIND_ERROR, 1) + bytes([frame.code & 0xFF])
