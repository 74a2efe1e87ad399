"""The recognizer pool: one Vosk model shared by worker threads, warm recognizers reused,
worn ones replaced, a cap on concurrent streams. Vosk never runs on the event loop; if the
model is missing or Vosk fails, the pool says so once and calls go on untranscribed."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from callcenter.asr.model import check_model
from callcenter.asr.segmenter import (
    CHUNK_BYTES,
    SAMPLE_RATE,
    AsrResult,
    Recognizer,
    Segmenter,
)
from callcenter.config.models import AsrSettings
from callcenter.tasks import where

log = structlog.get_logger("asr")

# live streams one core keeps up with, measured by bench/asr_streams.py (2 cores; the lab
# model): static graph 11 per core with p95 lag < 300 ms, 9 with the pre-fill p95 < 1 s;
# lookahead ~3. Set below what was measured: Asterisk and the engine share the machine.
STREAMS_PER_CORE = {True: 8, False: 3}  # static graph?
WARM_UP_S = 8.0  # a fresh lookahead recognizer costs ~3× CPU for its first ~8 s of audio


def _release_memory() -> None:
    """Give freed recognizer memory back to the system (glibc keeps it otherwise)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def warm_up_audio(seconds: float) -> bytes:
    rng = np.random.default_rng(12345)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    voiced = 3000 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 2 * t) > 0)
    return (voiced + rng.normal(0, 300, t.size)).astype("<i2").tobytes()


