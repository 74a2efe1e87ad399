"""The browser softphone's way to Asterisk: SIP over WebSocket, through the engine.

    GET /sip                  WebSocket (subprotocol "sip"), relayed to Asterisk's
                              ws://<bind_address>:<http_port>/ws
    GET /api/me/phone         the signed-in agent's or supervisor's SIP account:
                              {"uri", "password", "ws"}
    GET /phone-check          a diagnostic page: registers, answers, shows inbound audio
    GET /static/jssip.min.js  JsSIP, built at setup (``./dev setup``) into var/www

Why a proxy, rather than the browser talking to Asterisk's HTTP server:
- one origin: the page, its API and its softphone come from the engine, so the session
  cookie (HttpOnly, SameSite=Strict) and one TLS certificate, added later in one place,
  cover all of it;
- the session decides who reaches Asterisk: only a signed-in agent's or supervisor's web
  page opens the socket, and what it sends must be from their own browser endpoint
  (``agent-<ID>-web``, ``supervisor-<name>-web``: nobody can register or call as another
  one, and nobody can send unauthenticated requests
  that Asterisk would take for the carrier's, which it recognises by the address
  127.0.0.1 the proxy connects from);
- Asterisk's HTTP server stays on loopback, unreachable from the agents' network;
- a session that ends (signed out, expired, the user revoked) ends its softphone too.

Messages are relayed as they are, never logged (they carry callers' numbers); a frame over
``MAX_MESSAGE_BYTES``, a binary frame or a refused request closes both sides.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import structlog
from aiohttp import web

from callcenter.agents.phone import SIP_PATH, sip_host, web_endpoint
from callcenter.api.auth import (
    SESSION,
    STILL_SIGNED_IN,
    StillSignedIn,
    actor,
    same_origin,
)
from callcenter.api.body import Command
from callcenter.audit import OK
from callcenter.config.loader import Config
from callcenter.desktop.http import PAGE_HEADERS, STATIC
from callcenter.errors import (
    ApiRequestError,
    Forbidden,
    ServiceUnavailable,
)
from callcenter.paths import Paths
from callcenter.users.signin import SignIn

log = structlog.get_logger("sip_proxy")

MAX_MESSAGE_BYTES = 64 * 1024  # a SIP message with SDP is a few kB
CONNECT_TIMEOUT_S = 5.0
PHONE_CONNECT = "phone.connect"  # the audit's action for a softphone's socket
HEARTBEAT_S = 30.0  # a browser gone without closing is noticed
SESSION_CHECK_S = 30.0  # a session signed out, expired or revoked ends its softphone's socket
PAGE = STATIC / "phone-check.html"  # with phone-check.js and .css, served under /assets/
JSSIP = "jssip.min.js"
SOCKETS = web.AppKey("sip_sockets", weakref.WeakSet[web.WebSocketResponse])


@dataclass(frozen=True, slots=True)
class PhoneSite:
    asterisk_ws: str  # Asterisk's SIP WebSocket
    www: Path  # what setup builds for browsers (jssip.min.js)

    @classmethod
    def of(cls, config: Config, paths: Paths) -> PhoneSite:
        a = config.engine.asterisk
        return cls(f"ws://{sip_host(a.bind_address)}:{a.http_port}/ws", paths.www)


# -- what the browser may send ------------------------------------------------------------

COMPACT = {"f": "from", "t": "to"}
# RFC 5626 keep-alives: Asterisk pings with a double CRLF, JsSIP answers with one (refused,
# the softphone's socket closed in the middle of a call and its hang-up never arrived)
KEEPALIVES = ("\r\n", "\r\n\r\n")


def _headers(lines: list[str]) -> dict[str, str]:
    """The first value of each header (names lower-case, compact forms expanded)."""
    found: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if colon:
            key = name.strip().lower()
            found.setdefault(COMPACT.get(key, key), value.strip())
    return found


def _user(value: str) -> str:
    """The user part of a From/To header's URI ("" when there is none)."""
    address = value[value.find("<") + 1:value.find(">")] if "<" in value else value
    scheme, colon, rest = address.partition(":")
    if not colon or scheme.strip().lower() not in ("sip", "sips"):
        return ""
    user, at, _host = rest.partition("@")
    return user.split(";")[0] if at else ""


def _has_tag(value: str) -> bool:
    params = value.split(">", 1)[1] if ">" in value else value.partition(";")[2]
    return any(p.strip().lower().startswith("tag=") for p in params.split(";"))


