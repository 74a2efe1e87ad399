from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.agi.wire import (
    AgiRequestReader,
    parse_reply,
    quote_arg,
    reply_complete,
    split_script,
)
from callcenter.errors import AgiProtocolError
from tests.agi_peer import REQUEST


def test_request_is_read_in_any_pieces() -> None:
    data = REQUEST.format(script="entry").encode()
    for step in (1, 5, len(data)):
        reader = AgiRequestReader()
        result = None
        for i in range(0, len(data), step):
            result = reader.feed(data[i:i + step]) or result
        assert result is not None
        assert result.script == "entry"
        assert result.query == (("call", "1795.7"),)
        assert result.args == ("first",)
        assert result.channel == "PJSIP/carrier-00000007"


def test_script_names() -> None:
    assert split_script("agi://127.0.0.1:4573/route?call=1&dialed=12345") == (
        "route", (("call", "1"), ("dialed", "12345")))
    assert split_script("diag-wait-digit") == ("diag-wait-digit", ())


@pytest.mark.parametrize("raw", [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"agi_network: yes\n\n",
    b"agi_request: x\nagi_arg_x: 1\n\n",
    b"\xff\xfe\x00garbage\n\n",
])
def test_malformed_requests_are_refused(raw: bytes) -> None:
    with pytest.raises(AgiProtocolError):
        AgiRequestReader().feed(raw)


def test_request_size_is_bounded() -> None:
    reader = AgiRequestReader()
    with pytest.raises(AgiProtocolError):
        for _ in range(100):
            reader.feed(b"agi_x: " + b"y" * 500 + b"\n")


def test_replies() -> None:
    ok = parse_reply(["200 result=1 (12345) endpos=800"])
    assert (ok.code, ok.result, ok.data, ok.endpos) == (200, 1, "12345", 800)
    assert parse_reply(["200 result=-1"]).result == -1
    assert parse_reply(["200 result=0 (timeout)"]).data == "timeout"
    dead = parse_reply(["511 Command Not Permitted on a dead channel or intercepted by AGI"])
    assert dead.code == 511 and not dead.ok
    usage = ["520-Invalid command syntax.  Proper usage follows:", "Usage: ...",
             "520 End of proper usage."]
    assert not reply_complete(usage[:2]) and reply_complete(usage)
    assert parse_reply(usage).code == 520
    with pytest.raises(AgiProtocolError):
        parse_reply(["hello"])
    with pytest.raises(AgiProtocolError):
        parse_reply(["200 nothing"])


def test_quote_arg() -> None:
    assert quote_arg('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c d"'


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=30))
def test_fuzz_request_reader(chunks: list[bytes]) -> None:
    reader = AgiRequestReader()
    try:
        for chunk in chunks:
            request = reader.feed(chunk)
            if request is not None:
                assert request.headers["agi_request"] is not None
                break
    except AgiProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_reply_parser(line: str) -> None:
    try:
        reply = parse_reply([line])
    except AgiProtocolError:
        return
    assert 0 <= reply.code <= 999
