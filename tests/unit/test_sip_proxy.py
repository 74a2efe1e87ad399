"""The browser softphone's way in: /sip relays SIP over WebSocket to Asterisk for a signed-in
agent's page only, and only what that agent's own browser endpoint may send; /api/me/phone
gives the agent their own SIP account (audited); the page and JsSIP are served."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from callcenter.agents.phone import phone_handlers, sip_host
from callcenter.api import sip_proxy
from callcenter.api.sip_proxy import PhoneSite
from callcenter.config.loader import Config, load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.secrets import Secrets
from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeEngine

OWN = "agent-1001-web"


def _request(method: str, sender: str, to: str, to_tag: str = "") -> str:
    tag = f";tag={to_tag}" if to_tag else ""
    return (f"{method} sip:127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/WS x.invalid;branch=z9hG4bK1\r\n"
            f"From: <sip:{sender}@127.0.0.1>;tag=abc\r\n"
            f"To: <sip:{to}@127.0.0.1>{tag}\r\n"
            f"Call-ID: 1\r\nCSeq: 1 {method}\r\n"
            + ("Contact: <sip:k3x9a@x.invalid;transport=ws>;expires=600\r\n"
               if method == "REGISTER" else "")
            + "Content-Length: 0\r\n\r\n")


def test_sip_host() -> None:
    assert sip_host("127.0.0.1") == "127.0.0.1"
    assert sip_host("::1") == "[::1]"


@dataclass
class FakeAsterisk:
    """Asterisk's /ws: answers every request with a 200 OK, remembers what came."""

    received: list[str] = field(default_factory=list)
    protocols: list[str] = field(default_factory=list)
    closed: int = 0

    def app(self) -> web.Application:
        async def ws(request: web.Request) -> web.WebSocketResponse:
            socket = web.WebSocketResponse(protocols=("sip",))
            await socket.prepare(request)
            self.protocols.append(socket.ws_protocol or "")
            async for msg in socket:
                self.received.append(msg.data)
                await socket.send_str("SIP/2.0 200 OK\r\n\r\n")
            self.closed += 1
            return socket

        app = web.Application()
        app.router.add_get("/ws", ws)
        return app


@dataclass
class Site:
    client: TestClient  # type: ignore[type-arg]
    door: Door
    asterisk: FakeAsterisk
    config: Config

    async def sign_in(self, name: str) -> None:
        reply = await self.client.post("/api/login", json={
            "user": name, "password": self.door.passwords[name]})
        assert reply.status == 200


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    asterisk = FakeAsterisk()
    upstream = TestServer(asterisk.app())
    await upstream.start_server()
    config = load_config(PROJECT_ROOT / "config")
    secrets = Secrets("x", {"agent-1001-web": "pw-1001", "agent-1002-web": "pw-1002",
                            "supervisor-zhao-web": "pw-zhao"})
    door = await open_door(tmp_path, FakeEngine(),
                           phone_handlers(lambda: config, lambda: secrets))
    www = tmp_path / "www"
    www.mkdir()
    phone = PhoneSite(lambda: config, www, lambda: (str(upstream.make_url("/ws")), "127.0.0.1"))
    client = TestClient(TestServer(door.app(phone=phone)))
    await client.start_server()
    yield Site(client, door, asterisk, config)
    await client.close()
    await upstream.close()
    await door.store.close()


async def test_an_agent_page_reaches_asterisk_as_itself_only(site: Site) -> None:
    await site.sign_in("li")
    async with site.client.ws_connect("/sip", protocols=("sip",)) as ws:
        assert ws.protocol == "sip"
        await ws.send_str(_request("REGISTER", OWN, OWN))
        assert (await ws.receive_str()).startswith("SIP/2.0 200 OK")
        await ws.send_str(_request("REGISTER", "agent-1002-web", "agent-1002-web"))
        closing = await ws.receive()
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert closing.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert site.asterisk.protocols == ["sip"]
    assert site.asterisk.received == [_request("REGISTER", OWN, OWN)]  # not the forged one
    for _ in range(100):  # Asterisk's side is closed too
        if site.asterisk.closed:
            break
        await asyncio.sleep(0.01)
    assert site.asterisk.closed == 1