def refusal(message: str, endpoint: str) -> str | None:
    """Why a SIP message from the browser must not reach Asterisk (None: it may go).

    Responses pass; so do requests within a dialog (a To tag: Asterisk answers 481 to one
    whose dialog does not exist, whatever the method). A request that starts something —
    REGISTER, INVITE, OPTIONS, MESSAGE … — must be from ``endpoint`` (and a REGISTER for it):
    Asterisk then asks for that endpoint's password."""
    if message in KEEPALIVES:
        return None
    head = message.split("\r\n\r\n", 1)[0].replace("\r\n", "\n").split("\n")
    first = head[0].split(" ")
    if first[0] == "SIP/2.0":
        return None
    if len(first) != 3 or first[2] != "SIP/2.0" or not first[0].isalpha():
        return "not a SIP message"
    method, headers = first[0].upper(), _headers(head[1:])
    sender, to = headers.get("from", ""), headers.get("to", "")
    if not sender or not to:
        return f"a {method} without From or To"
    if _has_tag(to):
        return None
    if _user(sender) != endpoint:
        return f"a {method} from another SIP user than {endpoint}"
    if method == "REGISTER" and _user(to) != endpoint:
        return f"a REGISTER for another SIP user than {endpoint}"
    return None


# -- the routes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ending:
    """Why a relay ended; ``refused``: the browser broke a rule or its session ended (the
    socket closes with a policy violation)."""

    why: str
    refused: bool = False


async def _relay(browser: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse,
                 endpoint: str, session_ends: Coroutine[Any, Any, Ending]) -> Ending:
    """Frames both ways until one side closes, breaks a rule or the session ends."""

    async def from_browser() -> Ending:
        async for msg in browser:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return Ending("a binary frame from the browser")
            why = refusal(msg.data, endpoint)
            if why is not None:
                log.warning("sip_proxy.refused", endpoint=endpoint, reason=why)
                return Ending(f"refused: {why}", refused=True)
            await upstream.send_str(msg.data)
        return Ending("the browser closed")

    async def to_browser() -> Ending:
        async for msg in upstream:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return Ending("a binary frame from Asterisk")
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


def add_routes(app: web.Application, command: Command, site: PhoneSite,
               signin: SignIn) -> None:
    app[SOCKETS] = weakref.WeakSet()

    async def session_ends(still_signed_in: StillSignedIn) -> Ending:
        while True:
            await asyncio.sleep(SESSION_CHECK_S)
            if not await still_signed_in():
                return Ending("refused: the session has ended", refused=True)

    async def sip_socket(request: web.Request) -> web.StreamResponse:
        who, session = actor(request), request.get(SESSION)
        try:
            if session is None:
                raise Forbidden("the softphone connects from a signed-in web page (its "
                                "session cookie), not with an API token")
            endpoint = web_endpoint(who)  # Forbidden for anyone without one
            if not same_origin(request):
                raise Forbidden("a softphone on another site's page is refused")
        except Forbidden as exc:
            await signin.audited(who, PHONE_CONNECT, SIP_PATH, exc.error_id, exc.message)
            raise
        async with aiohttp.ClientSession() as client:
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    upstream = await client.ws_connect(site.asterisk_ws, protocols=("sip",),
                                                       max_msg_size=MAX_MESSAGE_BYTES)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("sip_proxy.asterisk_unreachable", error=type(exc).__name__)
                await signin.audited(who, PHONE_CONNECT, endpoint,
                                     ServiceUnavailable.error_id, type(exc).__name__)
                raise ServiceUnavailable("Asterisk's SIP WebSocket does not answer (is its "
                                         "HTTP server enabled?)") from None
            await signin.audited(who, PHONE_CONNECT, endpoint, OK)
            browser = web.WebSocketResponse(protocols=("sip",), heartbeat=HEARTBEAT_S,
                                            max_msg_size=MAX_MESSAGE_BYTES)
            async with upstream:
                await browser.prepare(request)
                request.app[SOCKETS].add(browser)
                log.info("sip_proxy.opened", endpoint=endpoint, user=who.name)
                ending = await _relay(browser, upstream, endpoint,
                                      session_ends(request[STILL_SIGNED_IN]))
                code = (aiohttp.WSCloseCode.POLICY_VIOLATION if ending.refused
                        else aiohttp.WSCloseCode.OK)
                await browser.close(code=code, message=ending.why[:120].encode())
        log.info("sip_proxy.closed", endpoint=endpoint, why=ending.why)
        return browser

    async def close_sockets(app: web.Application) -> None:
        sockets: weakref.WeakSet[web.WebSocketResponse] = app[SOCKETS]
        for socket in list(sockets):
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
            body = {"error": f"{JSSIP} is not built: `./dev setup` builds it into {site.www}",
                    "error_id": ApiRequestError.error_id}
            return web.json_response(body, status=404,
                                     dumps=lambda d: json.dumps(d, ensure_ascii=False))
        return web.FileResponse(built, headers={
            "Content-Type": "text/javascript; charset=utf-8"})

    app.on_shutdown.append(close_sockets)
    app.router.add_get(SIP_PATH, sip_socket)
    app.router.add_get("/api/me/phone", my_phone)
    app.router.add_get("/phone-check", phone_check)
    app.router.add_get(f"/static/{JSSIP}", jssip)
