"""What a browser softphone may send to Asterisk through the engine's /sip: one strictly read
SIP message per frame (callcenter/sip/wire.py), REGISTER as its own endpoint only, requests
within a call only in calls Asterisk started on that socket (callcenter/sip/guard.py).

The forged messages are those a review sent through the old filter to the real Asterisk
(issue #21): each reached Asterisk, which took it for the carrier's call."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.errors import SipRefused
from callcenter.sip.guard import BrowserGuard
from callcenter.sip.wire import address, parse

OWN = "agent-1001-web"


def message(start: str, *headers: str, body: str = "", length: int | None = None) -> str:
    size = len(body.encode()) if length is None else length
    return "\r\n".join((start, *headers, f"Content-Length: {size}")) + "\r\n\r\n" + body


def request(method: str, sender: str = f"<sip:{OWN}@127.0.0.1>;tag=f1",
            to: str = f"<sip:{OWN}@127.0.0.1>", call_id: str = "c1", *more: str,
            body: str = "") -> str:
    return message(f"{method} sip:127.0.0.1 SIP/2.0", "Via: SIP/2.0/WS x.invalid;branch=z9hG4bK1",
                   "Max-Forwards: 69", f"From: {sender}", f"To: {to}", f"Call-ID: {call_id}",
                   f"CSeq: 1 {method}", *more, body=body)


def asterisk_invite(call_id: str = "a1") -> str:
    """A call Asterisk offers the page (it then may answer and act in it)."""
    return message("INVITE sip:k3x9a@x.invalid;transport=ws SIP/2.0",
                   "Via: SIP/2.0/WS 127.0.0.1:8088;branch=z9hG4bK-a", "From: <sip:12345@127."
                   "0.0.1>;tag=as1", "To: <sip:k3x9a@x.invalid>", f"Call-ID: {call_id}",
                   "CSeq: 101 INVITE")


def response(status: str, call_id: str, method: str = "INVITE") -> str:
    return message(f"SIP/2.0 {status}", "Via: SIP/2.0/WS 127.0.0.1:8088;branch=z9hG4bK-a",
                   "From: <sip:12345@127.0.0.1>;tag=as1", "To: <sip:k3x9a@x.invalid>;tag=b1",
                   f"Call-ID: {call_id}", f"CSeq: 101 {method}")


FORGED_INVITE = request("INVITE", "<sip:13800138000@127.0.0.1>;tag=f1",
                        "<sip:12345@127.0.0.1>", "forged-1")
REGISTER = request("REGISTER")


# -- what the review sent through the old filter, and what else an attacker would try ------
FORGED = {
    "display name holding the own URI": request(
        "INVITE", f'"<sip:{OWN}@127.0.0.1>" <sip:13800138000@127.0.0.1>;tag=f1',
        "<sip:12345@127.0.0.1>"),
    "own REGISTER then a forged INVITE in one frame": REGISTER + FORGED_INVITE,
    "a Content-Length longer than the body": request(
        "REGISTER", body="v=0").replace("Content-Length: 3", "Content-Length: 30"),
    "a Content-Length with a sign": request("REGISTER").replace("Content-Length: 0",
                                                                "Content-Length: +0"),
    "two From headers, own first": request(
        "INVITE", f"<sip:{OWN}@127.0.0.1>;tag=f1", "<sip:12345@127.0.0.1>", "c2",
        "From: <sip:13800138000@127.0.0.1>;tag=f2"),
    "two From headers, compact second": request(
        "INVITE", f"<sip:{OWN}@127.0.0.1>;tag=f1", "<sip:12345@127.0.0.1>", "c2",
        "f: <sip:13800138000@127.0.0.1>;tag=f2"),
    "a parameter in the user part": request(
        "INVITE", f"<sip:{OWN};x=1@127.0.0.1>;tag=f1", "<sip:12345@127.0.0.1>"),
    "a password in the user part": request(
        "REGISTER", f"<sip:{OWN}:pw@127.0.0.1>;tag=f1", f"<sip:{OWN}:pw@127.0.0.1>"),
    "an invented To tag (no such call)": request(
        "INVITE", "<sip:13800138000@127.0.0.1>;tag=f1", "<sip:12345@127.0.0.1>;tag=made-up"),
    "an own INVITE (the page never starts a call)": request(
        "INVITE", f"<sip:{OWN}@127.0.0.1>;tag=f1", "<sip:12345@127.0.0.1>"),
    "a MESSAGE": request("MESSAGE", f"<sip:{OWN}@127.0.0.1>;tag=f1", "<sip:12345@127.0.0.1>"),
    "another agent's REGISTER": request("REGISTER", "<sip:agent-1002-web@127.0.0.1>;tag=f1",
                                        "<sip:agent-1002-web@127.0.0.1>"),
    "a REGISTER for another": request("REGISTER", to="<sip:agent-1002-web@127.0.0.1>"),
    "the desk phone's REGISTER": request("REGISTER", "<sip:agent-1001@127.0.0.1>;tag=f1",
                                         "<sip:agent-1001@127.0.0.1>"),
    "the carrier's name": request("INVITE", "<sip:carrier@127.0.0.1>;tag=f1",
                                  "<sip:12345@127.0.0.1>"),
    "a bare LF hiding a header": request("REGISTER").replace(
        "Max-Forwards: 69", "Max-Forwards: 69\nFrom: <sip:13800138000@127.0.0.1>"),
    "a folded header": request("REGISTER").replace(
        "Max-Forwards: 69", "Max-Forwards: 69\r\n <sip:13800138000@127.0.0.1>"),
    "a space before the colon": request("REGISTER").replace("From:", "From :"),
    "two Via": request("REGISTER").replace("branch=z9hG4bK1", "branch=z9hG4bK1, SIP/2.0/UDP "
                                           "127.0.0.1;branch=z9hG4bK2"),
    "no Content-Length": request("REGISTER").replace("Content-Length: 0\r\n", ""),
    "a long body": request("REGISTER").replace("\r\n\r\n", "\r\n\r\nx"),
    "two From values in one header": request(
        "INVITE", f"<sip:{OWN}@127.0.0.1>;tag=f1, <sip:138@127.0.0.1>", "<sip:12345@h>"),
    "junk after the URI": request("REGISTER", f"<sip:{OWN}@127.0.0.1> <sip:138@h>;tag=1"),
    "an unquoted display name with <": request(
        "REGISTER", f"evil<sip:{OWN}@127.0.0.1> <sip:13800138000@h>;tag=1"),
    "a quote that never closes": request("REGISTER", f'"evil <sip:{OWN}@127.0.0.1>;tag=1'),
    "a CSeq of another method": request("REGISTER").replace("CSeq: 1 REGISTER",
                                                            "CSeq: 1 INVITE"),
    "a tel: URI": request("REGISTER", "<tel:13800138000>;tag=1"),
    "not SIP": "hello",
    "empty": "",
    "three CRLF": "\r\n\r\n\r\n",
    "a response to nothing Asterisk sent": response("200 OK", "never-offered"),
}


@pytest.mark.parametrize("forged", FORGED.values(), ids=FORGED.keys())
def test_forged_messages_are_refused(forged: str) -> None:
    guard = BrowserGuard(OWN)
    guard.from_asterisk(asterisk_invite("a1"))  # the page has a real call too
    assert guard.refusal(forged) is not None


def test_what_the_page_sends_in_a_shift_passes() -> None:
    guard = BrowserGuard(OWN)
    assert guard.refusal(REGISTER) is None
    assert guard.refusal(request("REGISTER").replace("f1", "f2").replace(
        "Max-Forwards: 69", "Max-Forwards: 69\r\nExpires: 0")) is None  # signing off
    assert guard.refusal(request("REGISTER", f'"李明" <sip:{OWN}@127.0.0.1>;tag=f1')) is None
    assert guard.refusal(request("REGISTER", f'"a \\"b\\" <c>" <sip:{OWN}@127.0.0.1>;tag=f1'
                                 )) is None  # escapes in a quoted display name
    assert guard.refusal(request("REGISTER", f"Li Ming <sip:{OWN}@127.0.0.1>;tag=f1")) is None
    assert guard.refusal(request("REGISTER", f"sip:{OWN}@127.0.0.1;tag=f1",
                                 f"sip:{OWN}@127.0.0.1")) is None  # addr-spec form
    assert guard.refusal(request("REGISTER").replace("From:", "f:").replace("To:", "t:")
                         .replace("Call-ID:", "i:").replace("Via:", "v:")
                         .replace("Content-Length:", "l:")) is None  # compact forms
    assert guard.refusal("\r\n") is None and guard.refusal("\r\n\r\n") is None  # keep-alives
    # a call Asterisk offers: ringing, answered (with SDP), held, hung up
    guard.from_asterisk(asterisk_invite("a1"))
    assert guard.refusal(response("180 Ringing", "a1")) is None
    sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    answer = response("200 OK", "a1").replace("Content-Length: 0", f"Content-Type: "
                                              f"application/sdp\r\nContent-Length: {len(sdp)}"
                                              ) + sdp
    assert guard.refusal(answer) is None
    in_call = ("<sip:k3x9a@x.invalid>;tag=b1", "<sip:12345@127.0.0.1>;tag=as1", "a1")
    assert guard.refusal(request("INVITE", *in_call, body="v=0\r\n")) is None  # hold
    assert guard.refusal(request("ACK", *in_call)) is None
    assert guard.refusal(request("INFO", *in_call)) is None
    assert guard.refusal(request("BYE", *in_call)) is None
    assert guard.refusal(request("CANCEL", *in_call)) is not None  # the page never cancels
    assert guard.refusal(request("BYE", *in_call[:2], "a2")) is not None  # another call's


def test_only_the_latest_calls_are_remembered() -> None:
    guard = BrowserGuard(OWN, remembered=3)
    for n in range(5):
        guard.from_asterisk(asterisk_invite(f"a{n}"))
    assert guard.refusal(response("200 OK", "a0")) is not None
    assert guard.refusal(response("200 OK", "a4")) is None


def test_the_reading_of_from_and_to() -> None:
    found = address(f'"<sip:{OWN}@h>" <sip:13800138000@127.0.0.1:5060;transport=ws>;tag=x;y')
    assert (found.user, found.tag, found.params) == ("13800138000", "x", {"tag": "x", "y": ""})
    assert address("<sip:h>").user == "" and address("sip:u@h;tag=9").tag == "9"
    assert address("sip:u@h;tag=9").uri == "sip:u@h"
    for bad in ("", "<sip:u@h", "sip:u@h?x=1", "<mailto:u@h>", '"x <sip:u@h>', "<sip:u@h>junk",
                "<sip:<u@h>>"):
        with pytest.raises(SipRefused):
            address(bad)


def test_a_refusal_names_its_reason() -> None:
    with pytest.raises(SipRefused) as refused:
        parse(REGISTER + FORGED_INVITE)
    assert refused.value.error_id == "CC1600"
    assert "Content-Length" in refused.value.message


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_read_or_refused_never_an_exception(frame: str) -> None:
    guard = BrowserGuard(OWN)
    guard.from_asterisk(frame)
    guard.refusal(frame)


PIECES = [REGISTER, FORGED_INVITE, "\r\n", "\n", "From: <sip:13800138000@h>;tag=2\r\n",
          f"From: <sip:{OWN}@h>;tag=1\r\n", '"', "<", ">", ";", ",", "@", "Content-Length: 0",
          "\r\n\r\n", " ", "f: <sip:x@h>\r\n"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8), st.data())
def test_nothing_pieced_together_passes_but_one_own_register(pieces: list[str],
                                                              data: st.DataObject) -> None:
    """Whatever is put together from a REGISTER, a forged INVITE and the characters that
    separate headers and addresses: what passes is a single message whose From is the own
    endpoint, read with exactly one From."""
    frame = "".join(pieces)
    if data.draw(st.booleans()):
        frame = REGISTER.replace("Max-Forwards: 69", "Max-Forwards: 69" + frame.rstrip("\r\n"))
    if BrowserGuard(OWN).refusal(frame) is None and frame not in ("\r\n", "\r\n\r\n"):
        read = parse(frame)
        assert read.method == "REGISTER" and read.sender.user == OWN == read.to.user
        froms = [v for n, v in read.headers if n == "from"]
        assert len(froms) == 1
        assert frame.count("INVITE") == 0
