from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.audiosocket.wire import (
    HEADER,
    MAX_PAYLOAD,
    Audio,
    AudioSocketParser,
    BrokenStream,
    Dtmf,
    Frame,
    Hangup,
    PeerError,
    StreamId,
    encode,
)
from callcenter.errors import AudioSocketProtocolError

frames_st = st.lists(st.one_of(
    st.builds(Hangup),
    st.builds(StreamId, st.uuids().map(str)),
    st.builds(Dtmf, st.sampled_from("0123456789*#")),
    st.builds(Audio, st.binary(max_size=640).filter(lambda b: len(b) % 2 == 0)),
    st.builds(PeerError, st.integers(0, 255)),
), max_size=20)


def feed_in_chunks(parser: AudioSocketParser, data: bytes, cuts: list[int]) -> list[Frame]:
    out: list[Frame] = []
    start = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        out += parser.feed(data[start:cut])
        start = cut
    return out


@given(frames_st, st.lists(st.integers(0, 10_000), max_size=8))
def test_round_trip_whatever_the_chunking(frames: list[Frame], cuts: list[int]) -> None:
    data = b"".join(encode(f) for f in frames)
    parser = AudioSocketParser()
    assert feed_in_chunks(parser, data, cuts) == frames
    assert parser.pending == 0
    parser.close()


@given(st.binary(max_size=2000), st.lists(st.integers(0, 2000), max_size=5))
def test_garbage_gives_frames_or_a_protocol_error_and_bounded_buffer(
        data: bytes, cuts: list[int]) -> None:
    parser = AudioSocketParser()
    try:
        feed_in_chunks(parser, data, cuts)
        parser.close()
    except AudioSocketProtocolError:
        assert parser.failed
    assert parser.pending <= HEADER.size + MAX_PAYLOAD


def test_oversized_length_fails_at_the_header_before_any_payload() -> None:
    parser = AudioSocketParser()
    with pytest.raises(AudioSocketProtocolError, match="over the 16000-byte limit"):
        parser.feed(HEADER.pack(0x10, 65535))
    assert parser.pending == 0
    with pytest.raises(AudioSocketProtocolError, match="already failed"):
        parser.feed(b"\x10\x00\x02ab")


@pytest.mark.parametrize(("data", "message"), [
    (b"\x42\x00\x00", "unknown frame kind 0x42"),
    (b"\x01\x00\x04abcd", "must carry 16 bytes"),
    (b"\x10\x00\x03abc", "odd length 3"),
    (b"\x00\x00\x01x", "must carry 0 bytes"),
])
def test_malformed_frames(data: bytes, message: str) -> None:
    with pytest.raises(AudioSocketProtocolError, match=message):
        AudioSocketParser().feed(data)


def test_truncated_frame_is_reported_on_close() -> None:
    parser = AudioSocketParser()
    stream_id = str(uuid.uuid4())
    data = encode(StreamId(stream_id)) + encode(Audio(b"\x01\x00" * 160))
    assert parser.feed(data[:-7]) == [StreamId(stream_id)]
    assert parser.pending == HEADER.size + 320 - 7
    with pytest.raises(AudioSocketProtocolError, match="inside a frame"):
        parser.close()


def test_audio_duration() -> None:
    assert Audio(b"\x00\x00" * 160).seconds == pytest.approx(0.02)


@given(frames_st)
def test_good_frames_before_a_bad_one_are_not_lost(frames: list[Frame]) -> None:
    data = b"".join(encode(f) for f in frames) + b"\x42\x00\x00"
    with pytest.raises(BrokenStream) as caught:
        AudioSocketParser().feed(data)
    assert caught.value.frames == frames
