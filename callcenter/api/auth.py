"""Who is asking, for every HTTP request: an API token (``Authorization: Bearer cc_…``,
for programs) or a web session (the ``cc_session`` cookie: HttpOnly, SameSite=Strict, with
an expiry; a state-changing request must also carry the session's ``X-CSRF-Token`` and, when
the browser sends one, an ``Origin`` of this very host). Without either: 401.

    POST /api/login    {"user": "li.ming", "password": "…"} → the cookie, and the CSRF token
    POST /api/logout   ends the session
    GET  /api/me       who is signed in (and the CSRF token of a web session)
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from callcenter.calllog.privacy import mask_number
from callcenter.errors import BadRequestBody, CallCenterError, Forbidden, NotSignedIn
from callcenter.users.signin import SignIn
from callcenter.web.body import json_body
from callcenter.web.request import ACTOR, SESSION, STILL_SIGNED_IN, WATCH_ENDING, actor

COOKIE = "cc_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC = frozenset({("POST", "/api/login")})
PRIVATE = ("/api/", "/sip")  # every other path is a static file of the web pages

log = structlog.get_logger("api")

def _still(check: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[bool]]:
    async def still() -> bool:
        try:
            await check()
        except NotSignedIn:  # signed out, expired, revoked, the password reset
            return False
        except CallCenterError as exc:  # the store not open, say: asked again later
            log.warning("auth.recheck_failed", error_id=exc.error_id)
            return True
        return True

    return still


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Json = Callable[[Any], web.Response]


def address(request: web.Request) -> str:
    return request.remote or ""


def same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser's cross-site request (SameSite keeps the cookie off)
        return True
    return urlsplit(origin).netloc == request.host


def auth_middleware(signin: SignIn) -> Middleware:
    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if (request.method, request.path) in PUBLIC or not request.path.startswith(PRIVATE):
            return await handler(request)  # the sign-in, and the pages' static files
        given = request.headers.get("Authorization", "")
        if given:
            scheme, _, token = given.partition(" ")
            if scheme != "Bearer" or not token:
                raise NotSignedIn("Authorization 请求头必须是 'Bearer <令牌>'")
            token = token.strip()
            request[ACTOR] = await signin.with_token(token, address(request))
            request[STILL_SIGNED_IN] = _still(
                lambda: signin.token_holds(token, address(request)))
            request[WATCH_ENDING] = lambda ended: signin.watch_ending(
                request[ACTOR].name, None, ended)
            return await handler(request)
        session_id = request.cookies.get(COOKIE, "")
        if not session_id:
            raise NotSignedIn("请先登录（或在 Authorization 请求头中提供 API 令牌）")
        who, session = await signin.with_session(session_id, address(request))
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            why = ""
            if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                why = f"页面的修改请求缺少本次登录的 {CSRF_HEADER} 请求头，请刷新页面后重试"
            elif not same_origin(request):
                why = "拒绝来自其他网站页面的修改请求"
            if why:
                asked = mask_number(f"{request.method} {request.path}")[:120]
                await signin.audited(who, "web.refused", asked, Forbidden.error_id, why)
                raise Forbidden(why)
        request[ACTOR] = who
        request[SESSION] = session
        request[STILL_SIGNED_IN] = _still(
            lambda: signin.with_session(session_id, address(request)))
        request[WATCH_ENDING] = lambda ended: signin.watch_ending(who.name, session_id, ended)
        return await handler(request)

    return auth


def add_routes(app: web.Application, signin: SignIn, json: Json) -> None:
    async def login(request: web.Request) -> web.Response:
        # a sign-in only from this site's own page (or a program that names no Origin): a
        # page elsewhere cannot sign a browser in as someone else (login CSRF); a JSON body
        # cannot come from a plain cross-site form either
        if not same_origin(request) or request.headers.get("Sec-Fetch-Site", "same-origin") \
                not in ("same-origin", "none"):
            raise Forbidden("只能在本系统的登录页登录")
        example = '{"user": "…", "password": "…"}'
        given = await json_body(request, example)
        if not isinstance(given, dict) or not all(
                isinstance(given.get(k), str) for k in ("user", "password")):
            raise BadRequestBody(f"请求正文必须是 {example}")
        session = await signin.with_password(given["user"], given["password"],
                                             address(request))
        response = json({"user": session.user.name, "role": str(session.user.role),
                         "agent": session.user.agent, "unit": session.user.unit,
                         "csrf": session.csrf,
                         "expires_at": session.expires_at})
        max_age = int(signin.session_lifetime.total_seconds())
        response.set_cookie(COOKIE, session.session_id, max_age=max_age, path="/",
                            httponly=True, samesite="Strict", secure=request.secure)
        return response

    async def logout(request: web.Request) -> web.Response:
        session = request.get(SESSION)
        if session is not None:
            await signin.sign_out(actor(request), session.session_id)
        response = json({"signed_out": True})
        response.del_cookie(COOKIE, path="/")
        return response

    async def me(request: web.Request) -> web.Response:
        who, session = actor(request), request.get(SESSION)
        return json({"user": who.name, "role": str(who.role), "agent": who.agent,
                     "unit": who.unit, "via": who.via, "csrf": session.csrf if session else None,
                     "expires_at": session.expires_at if session else None})

    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
