"""Transcription of answered calls: for each speaker, a recognizer stream, an expected
AudioSocket stream and the AMI action that forks the audio. Any failure ends only the
transcription (logged), never the call."""

from __future__ import annotations

import asyncio
import io
import uuid
import wave
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import structlog

from callcenter.ami import actions
from callcenter.asr.pool import AsrPool, AsrStream
from callcenter.asr.segmenter import SAMPLE_RATE, AsrResult
from callcenter.audiosocket.server import AudioSocketServer
from callcenter.config.models import AsrSettings
from callcenter.private import write_private
from callcenter.tasks import TaskSet

log = structlog.get_logger("asr")

AUDIO_WAIT_S = 5.0  # the fork must deliver audio this soon after it is asked for

OnResult = Callable[[str, str, AsrResult], None]  # call_id, speaker, result


MAX_KEPT_S = 600  # lab recordings stop growing after 10 minutes


def _write_kept(path: Path, pcm: bytes) -> None:
    """A lab recording of a call's audio (``lab.keep_forked_audio``): a caller's voice,
    owner-only like every file of citizens' data."""
    wav = io.BytesIO()
    with wave.open(wav, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)
    write_private(path, wav.getvalue())  # there whole, or not at all


class _Sink:
    def __init__(self, stream: AsrStream, tasks: TaskSet, keep: Path | None = None) -> None:
        self.stream = stream
        self.tasks = tasks
        self.arrived = asyncio.Event()
        self.audio_s = 0.0
        self.keep = keep
        self._kept = bytearray()

    def audio(self, pcm: bytes) -> None:
        self.arrived.set()
        self.audio_s += len(pcm) / 16000
        self.stream.feed(pcm)
        if self.keep is not None and len(self._kept) < MAX_KEPT_S * 16000:
            self._kept += pcm

    def ended(self, reason: str) -> None:
        log.info("asr.stream_ended", stream=self.stream.key, reason=reason,
                 audio_s=round(self.audio_s, 2))
        self.stream.close()
        if self.keep is not None:  # up to ~9.6 MB: written off the event loop
            self.tasks.spawn(asyncio.to_thread(_write_kept, self.keep, bytes(self._kept)))


class Transcriber:
    def __init__(self, settings: AsrSettings, pool: AsrPool, server: AudioSocketServer,
                 send: Callable[[actions.AmiAction], Awaitable[Any]],
                 on_result: OnResult, keep_audio: Path | None = None) -> None:
        self.settings = settings
        self.keep_audio = keep_audio
        self.pool = pool
        self.server = server
        self.send = send
        self.on_result = on_result
        self._tasks = TaskSet("transcriber")

    def start_call(self, call_id: str, channels: dict[str, str]) -> None:
        """Transcribe the configured speakers of ``channels`` (speaker → channel name)."""
        if not self.pool.settled.is_set():  # the model is still loading: once it is there
            self._spawn(self._start_when_ready(call_id, channels))
            return
        if self.pool.unavailable is not None:
            return  # said once, when the pool failed to start
        for speaker in self.settings.speakers:
            channel = channels.get(speaker.value, "")
            if not channel:
                continue
            key = f"{call_id}/{speaker.value}"

            def deliver(result: AsrResult, speaker: str = speaker.value) -> None:
                self.on_result(call_id, speaker, result)

            stream = self.pool.open_stream(key, deliver)
            if stream is None:
                continue
            stream_uuid = str(uuid.uuid4())
            keep = (self.keep_audio / f"{call_id}-{speaker.value}.wav"
                    if self.keep_audio is not None else None)
            sink = _Sink(stream, self._tasks, keep)
            self.server.expect(stream_uuid, sink)
            log.info("asr.started", call_id=call_id, speaker=speaker.value, channel=channel,
                     stream=stream_uuid)
            self._spawn(self._fork(call_id, channel, stream_uuid, sink))

    async def _start_when_ready(self, call_id: str, channels: dict[str, str]) -> None:
        await self.pool.settled.wait()
        self.start_call(call_id, channels)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(coro)

    async def _fork(self, call_id: str, channel: str, stream_uuid: str, sink: _Sink) -> None:
        action = actions.audio_fork(channel, stream_uuid, self.settings.audiosocket_host,
                                    self.settings.audiosocket_port)
        problem = ""
        try:
            reply = await self.send(action)
            if not reply.success:
                problem = f"Originate refused: {reply.message}"
            else:
                await asyncio.wait_for(sink.arrived.wait(), AUDIO_WAIT_S)
        except TimeoutError:
            problem = f"no audio within {AUDIO_WAIT_S:g} s of the fork"
        except Exception as exc:
            problem = f"fork failed: {exc}"
        if problem:
            if self.server.forget(stream_uuid) is not None or not sink.arrived.is_set():
                sink.stream.close()
            log.error("asr.failed", call_id=call_id, channel=channel, reason=problem,
                      effect="this call goes on without transcription")