async def test_the_socket_ends_with_the_session(site: Site,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sip_proxy, "SESSION_CHECK_S", 0.05)
    csrf = (await (await site.client.post("/api/login", json={
        "user": "li", "password": site.door.passwords["li"]})).json())["csrf"]
    async with site.client.ws_connect("/sip", protocols=("sip",)) as ws:
        await ws.send_str(_request("REGISTER", OWN, OWN))
        assert (await ws.receive_str()).startswith("SIP/2.0 200 OK")
        reply = await site.client.post("/api/logout", headers={"X-CSRF-Token": csrf})
        assert reply.status == 200
        closing = await asyncio.wait_for(ws.receive(), 5)
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert closing.data == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_a_supervisor_page_reaches_asterisk_as_the_supervisor_only(site: Site) -> None:
    await site.sign_in("zhao")  # a supervisor user, not (yet) in agents.yaml supervisors:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await site.client.ws_connect("/sip", protocols=("sip",))
    assert refused.value.status == 403  # no endpoint of theirs exists in Asterisk
    site.config.agents.supervisors["zhao"] = site.config.agents.supervisors["zhao.lei"]
    own = "supervisor-zhao-web"
    async with site.client.ws_connect("/sip", protocols=("sip",)) as ws:
        await ws.send_str(_request("REGISTER", own, own))
        assert (await ws.receive_str()).startswith("SIP/2.0 200 OK")
        await ws.send_str(_request("REGISTER", OWN, OWN))  # an agent's: refused
        closing = await ws.receive()
        assert closing.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert site.asterisk.received == [_request("REGISTER", own, own)]
    rows = [(r["user"], r["action"], r["target"], r["result"]) for r in await site.door.audit()
            if r["action"] == "phone.connect"]  # the refusal and the socket's opening
    assert rows == [("zhao", "phone.connect", "/sip", "CC1301"),
                    ("zhao", "phone.connect", own, "ok")]


async def test_at_most_two_sockets_per_session_the_oldest_closed(site: Site) -> None:
    await site.sign_in("li")
    first = await site.client.ws_connect("/sip", protocols=("sip",))
    second = await site.client.ws_connect("/sip", protocols=("sip",))
    third = await site.client.ws_connect("/sip", protocols=("sip",))
    closing = await asyncio.wait_for(first.receive(), 5)
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert closing.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    for ws in (second, third):  # the newer two still relay
        await ws.send_str(_request("REGISTER", OWN, OWN))
        assert (await asyncio.wait_for(ws.receive_str(), 5)).startswith("SIP/2.0 200 OK")
    # another session of the same agent: two sockets per endpoint in all
    other = TestClient(TestServer(site.client.server.app))
    await other.start_server()
    try:
        reply = await other.post("/api/login", json={"user": "li",
                                                     "password": site.door.passwords["li"]})
        assert reply.status == 200
        fourth = await other.ws_connect("/sip", protocols=("sip",))
        closing = await asyncio.wait_for(second.receive(), 5)
        assert closing.type is aiohttp.WSMsgType.CLOSE
        await fourth.close()
    finally:
        await other.close()
    for ws in (second, third):
        await ws.close()


