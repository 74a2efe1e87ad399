"""The AudioSocket server: Asterisk connects once per forked audio stream and sends its UUID,
then audio. The UUID names a stream the engine announced (:meth:`expect`); anything else — an
unknown UUID, garbage, a peer that says nothing — is logged and disconnected. The call the
audio comes from is a different channel and is never touched."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import structlog

from callcenter.audiosocket.wire import (
    Audio,
    AudioSocketParser,
    BrokenStream,
    Frame,
    Hangup,
    PeerError,
    StreamId,
)
from callcenter.errors import AudioSocketProtocolError

log = structlog.get_logger("audiosocket")

READ_SIZE = 4096
FIRST_FRAME_TIMEOUT_S = 5.0


class AudioSink(Protocol):
    def audio(self, pcm: bytes) -> None: ...
    def ended(self, reason: str) -> None: ...


class AudioSocketServer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._expected: dict[str, AudioSink] = {}
        self._server: asyncio.Server | None = None
        self.connections = 0
        self.rejected = 0
        self._handlers: set[asyncio.Task[None]] = set()

    def expect(self, stream_uuid: str, sink: AudioSink) -> None:
        self._expected[stream_uuid] = sink

    def forget(self, stream_uuid: str) -> AudioSink | None:
        return self._expected.pop(stream_uuid, None)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and end the open streams (their sinks are told, while the engine
        can still log it)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        self.connections += 1
        peer = writer.get_extra_info("peername")
        parser = AudioSocketParser()
        sink: AudioSink | None = None
        reason = "closed by Asterisk"
        try:
            while True:
                timeout = FIRST_FRAME_TIMEOUT_S if sink is None else None
                data = await asyncio.wait_for(reader.read(READ_SIZE), timeout)
                if not data:
                    parser.close()
                    break
                try:
                    frames = parser.feed(data)
                except BrokenStream as exc:
                    sink, hung_up = self._deliver(exc.frames, sink, peer)
                    raise
                sink, hung_up = self._deliver(frames, sink, peer)
                if hung_up:
                    reason = "hang-up"
                    return
        except AudioSocketProtocolError as exc:
            self.rejected += 1
            reason = f"protocol error: {exc.message}"
            log.warning("audiosocket.rejected", peer=str(peer), error=exc.message,
                        error_id=exc.error_id)
        except TimeoutError:
            self.rejected += 1
            reason = "no stream id"
            log.warning("audiosocket.rejected", peer=str(peer),
                        error=f"no stream id within {FIRST_FRAME_TIMEOUT_S:g} s")
        except ConnectionError as exc:
            reason = f"connection lost: {exc}"
        except asyncio.CancelledError:
            reason = "engine stopping"
        finally:
            if sink is not None:
                sink.ended(reason)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _deliver(self, frames: list[Frame], sink: AudioSink | None,
                 peer: object) -> tuple[AudioSink | None, bool]:
        for frame in frames:
            if sink is None:
                sink = self._identify(frame)
            elif isinstance(frame, Audio):
                sink.audio(frame.pcm)
            elif isinstance(frame, Hangup):
                return sink, True
            elif isinstance(frame, PeerError):
                log.warning("audiosocket.peer_error", code=frame.code, peer=str(peer))
        return sink, False

    def _identify(self, frame: object) -> AudioSink:
        if not isinstance(frame, StreamId):
            raise AudioSocketProtocolError(
                f"the first frame must be the stream id, not {type(frame).__name__}")
        sink = self._expected.pop(frame.uuid, None)
        if sink is None:
            raise AudioSocketProtocolError(f"unknown stream {frame.uuid}")
        return sink
