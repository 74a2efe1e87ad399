"""One audio stream through one recognizer: chunks, utterance ends, timestamps.

Between utterances, quiet audio is not decoded at all (the caller's channel is mostly quiet
while the agent talks, and decoding quiet costs as much as decoding speech): the last
``PREROLL_CHUNKS`` quiet chunks are kept and fed first when speech starts, so no onset is
clipped.

Runs in a worker thread (Vosk releases the GIL) and is otherwise pure: the recognizer is
anything with Vosk's four methods, so tests use a fake. Times are seconds of audio since the
stream started, counted here (a recycled recognizer restarts its own clock).

An utterance ends when Vosk says so (``AcceptWaveform`` true → ``Result()``, which must then
be called or the utterance never ends), or when ``silence_final_s`` of quiet audio follows
speech (→ ``FinalResult()``): Vosk's endpointing can take 1.4 s or never come with a noise
floor. Quiet is judged by level (RMS), on the audio itself, so a stream decoded from a file
is cut exactly like the same audio live.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

SAMPLE_RATE = 8000
CHUNK_BYTES = 1600  # 100 ms: ~7 % cheaper for Vosk than 20 ms frames
QUIET_RMS = 300.0  # of 32768: below this a chunk is quiet (speech is thousands)
PREROLL_CHUNKS = 3  # quiet audio fed ahead of speech (300 ms)


class Recognizer(Protocol):
    """What the segmenter needs of a Vosk KaldiRecognizer (its method names)."""

    def AcceptWaveform(self, data: bytes) -> int: ...
    def Result(self) -> str: ...
    def PartialResult(self) -> str: ...
    def FinalResult(self) -> str: ...


class _Retired:
    """Stands in for the recognizer of a finished stream (the real one was given back)."""

    def AcceptWaveform(self, data: bytes) -> int:
        raise RuntimeError("this stream is over: its recognizer was given back")

    def Result(self) -> str:
        raise RuntimeError("this stream is over: its recognizer was given back")

    PartialResult = FinalResult = Result


@dataclass(frozen=True, slots=True)
class AsrResult:
    final: bool
    text: str
    start_s: float
    end_s: float


_RETIRED: Recognizer = _Retired()


def rms(chunk: bytes) -> float:
    samples = np.frombuffer(chunk, dtype="<i2").astype(np.float32)
    return float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0


def _text(raw: str, key: str) -> str:
    try:
        return str(json.loads(raw).get(key, "")).strip()
    except (ValueError, AttributeError):
        return ""


class Segmenter:
    def __init__(self, recognizer: Recognizer, *, silence_final_s: float = 0.6,
                 quiet_rms: float = QUIET_RMS,
                 renew: Callable[[Recognizer, float], Recognizer] | None = None,
                 on_swapped: Callable[[], None] | None = None) -> None:
        self.recognizer = recognizer
        self.silence_final_s = silence_final_s
        self.quiet_rms = quiet_rms
        self.renew = renew  # called after each utterance: may swap a worn recognizer
        self.on_swapped = on_swapped  # the worn one is gone: give its memory back
        self.samples = 0  # audio decoded by this stream (counted exactly, in samples)
        self.recognizer_samples = 0  # … by the current recognizer
        self._pending = bytearray()
        self._speech_start: float | None = None
        self._speech_end = 0.0
        self._quiet_s = 0.0
        self._partial = ""
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_CHUNKS)
        self.skipped_samples = 0  # quiet audio between utterances, not decoded

    def feed(self, pcm: bytes) -> list[AsrResult]:
        """Decode ``pcm`` (s16le 8 kHz); returns finals and changed partials, in order."""
        self._pending += pcm
        out: list[AsrResult] = []
        while len(self._pending) >= CHUNK_BYTES:
            chunk = bytes(self._pending[:CHUNK_BYTES])
            del self._pending[:CHUNK_BYTES]
            out += self._chunk(chunk)
        return out

    def finish(self) -> list[AsrResult]:
        """The stream ended (hang-up): decode what is left and flush the utterance."""
        out: list[AsrResult] = []
        rest = bytes(self._pending[: len(self._pending) // 2 * 2])  # odd bytes corrupt Vosk
        self._pending.clear()
        if rest:
            out += self._chunk(rest)
        if self._speech_start is not None:
            out += self._end(self.recognizer.FinalResult())
        return out

    def retire(self) -> None:
        """Let go of the recognizer (the stream is over): nothing here keeps it alive."""
        self.recognizer = _RETIRED

    @property
    def audio_s(self) -> float:
        return self.samples / SAMPLE_RATE

    @property
    def decoded_by_recognizer_s(self) -> float:
        return self.recognizer_samples / SAMPLE_RATE

    def _accept(self, chunk: bytes) -> bool:
        self.recognizer_samples += len(chunk) // 2
        return bool(self.recognizer.AcceptWaveform(chunk))

    def _chunk(self, chunk: bytes) -> list[AsrResult]:
        start = self.audio_s
        seconds = len(chunk) / 2 / SAMPLE_RATE
        self.samples += len(chunk) // 2
        loud = rms(chunk) >= self.quiet_rms
        if self._speech_start is None:
            if not loud:  # between utterances: keep it as pre-roll, decode nothing
                if len(self._preroll) == self._preroll.maxlen:
                    self.skipped_samples += len(self._preroll[0]) // 2
                self._preroll.append(chunk)
                return []
            for quiet_chunk in self._preroll:
                if self._accept(quiet_chunk):
                    self.recognizer.Result()  # an endpoint inside quiet: nothing said
            self._preroll.clear()
            self._speech_start = start
        if loud:
            self._speech_end = self.audio_s
            self._quiet_s = 0.0
        else:
            self._quiet_s += seconds
        if self._accept(chunk):
            return self._end(self.recognizer.Result())
        if self._quiet_s >= self.silence_final_s:
            return self._end(self.recognizer.FinalResult())
        partial = _text(self.recognizer.PartialResult(), "partial")
        if partial and partial != self._partial:
            self._partial = partial
            return [AsrResult(False, partial, round(self._speech_start, 3),
                              round(self.audio_s, 3))]
        return []

    def _end(self, raw: str) -> list[AsrResult]:
        text = _text(raw, "text")
        start = self._speech_start if self._speech_start is not None else self.audio_s
        end = max(self._speech_end, start)
        self._speech_start, self._quiet_s, self._partial = None, 0.0, ""
        if self.renew is not None:
            renewed = self.renew(self.recognizer, self.decoded_by_recognizer_s)
            if renewed is not self.recognizer:
                self.recognizer, self.recognizer_samples = renewed, 0
                del renewed
                if self.on_swapped is not None:
                    self.on_swapped()
        return [AsrResult(True, text, round(start, 3), round(end, 3))] if text else []