@pytest.mark.parametrize("how", ["sign-out", "revoke", "reset"])
async def test_the_socket_ends_at_once_when_its_person_is_signed_out(site: Site,
                                                                     how: str) -> None:
    csrf = (await (await site.client.post("/api/login", json={
        "user": "li", "password": site.door.passwords["li"]})).json())["csrf"]
    async with site.client.ws_connect("/sip", protocols=("sip",)) as ws:
        await ws.send_str(_request("REGISTER", OWN, OWN))
        assert (await ws.receive_str()).startswith("SIP/2.0 200 OK")
        if how == "sign-out":
            reply = await site.client.post("/api/logout", headers={"X-CSRF-Token": csrf})
            assert reply.status == 200
        elif how == "revoke":
            await site.door.users.revoke("li", site.door.clock())
        else:
            await site.door.users.reset("li", site.door.clock())
        closing = await asyncio.wait_for(ws.receive(), 2)  # not the 30-s re-check
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert closing.data == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_only_an_agents_or_supervisors_signed_in_page_opens_the_socket(
        site: Site) -> None:
    await site.sign_in("chen")  # admin
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await site.client.ws_connect("/sip", protocols=("sip",))
    assert refused.value.status == 403
    site.client.session.cookie_jar.clear()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # an API token: no
        await site.client.ws_connect("/sip", headers=site.door.auth("li"))
    assert refused.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # nobody
        await site.client.ws_connect("/sip")
    assert refused.value.status == 401
    await site.sign_in("li")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # another site's page
        await site.client.ws_connect("/sip", origin="http://evil.example")
    assert refused.value.status == 403
    assert site.asterisk.received == []
    rows = [(r["user"], r["action"], r["result"]) for r in await site.door.audit()
            if r["action"] == "phone.connect"]  # every refusal is in the audit trail
    assert rows == [("chen", "phone.connect", "CC1301"), ("li", "phone.connect", "CC1301"),
                    ("li", "phone.connect", "CC1301")]


async def test_asterisk_not_answering_is_503(site: Site, tmp_path: Path) -> None:
    door = site.door
    phone = PhoneSite(lambda: site.config, tmp_path,  # nothing listens on port 9
                      lambda: ("ws://127.0.0.1:9/ws", "127.0.0.1"))
    client = TestClient(TestServer(door.app(phone=phone)))
    await client.start_server()
    try:
        await client.post("/api/login", json={"user": "li", "password": door.passwords["li"]})
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/sip", protocols=("sip",))
        assert refused.value.status == 503
    finally:
        await client.close()


async def test_an_agent_gets_their_own_phone_account_and_it_is_audited(site: Site) -> None:
    await site.sign_in("li")
    reply = await site.client.get("/api/me/phone")
    assert reply.status == 200
    assert await reply.json() == {"agent": "1001", "uri": "sip:agent-1001-web@127.0.0.1",
                                  "password": "pw-1001", "ws": "/sip"}
    await site.sign_in("chen")
    assert (await site.client.get("/api/me/phone")).status == 403
    rows = [(r["user"], r["action"], r["result"], r["detail"]) for r in await site.door.audit()]
    assert ("li", "phone.credentials", "ok", "secret shown") in rows
    assert ("chen", "phone.credentials", "CC1301") in [r[:3] for r in rows]
    assert "pw-1001" not in str(rows)


async def test_a_supervisor_gets_their_own_phone_account_if_configured(site: Site) -> None:
    await site.sign_in("zhao")  # a supervisor user, but not in agents.yaml supervisors:
    reply = await site.client.get("/api/me/phone")
    assert reply.status == 400
    assert "supervisors" in (await reply.json())["error"]
    site.config.agents.supervisors["zhao"] = site.config.agents.supervisors["zhao.lei"]
    reply = await site.client.get("/api/me/phone")
    assert reply.status == 200
    assert await reply.json() == {"supervisor": "zhao", "uri": "sip:supervisor-zhao-web@"
                                  "127.0.0.1", "password": "pw-zhao", "ws": "/sip"}


async def test_the_page_and_jssip_are_served(site: Site, tmp_path: Path) -> None:
    await site.sign_in("li")
    page = await site.client.get("/phone-check")
    assert page.status == 200 and page.content_type == "text/html"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]  # no inline script
    assert "/static/jssip.min.js" in await page.text()
    script = await site.client.get("/assets/phone-check.js")  # the desktop's static files
    assert script.status == 200 and "/api/me/phone" in await script.text()
    missing = await site.client.get("/static/jssip.min.js")
    assert missing.status == 404
    assert "./dev setup" in (await missing.json())["error"]
    (tmp_path / "www" / "jssip.min.js").write_text("var JsSIP={};")
    built = await site.client.get("/static/jssip.min.js")
    assert built.status == 200 and await built.text() == "var JsSIP={};"
    assert built.headers["Content-Type"].startswith("text/javascript")
    site.client.session.cookie_jar.clear()  # a page anyone may load; its data is not
    assert (await site.client.get("/phone-check")).status == 200
    assert (await site.client.get("/api/me/phone")).status == 401