class AsrPool:
    def __init__(self, settings: AsrSettings, model_path: Path) -> None:
        self.settings = settings
        self.model_path = model_path
        self.static_graph = False  # known once the model is checked
        self.capacity = self._capacity()
        self.executor = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                           thread_name_prefix="asr")
        self.model: Any = None
        self.unavailable: str | None = "not started"
        self.settled = asyncio.Event()  # start() is over: ready, or unavailable for good
        self.active = 0
        self.recycled = 0
        self._warm: list[Recognizer] = []
        self._lock = threading.Lock()

    # -- model -----------------------------------------------------------------------------

    async def start(self) -> bool:
        """Load the model off the loop. False (and one log line) when it cannot be used."""
        try:
            return await self._start()
        finally:
            self.settled.set()

    async def _start(self) -> bool:
        if not self.settings.enabled:
            self.unavailable = "asr.enabled is false"
            return False
        check = check_model(self.model_path)
        if not check.ok:
            return self._fail(f"model {self.model_path}: " + "; ".join(check.problems))
        self.static_graph = check.static_graph
        self.capacity = self._capacity()
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            self.model = await loop.run_in_executor(self.executor, self._load)
            await loop.run_in_executor(self.executor, self._fill_warm)
        except Exception as exc:  # Vosk raises a bare Exception when a model fails to load
            return self._fail(f"Vosk could not load {self.model_path}: {exc}")
        self.unavailable = None
        log.info("asr.ready", model=str(self.model_path), capacity=self.capacity,
                 graph="static" if self.static_graph else "lookahead",
                 warm=len(self._warm), load_s=round(time.monotonic() - started, 2))
        return True

    def _capacity(self) -> int:
        return (self.settings.max_streams
                or STREAMS_PER_CORE[self.static_graph] * (os.cpu_count() or 1))

    def _fail(self, reason: str) -> bool:
        self.unavailable = reason
        log.error("asr.unavailable", reason=reason,
                  effect="calls go on without transcription")
        return False

    def _load(self) -> Any:
        import vosk

        vosk.SetLogLevel(-2)  # -1 still prints warnings
        return vosk.Model(str(self.model_path))

    def _new_recognizer(self) -> Recognizer:
        import vosk

        recognizer: Recognizer = vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        return recognizer

    def _warmed(self) -> Recognizer:
        """A recognizer ready to decode: a lookahead one has decoded some audio first (its
        own composition cache is built then); a static graph needs no warming."""
        recognizer = self._new_recognizer()
        if not self.static_graph:
            recognizer.AcceptWaveform(warm_up_audio(WARM_UP_S))
            recognizer.FinalResult()
        return recognizer

    def _fill_warm(self) -> None:
        while True:
            with self._lock:
                if len(self._warm) >= self.settings.warm_recognizers:
                    return
            recognizer = self._warmed()
            with self._lock:
                self._warm.append(recognizer)

    # -- recognizers (worker threads) ----------------------------------------------------------

    def _take(self) -> Recognizer:
        with self._lock:
            if self._warm:
                return self._warm.pop()
        return self._new_recognizer()

    def _renew(self, recognizer: Recognizer, decoded_s: float) -> Recognizer:
        """A fresh recognizer for a worn one (the segmenter drops the worn one, then calls
        :func:`_release_memory`)."""
        if decoded_s < self.settings.recycle_after_s:
            return recognizer
        self.recycled += 1
        return self._take()

    def _give_back(self, segmenter: Segmenter) -> None:
        """The stream ended: its recognizer goes back to the warm ones, or away."""
        decoded_s = segmenter.decoded_by_recognizer_s
        with self._lock:
            keep = (decoded_s < self.settings.recycle_after_s
                    and len(self._warm) < self.settings.warm_recognizers)
            if keep:
                self._warm.append(segmenter.recognizer)
        segmenter.retire()
        if not keep:
            _release_memory()
            self._fill_warm()

    # -- streams (event loop) ----------------------------------------------------------------

    def open_stream(self, key: str, on_result: Callable[[AsrResult], None]) -> AsrStream | None:
        """A stream for ``key``, or None (logged) when ASR is unavailable or at capacity."""
        if self.unavailable is not None:
            return None
        if self.active >= self.capacity:
            log.warning("asr.skipped", stream=key, reason=f"{self.active} streams already "
                        f"transcribed (asr.max_streams / CPU limit {self.capacity})")
            return None
        self.active += 1
        stream = AsrStream(self, key, on_result)
        stream.task = asyncio.get_running_loop().create_task(stream.run())
        return stream

    async def close(self) -> None:
        """No more streams; the model and the warm recognizers are let go (a model is up to
        ~1 GB: nothing that still refers to this pool keeps it — aiohttp, say, caches the
        route handlers of a server that has stopped)."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            self._warm.clear()
        self.model = None
        self.unavailable = "closed"
        _release_memory()


def _gave_back(done: asyncio.Future[None]) -> None:
    """A recognizer's return (and the warm pool's refill) failed: said, not lost."""
    if not done.cancelled() and (exc := done.exception()) is not None:
        log.error("asr.give_back_failed", error=type(exc).__name__, at=where(exc),
                  effect="fewer warm recognizers: the next calls start slower")


BYTES_PER_S = 16000  # 8 kHz, 16-bit
MAX_BACKLOG_S = 15.0  # audio waiting to be decoded, per stream, before the oldest is dropped
MAX_BACKLOG_BYTES = int(MAX_BACKLOG_S * BYTES_PER_S)


@dataclass(eq=False)
class AsrStream:
    pool: AsrPool
    key: str
    on_result: Callable[[AsrResult], None]
    task: asyncio.Task[None] | None = None
    lags_s: list[float] = field(default_factory=list)  # audio ready → decoded, per batch
    _chunks: list[tuple[float, bytes]] = field(default_factory=list)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _closed: bool = False
    _pending_bytes: int = 0

    dropped_s: float = 0.0

    def feed(self, pcm: bytes) -> None:
        """Audio to decode. When decoding has fallen more than ``MAX_BACKLOG_S`` behind, the
        oldest audio is dropped (and said once per stream): memory stays bounded and the
        transcript catches up with the call instead of lagging ever further."""
        self._chunks.append((time.monotonic(), pcm))
        self._pending_bytes += len(pcm)
        while self._pending_bytes > MAX_BACKLOG_BYTES and len(self._chunks) > 1:
            _, old = self._chunks.pop(0)
            self._pending_bytes -= len(old)
            if not self.dropped_s:
                log.warning("asr.backlog_dropped", stream=self.key,
                            backlog_s=MAX_BACKLOG_S)
            self.dropped_s += len(old) / BYTES_PER_S
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        pool = self.pool
        segmenter: Segmenter | None = None
        try:
            recognizer = await loop.run_in_executor(pool.executor, pool._take)
            segmenter = Segmenter(recognizer, silence_final_s=pool.settings.silence_final_s,
                                  renew=pool._renew, on_swapped=_release_memory)
            del recognizer
            while True:
                await self._wake.wait()
                self._wake.clear()
                # hand audio to a worker only in whole chunks (or at the end): a thread
                # round trip per 20 ms frame costs more than the decoding
                if not self._closed and self._pending_bytes < CHUNK_BYTES:
                    continue
                batch, self._chunks, self._pending_bytes = self._chunks, [], 0
                if batch:
                    pcm = b"".join(p for _, p in batch)
                    results = await loop.run_in_executor(pool.executor, segmenter.feed, pcm)
                    # lag: from the moment the newest audio of the batch was there to
                    # decode (its chunk complete) to the moment it was decoded
                    self.lags_s.append(time.monotonic() - batch[-1][0])
                    for result in results:
                        self.on_result(result)
                if self._closed and not self._chunks:
                    for result in await loop.run_in_executor(pool.executor, segmenter.finish):
                        self.on_result(result)
                    return
        except Exception as exc:
            log.error("asr.failed", stream=self.key, error=repr(exc),
                      effect="this call goes on without transcription")
        finally:
            pool.active -= 1
            if segmenter is not None:
                with contextlib.suppress(RuntimeError):  # executor shut down at exit
                    loop.run_in_executor(pool.executor, pool._give_back,
                                         segmenter).add_done_callback(_gave_back)
