from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.ami.wire import AmiParser, frame_from_json, parse_block
from callcenter.errors import AmiProtocolError
from tests.recorded import recorded_frames, to_wire

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def test_banner_then_frames() -> None:
    parser = AmiParser()
    frames = parser.feed(BANNER + b"Response: Success\r\nMessage: Authentication accepted\r\n\r\n"
                         b"Event: FullyBooted\r\nStatus: Fully Booted\r\n\r\n")
    assert parser.banner == "Asterisk Call Manager/11.0.0"
    assert [f.is_response for f in frames] == [True, False]
    assert frames[1].name == "FullyBooted"
    assert frames[1].get("Status") == "Fully Booted"


def test_any_split_of_a_recorded_stream_gives_the_same_frames() -> None:
    wire = BANNER + b"".join(to_wire(f) for _, f in recorded_frames())
    whole = AmiParser().feed(wire)
    assert len(whole) == len(recorded_frames())
    for step in (1, 7, 64, 1000):
        parser = AmiParser()
        pieces = []
        for i in range(0, len(wire), step):
            pieces += parser.feed(wire[i:i + step])
        assert pieces == whole
        assert parser.buffered == 0


def test_repeated_keys_and_malformed_lines_are_kept() -> None:
    frame = parse_block("Response: Success\r\nOutput: a\r\nOutput: b\r\ngarbage line\r\nX:1")
    assert frame.values("Output") == ("a", "b")
    assert frame.get("X") == "1"
    assert frame.malformed == ("garbage line",)
    assert frame_from_json(frame.to_json()) == frame


def test_utf8_names_survive() -> None:
    frame = AmiParser().feed("Event: Newchannel\r\nCallerIDName: 张三\r\n\r\n".encode())[0]
    assert frame.get("CallerIDName") == "张三"


def test_unterminated_frame_is_bounded() -> None:
    parser = AmiParser(max_frame_bytes=1000)
    parser.feed(BANNER)
    with pytest.raises(AmiProtocolError) as info:
        for _ in range(20):
            parser.feed(b"Key: " + b"x" * 100 + b"\r\n")
    assert info.value.error_id == "CC300"
    assert parser.buffered == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_fuzz_never_raises_but_the_size_error(chunks: list[bytes]) -> None:
    parser = AmiParser(max_frame_bytes=4096)
    for chunk in chunks:
        try:
            for frame in parser.feed(chunk):
                assert isinstance(frame.headers, dict)
        except AmiProtocolError:
            assert parser.buffered == 0
        assert parser.buffered <= 4096


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True),
                       st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]),
                               max_size=40),
                       min_size=1, max_size=10))
def test_roundtrip_of_any_well_formed_frame(headers: dict[str, str]) -> None:
    wire = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    frames = AmiParser().feed(wire.encode())
    assert len(frames) == 1
    assert dict(frames[0].headers) == headers
