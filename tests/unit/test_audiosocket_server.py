from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import structlog

from callcenter.audiosocket import server as server_module
from callcenter.audiosocket.server import AudioSocketServer
from callcenter.audiosocket.wire import Audio, Hangup, StreamId, encode


class Sink:
    def __init__(self) -> None:
        self.pcm = bytearray()
        self.reasons: list[str] = []
        self.done = asyncio.Event()

    def audio(self, pcm: bytes) -> None:
        self.pcm += pcm

    def ended(self, reason: str) -> None:
        self.reasons.append(reason)
        self.done.set()


@pytest.fixture
async def server() -> AsyncIterator[AudioSocketServer]:
    srv = AudioSocketServer("127.0.0.1", 0)
    await srv.start()
    assert srv._server is not None
    srv.port = srv._server.sockets[0].getsockname()[1]
    yield srv
    await srv.stop()


async def send(srv: AudioSocketServer, data: bytes, *, close: bool = True) -> bytes:
    """Send ``data``; what the server answers before it closes (nothing, for AudioSocket)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    writer.write(data)
    await writer.drain()
    if close:
        writer.write_eof()
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return answer


async def test_expected_stream_gets_its_audio_and_the_hang_up(
        server: AudioSocketServer) -> None:
    stream_id, sink = str(uuid.uuid4()), Sink()
    server.expect(stream_id, sink)
    pcm = bytes(range(256)) * 5
    await send(server, encode(StreamId(stream_id)) + encode(Audio(pcm[:640]))
               + encode(Audio(pcm[640:1280])) + encode(Hangup()), close=False)
    await asyncio.wait_for(sink.done.wait(), 5)
    assert bytes(sink.pcm) == pcm[:1280] and sink.reasons == ["hang-up"]


async def test_garbage_and_unknown_streams_are_disconnected_and_logged(
        server: AudioSocketServer) -> None:
    with structlog.testing.capture_logs() as logs:
        await send(server, b"GET / HTTP/1.1\r\n\r\n")
        await send(server, encode(StreamId(str(uuid.uuid4()))) + encode(Audio(b"\0\0")))
        await send(server, encode(Audio(b"\0\0")))
    errors = [e["error"] for e in logs if e["event"] == "audiosocket.rejected"]
    assert errors[0] == "unknown frame kind 0x47"
    assert errors[1].startswith("unknown stream ")
    assert errors[2] == "the first frame must be the stream id, not Audio"
    assert server.rejected == 3
    # and it still serves the next stream
    stream_id, sink = str(uuid.uuid4()), Sink()
    server.expect(stream_id, sink)
    await send(server, encode(StreamId(stream_id)) + encode(Audio(b"\1\0" * 160)))
    await asyncio.wait_for(sink.done.wait(), 5)
    assert len(sink.pcm) == 320 and sink.reasons == ["closed by Asterisk"]


async def test_a_protocol_error_mid_stream_ends_the_stream(server: AudioSocketServer) -> None:
    stream_id, sink = str(uuid.uuid4()), Sink()
    server.expect(stream_id, sink)
    await send(server, encode(StreamId(stream_id)) + encode(Audio(b"\0\0" * 10))
               + b"\x10\xff\xff")
    await asyncio.wait_for(sink.done.wait(), 5)
    assert sink.reasons[0].startswith("protocol error: frame of 65535 bytes")


async def test_a_silent_peer_is_dropped(server: AudioSocketServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "FIRST_FRAME_TIMEOUT_S", 0.2)
    assert await send(server, b"", close=False) == b""
    assert server.rejected == 1
