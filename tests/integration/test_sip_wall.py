"""A signed-in page's softphone socket never speaks to the real Asterisk as anyone but its own
endpoint (issue #21). Two walls, each shown on its own:

- the engine's filter (callcenter/sip/guard.py): every forged message a review sent through
  the old /sip filter — each of which the real Asterisk took for the carrier's call into
  the hotline — closes the socket, and no call starts;
- Asterisk's own checks: reached directly from the address the proxy connects from
  (asterisk.web_sip_source), a forged request meets a password challenge, never the
  carrier's context — a From user "carrier" included."""

from __future__ import annotations

import asyncio

import aiohttp

from callcenter.app import Engine
from tests.integration.conftest import Lab
from tests.integration.test_webrtc import _add_user, _session

OWN = "agent-1001-web"
SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def _invite(sender: str, call_id: str, *extra: str, to: str = "<sip:12345@127.0.0.1>") -> str:
    head = "\r\n".join((
        "INVITE sip:12345@127.0.0.1 SIP/2.0",
        f"Via: SIP/2.0/WS x.invalid;branch=z9hG4bK{call_id}", "Max-Forwards: 69",
        f"From: {sender}", f"To: {to}", f"Call-ID: {call_id}", "CSeq: 1 INVITE",
        "Contact: <sip:x@x.invalid;transport=ws>", *extra, "Content-Type: application/sdp",
        f"Content-Length: {len(SDP)}"))
    return f"{head}\r\n\r\n{SDP}"


def _register(call_id: str) -> str:
    return "\r\n".join((
        "REGISTER sip:127.0.0.1 SIP/2.0", f"Via: SIP/2.0/WS x.invalid;branch=z9hG4bK{call_id}",
        "Max-Forwards: 69", f"From: <sip:{OWN}@127.0.0.1>;tag=r1",
        f"To: <sip:{OWN}@127.0.0.1>", f"Call-ID: {call_id}", "CSeq: 1 REGISTER",
        "Contact: <sip:x@x.invalid;transport=ws>;expires=60", "Expires: 60",
        "Content-Length: 0")) + "\r\n\r\n"


CITIZEN = "<sip:13800138000@127.0.0.1>;tag=f1"
FORGED = {
    "display name": _invite(f'"<sip:{OWN}@127.0.0.1>" <sip:13800138000@127.0.0.1>;tag=f1',
                            "wall-1"),
    "own REGISTER then INVITE in one frame": _register("wall-2r") + _invite(CITIZEN, "wall-2"),
    "two From headers": _invite(f"<sip:{OWN}@127.0.0.1>;tag=f1", "wall-3",
                                f"From: {CITIZEN}"),
    "a parameter in the user part": _invite(f"<sip:{OWN};x=13800138000@127.0.0.1>;tag=f1",
                                            "wall-4"),
    "an invented To tag": _invite(CITIZEN, "wall-5", to="<sip:12345@127.0.0.1>;tag=made-up"),
    "an own INVITE": _invite(f"<sip:{OWN}@127.0.0.1>;tag=f1", "wall-6"),
    "the carrier's name": _invite("<sip:carrier@127.0.0.1>;tag=f1", "wall-7"),
}


async def _no_call_started(lab: Lab, before: int) -> None:
    await asyncio.sleep(1.5)  # a forged call that got through has started by now
    started = lab.events("call.started")[before:]
    channels = lab.asterisk.cli("core show channels concise").strip()
    if started or channels:
        lab.asterisk.cli("channel request hangup all")
    assert started == [] and channels == "", (started, channels)


async def test_forged_messages_through_the_proxy_close_the_socket_and_start_no_call(
        lab: Lab, engine: Engine) -> None:
    base = f"http://127.0.0.1:{lab.config.engine.api.port}"
    password = await _add_user(engine, "sipwall.li", "agent", "1001")
    page = await _session(base, "sipwall.li", password)
    before = len(lab.events("call.started"))
    try:
        for name, frame in FORGED.items():
            async with page.ws_connect("/sip", protocols=("sip",)) as ws:
                await ws.send_str(frame)
                reply = await asyncio.wait_for(ws.receive(), 5)
                assert reply.type is aiohttp.WSMsgType.CLOSE, (name, reply.data)
                assert reply.data == aiohttp.WSCloseCode.POLICY_VIOLATION, name
        await _no_call_started(lab, before)
        # the page's own REGISTER still reaches Asterisk, which asks for the password
        async with page.ws_connect("/sip", protocols=("sip",)) as ws:
            await ws.send_str(_register("wall-own"))
            challenge = await asyncio.wait_for(ws.receive_str(), 5)
            assert challenge.startswith("SIP/2.0 401"), challenge
    finally:
        await page.close()
    rows = [r for r in await engine.commands.run("audit.list", {"user": "sipwall.li"})
            if r["action"] == "phone.connect"]
    assert len(rows) == len(FORGED) + 1 and all(r["result"] == "ok" for r in rows)


async def test_asterisk_itself_challenges_a_forged_request_from_the_proxys_address(
        lab: Lab, engine: Engine) -> None:
    a = lab.config.engine.asterisk
    assert a.web_sip_source != a.carrier_address
    before = len(lab.events("call.started"))
    connector = aiohttp.TCPConnector(local_addr=(a.web_sip_source, 0))
    async with aiohttp.ClientSession(connector=connector) as client, client.ws_connect(
            f"ws://{a.bind_address}:{a.http_port}/ws", protocols=("sip",)) as ws:
        for n, sender in enumerate((CITIZEN, "<sip:carrier@127.0.0.1>;tag=f1",
                                    "<sip:agent-1002-web@127.0.0.1>;tag=f1")):
            await ws.send_str(_invite(sender, f"direct-{n}"))
            statuses = []
            while not statuses or statuses[-1] < 200:
                reply = await asyncio.wait_for(ws.receive_str(), 5)
                statuses.append(int(reply.split(" ", 2)[1]))
            assert statuses[-1] in (401, 403, 407), (sender, statuses)
            assert not any(100 <= s < 200 and s != 100 for s in statuses), (sender, statuses)
    await _no_call_started(lab, before)
