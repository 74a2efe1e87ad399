"""The browser softphone's way to Asterisk: SIP over WebSocket, through the engine.

    GET /sip                  WebSocket (subprotocol "sip"), relayed to Asterisk's
                              ws://<bind_address>:<http_port>/ws
    GET /api/me/phone         the signed-in agent's or supervisor's SIP account:
                              {"uri", "password", "ws"}
    GET /phone-check          a diagnostic page: registers, answers, shows inbound audio
    GET /static/jssip.min.js  JsSIP, built at setup (``./dev setup``) into var/www

Why a proxy, rather than the browser talking to Asterisk's HTTP server:
- one origin: the page, its API and its softphone come from the engine, so the session
  cookie (HttpOnly, SameSite=Strict) and one TLS certificate cover all of it;
- the session decides who reaches Asterisk: only a signed-in agent's or supervisor's web
  page whose endpoint exists in the configuration opens the socket;
- Asterisk's HTTP server stays on loopback, unreachable from the agents' network;
- a session that ends (signed out, revoked, reset: at once; expired: within
  ``SESSION_CHECK_S``) ends its softphone too.

Two walls keep a page from speaking to Asterisk as anyone but its own endpoint:
1. **Asterisk's own checks.** The proxy connects from ``asterisk.web_sip_source``, an
   address no ``identify`` matches (the carrier is matched on ``carrier_address`` only, and
   its endpoint only by address): a request from an unknown or forged user meets Asterisk's
   401/403, never the carrier's context; every browser endpoint authenticates.
2. **This filter** (:class:`callcenter.sip.guard.BrowserGuard`): one strictly read message
   per frame, REGISTER only as the page's own endpoint, requests within a call only in
   calls Asterisk started on this socket. A refused frame closes both sides.

At most ``SOCKETS_PER_SESSION`` sockets per web session and ``SOCKETS_PER_ENDPOINT`` per
endpoint (a new one closes the oldest): Asterisk's HTTP ``sessionlimit`` is generated with
room for every configured agent and supervisor. Messages are relayed as they are, never
logged (they carry callers' numbers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import structlog
from aiohttp import web

from callcenter.agents.phone import SIP_PATH, configured_endpoint, sip_host
from callcenter.api.auth import same_origin
from callcenter.audit import OK
from callcenter.config.loader import SOCKETS_PER_ENDPOINT, Config
from callcenter.desktop.http import STATIC
from callcenter.errors import (
    ApiRequestError,
    Forbidden,
    PhoneSuperseded,
    ServiceUnavailable,
)
from callcenter.paths import Paths
from callcenter.sip.guard import BrowserGuard
from callcenter.users.signin import SignIn
from callcenter.web.body import Command
from callcenter.web.pages import PAGE_HEADERS
from callcenter.web.request import (
    SESSION,
    STILL_SIGNED_IN,
    WATCH_ENDING,
    StillSignedIn,
    actor,
)

log = structlog.get_logger("sip_proxy")

MAX_MESSAGE_BYTES = 64 * 1024  # a SIP message with SDP is a few kB
CONNECT_TIMEOUT_S = 5.0
PHONE_CONNECT = "phone.connect"  # the audit's action for a softphone's socket
HEARTBEAT_S = 30.0  # a browser gone without closing is noticed
SESSION_CHECK_S = 30.0  # a session that expires ends its softphone's socket
SOCKETS_PER_SESSION = 2  # per endpoint: config.loader.SOCKETS_PER_ENDPOINT
PAGE = STATIC / "phone-check.html"  # with phone-check.js and .css, served under /assets/
JSSIP = "jssip.min.js"


@dataclass(frozen=True, slots=True)
class PhoneSite:
    config: Callable[[], Config]  # the configuration Asterisk runs (a reload changes it)
    www: Path  # what setup builds for browsers (jssip.min.js)
    # Asterisk's SIP WebSocket, and the address to reach it from
    upstream: Callable[[], tuple[str, str]]

    @classmethod
    def of(cls, config: Callable[[], Config], paths: Paths) -> PhoneSite:
        def upstream() -> tuple[str, str]:
            a = config().engine.asterisk
            return f"ws://{sip_host(a.bind_address)}:{a.http_port}/ws", a.web_sip_source

        return cls(config, paths.www, upstream)


@dataclass
class Sockets:
    """The open softphone sockets, oldest first, by web session and by endpoint."""

    by_session: dict[str, list[web.WebSocketResponse]] = field(default_factory=dict)
    by_endpoint: dict[str, list[web.WebSocketResponse]] = field(default_factory=dict)

    def add(self, session: str, endpoint: str,
            socket: web.WebSocketResponse) -> list[web.WebSocketResponse]:
        """Keep ``socket``; the ones it pushes over a limit (to be closed)."""
        over: list[web.WebSocketResponse] = []
        for table, key, limit in ((self.by_session, session, SOCKETS_PER_SESSION),
                                  (self.by_endpoint, endpoint, SOCKETS_PER_ENDPOINT)):
            kept = table.setdefault(key, [])
            kept.append(socket)
            while len(kept) > limit:
                over.append(kept.pop(0))
        return over

    def remove(self, session: str, endpoint: str, socket: web.WebSocketResponse) -> None:
        for table, key in ((self.by_session, session), (self.by_endpoint, endpoint)):
            kept = table.get(key, [])
            if socket in kept:
                kept.remove(socket)
            if not kept:
                table.pop(key, None)

    def holds(self, session: str, socket: web.WebSocketResponse) -> bool:
        return socket in self.by_session.get(session, ())

    def all(self) -> list[web.WebSocketResponse]:
        return [s for kept in self.by_endpoint.values() for s in kept]


SOCKETS = web.AppKey("sip_sockets", Sockets)


@dataclass(frozen=True, slots=True)
class Ending:
    """Why a relay ended; ``refused``: the browser broke a rule or its session ended (the
    socket closes with a policy violation)."""

    why: str
    refused: bool = False


async def _relay(browser: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse,
                 guard: BrowserGuard, session_ends: Coroutine[Any, Any, Ending]) -> Ending:
    """Frames both ways until one side closes, breaks a rule or the session ends."""

    async def from_browser() -> Ending:
        async for msg in browser:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return Ending("a binary frame from the browser", refused=True)
            why = guard.refusal(msg.data)
            if why is not None:
                log.warning("sip_proxy.refused", endpoint=guard.endpoint, reason=why)
                return Ending(f"refused: {why}", refused=True)
            await upstream.send_str(msg.data)
        return Ending("the browser closed")

    async def to_browser() -> Ending:
        async for msg in upstream:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return Ending("a binary frame from Asterisk")
            guard.from_asterisk(msg.data)
            await browser.send_str(msg.data)
        return Ending("Asterisk closed")

    tasks = [asyncio.create_task(from_browser()), asyncio.create_task(to_browser()),
             asyncio.create_task(session_ends)]
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        first = done.pop()
        return first.result() if first.exception() is None else Ending(
            repr(first.exception()))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _connect(client: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    async with asyncio.timeout(CONNECT_TIMEOUT_S):
        return await client.ws_connect(url, protocols=("sip",), max_msg_size=MAX_MESSAGE_BYTES)


def add_routes(app: web.Application, command: Command, site: PhoneSite,
               signin: SignIn) -> None:
    app[SOCKETS] = Sockets()

    async def session_ends(still_signed_in: StillSignedIn, ended: asyncio.Event) -> Ending:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ended.wait(), SESSION_CHECK_S)
            if ended.is_set() or not await still_signed_in():
                return Ending("refused: the session has ended", refused=True)

    async def sip_socket(request: web.Request) -> web.StreamResponse:
        who, session = actor(request), request.get(SESSION)
        try:
            if session is None:
                raise Forbidden("软电话只能从已登录的网页连接（不接受 API 令牌）")
            endpoint = configured_endpoint(who, site.config())  # Forbidden without one
            if not same_origin(request):
                raise Forbidden("拒绝来自其他网站页面的软电话连接")
        except Forbidden as exc:
            await signin.audited(who, PHONE_CONNECT, SIP_PATH, exc.error_id, exc.message)
            raise
        browser = web.WebSocketResponse(protocols=("sip",), heartbeat=HEARTBEAT_S,
                                        max_msg_size=MAX_MESSAGE_BYTES)
        sockets = request.app[SOCKETS]
        # counted before Asterisk is asked: a burst of sockets from one page never holds more
        # of Asterisk's HTTP sessions than its limit (the oldest give way at once)
        for old in sockets.add(session.session_id, endpoint, browser):
            if old.prepared:
                await old.close(code=aiohttp.WSCloseCode.POLICY_VIOLATION,
                                message=b"another softphone of yours opened")
        try:
            return await _open(request, browser, endpoint)
        finally:
            sockets.remove(session.session_id, endpoint, browser)

    async def _open(request: web.Request, browser: web.WebSocketResponse,
                    endpoint: str) -> web.StreamResponse:
        who, session, sockets = actor(request), request[SESSION], request.app[SOCKETS]
        url, source = site.upstream()
        connector = aiohttp.TCPConnector(local_addr=(source, 0))
        async with aiohttp.ClientSession(connector=connector) as client:
            try:
                upstream = await _connect(client, url)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.warning("sip_proxy.asterisk_unreachable", error=type(exc).__name__)
                await signin.audited(who, PHONE_CONNECT, endpoint,
                                     ServiceUnavailable.error_id, type(exc).__name__)
                raise ServiceUnavailable("电话系统的软电话接口没有应答，请稍后重试或联系管理员"
                                         f"（{url}，自 {source} 连接）") from None
            async with upstream:
                if not sockets.holds(session.session_id, browser):  # newer ones came
                    raise PhoneSuperseded("同一页面又打开了新的软电话连接，此连接不再使用")
                await signin.audited(who, PHONE_CONNECT, endpoint, OK)
                ended = asyncio.Event()
                unwatch = request[WATCH_ENDING](ended.set)
                try:
                    await browser.prepare(request)
                    log.info("sip_proxy.opened", endpoint=endpoint, user=who.name)
                    ending = await _relay(browser, upstream, BrowserGuard(endpoint),
                                          session_ends(request[STILL_SIGNED_IN], ended))
                finally:
                    unwatch()
                code = (aiohttp.WSCloseCode.POLICY_VIOLATION if ending.refused
                        else aiohttp.WSCloseCode.OK)
                await browser.close(code=code, message=ending.why[:120].encode())
        log.info("sip_proxy.closed", endpoint=endpoint, why=ending.why)
        return browser

    async def close_sockets(app: web.Application) -> None:
        for socket in app[SOCKETS].all():
            with contextlib.suppress(Exception):
                await socket.close(code=aiohttp.WSCloseCode.GOING_AWAY,
                                   message=b"the engine stops")

    async def my_phone(request: web.Request) -> web.Response:
        return await command(request, "phone.credentials")

    async def phone_check(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(PAGE, headers={**PAGE_HEADERS,
                                               "Content-Type": "text/html; charset=utf-8"})

    async def jssip(request: web.Request) -> web.StreamResponse:
        built = site.www / JSSIP
        if not built.is_file():
            body = {"error": f"{JSSIP} 尚未生成：请在服务器上运行 ./dev setup（生成到 "
                             f"{site.www}）", "error_id": ApiRequestError.error_id}
            return web.json_response(body, status=404,
                                     dumps=lambda d: json.dumps(d, ensure_ascii=False))
        return web.FileResponse(built, headers={
            "Content-Type": "text/javascript; charset=utf-8"})

    app.on_shutdown.append(close_sockets)
    app.router.add_get(SIP_PATH, sip_socket)
    app.router.add_get("/api/me/phone", my_phone)
    app.router.add_get("/phone-check", phone_check)
    app.router.add_get(f"/static/{JSSIP}", jssip)
