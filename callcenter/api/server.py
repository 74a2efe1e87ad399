"""The engine's HTTP JSON API for agent desktops and supervisors (loopback; every request
signed in: :mod:`callcenter.api.auth`).

    GET  /api/status                      engine, AMI link, live calls, agents
    GET  /api/agents                      every agent and its state
    POST /api/agents/{id}/login           the softphone must be registered
    POST /api/agents/{id}/logout
    POST /api/agents/{id}/pause           body {"reason": "小休"} (a reason from lab.yaml)
    POST /api/agents/{id}/unpause
    GET  /api/tickets/{id}                a ticket: caller, hotline, unit, agent, times,
                                          transcript, pre-filled and confirmed fields
    GET  /api/tickets/{id}/events         server-sent events while the call goes on:
                                          ``ticket`` (the whole ticket, first), ``partial``,
                                          ``utterance``, ``prefill``, ``closed`` (last)
    POST /api/tickets/{id}/confirm        body {"fields": {...}}: what the agent confirms
    POST /api/agents/{id}/transfer        body {"destination": "12366", "mode": "conference"}
    POST /api/agents/{id}/transfer/complete (or /cancel)
    GET  /api/transfers
    POST /api/reload                      admin: read config/ again
    GET  /api/users                       admin: the users; POST {"name", "role", "agent"}
                                          asks to add one: 202 {"pending": request}
    POST /api/users/{name}/reset          admin: asks for new credentials (202, pending)
    POST /api/users/{name}/revoke         admin: at once
    GET  /api/users/requests              admin: the requests waiting for root's approval
    POST /api/users/requests/{id}/refuse  admin: drops one (/approve: refused to everyone;
                                          root approves on the server, run.py user approve)
    GET  /api/audit?since=…&user=…&action=…&result=…&limit=…
                                          admin: the audit trail

Every route runs a command of the one command layer (:mod:`callcenter.commands`), as the
control socket does: the command layer checks the user's role (403 otherwise) and writes the
audit row. Refusals are JSON ``{"error": …, "error_id": …}`` with the status of the error's
class (its ``http_status``, :mod:`callcenter.errors`: 401 not signed in, 403 not allowed,
404 unknown agent or ticket, 409 not now given the call's state, 429 too many failed
sign-ins, 502 Asterisk refused, 503 a part not ready, else 400); so are
aiohttp's own (413 for a body over ``MAX_BODY_BYTES``, 404 for an unknown path, 405 for a
wrong method).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from callcenter.actors import Actor, Role
from callcenter.agents.commands import AgentLogin, AgentOnly, AgentPause
from callcenter.api.auth import PUBLIC, add_routes, auth_middleware
from callcenter.api.sip_proxy import PhoneSite
from callcenter.api.sip_proxy import add_routes as add_phone_routes
from callcenter.arguments import Arguments
from callcenter.calllog.privacy import mask_number
from callcenter.capability import Routes
from callcenter.errors import (
    ApiRequestError,
    BadRequestBody,
    CallCenterError,
    EngineControlError,
    Forbidden,
    NotSignedIn,
    ServiceUnavailable,
)
from callcenter.users.signin import SIGN_IN, SignIn
from callcenter.web.body import fields, json_object
from callcenter.web.request import ACTOR, Runner, action_of, command_door

log = structlog.get_logger("api")


AGENT_ACTIONS: dict[str, type[Arguments]] = {"login": AgentLogin, "logout": AgentOnly,
                                             "pause": AgentPause, "unpause": AgentOnly}
SSE_KEEPALIVE_S = 15.0
MAX_BODY_BYTES = 1024**2  # request bodies are small JSON objects


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status,
                             dumps=lambda d: json.dumps(d, ensure_ascii=False, default=str))


def _error(message: str, status: int, error_id: str = "") -> web.Response:
    return _json({"error": message, "error_id": error_id}, status)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own refusals (body too large, unknown path, wrong method) as JSON."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        if isinstance(exc, web.HTTPRequestEntityTooLarge):
            message = f"the request body is too large (at most {MAX_BODY_BYTES} bytes)"
        else:
            message = f"{exc.reason}: {request.method} {request.path}"
        return _error(message, exc.status, ApiRequestError.error_id)


def command_errors(signin: SignIn) -> Middleware:
    """Refusals as JSON with the status of their class. One refused before any command —
    a body that cannot be read, a sign-in from another site's page — gets its audit row
    here (a command's own refusals are recorded by the command layer)."""

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except CallCenterError as exc:
            if isinstance(exc, NotSignedIn | Forbidden):
                log.warning("api.refused", path=request.path, peer=request.remote,
                            error_id=exc.error_id)
            signing_in = (request.method, request.path) in PUBLIC
            if isinstance(exc, BadRequestBody) or (signing_in and isinstance(exc, Forbidden)):
                await _audit_refusal(signin, request, SIGN_IN if signing_in else "web.refused",
                                     exc)
            return _error(exc.message, exc.http_status, exc.error_id)

    return errors


async def _audit_refusal(signin: SignIn, request: web.Request, action: str,
                         exc: CallCenterError) -> None:
    who = request.get(ACTOR) or Actor("(unknown)", "http", request.remote or "", Role.NONE)
    asked = mask_number(f"{request.method} {request.path}")[:120]
    try:
        await signin.audited(who, action, asked, exc.error_id, exc.message[:200])
    except ServiceUnavailable:
        log.warning("audit.unavailable", action=action, error_id=exc.error_id)


@web.middleware
async def private_responses(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answers carry citizens' data: never cached, never sniffed into another type; over
    HTTPS, browsers are told to come back only over HTTPS (a year)."""
    response = await handler(request)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def build_app(signin: SignIn, run: Runner, routes: Sequence[Routes] = (),
              phone: PhoneSite | None = None) -> web.Application:
    """The routes: each one a command of the command layer (``run``), errors by class;
    ``routes``: the capabilities' own (callcenter/capability.py), added first."""

    command = command_door(run, _json)

    async def get_status(request: web.Request) -> web.Response:
        return await command(request, "status")

    async def get_agents(request: web.Request) -> web.Response:
        return await command(request, "agent.list")

    async def agent_action(request: web.Request) -> web.Response:
        action = action_of(request, tuple(AGENT_ACTIONS), "话务员操作")
        given = await json_object(request, '{"reason": "小休"}')
        return await command(request, f"agent.{action}",
                             **fields(given, AGENT_ACTIONS[action], "agent"),
                             agent=request.match_info["agent"])

    async def reload(request: web.Request) -> web.Response:
        return await command(request, "reload")  # the engine's own directory, nothing else

    app = web.Application(middlewares=[json_errors, command_errors(signin), private_responses,
                                       auth_middleware(signin)],
                          client_max_size=MAX_BODY_BYTES)
    add_routes(app, signin, _json)
    for add_capability_routes in routes:  # (before the general /api/agents/{agent}/{action})
        add_capability_routes(app, run, _json)
    app.router.add_post("/api/reload", reload)
    app.router.add_get("/api/status", get_status)
    app.router.add_get("/api/agents", get_agents)
    app.router.add_post("/api/agents/{agent}/{action}", agent_action)
    if phone is not None:  # the browser softphone: /sip, /api/me/phone, /phone-check
        add_phone_routes(app, command, phone, signin)
    return app


SHUTDOWN_S = 2.0


class ApiServer:
    def __init__(self, app: web.Application, host: str, port: int,
                 tls: tuple[Path, Path] | None = None) -> None:
        # live streams (desktops, wallboards) never finish on their own: a stopping engine
        # gives requests this long, then ends them
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_S)
        self.host = host
        self.port = port
        self.tls = tls  # (certificate, key): HTTPS (required off loopback: the config says)

    async def start(self) -> None:
        context = await asyncio.to_thread(tls_context, *self.tls) if self.tls else None
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=context)
        await site.start()
        log.info("api.listening", host=self.host, port=self.port, https=context is not None)

    async def stop(self) -> None:
        await self._runner.cleanup()


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context of TLS 1.2 or newer; a missing or unreadable file is a clear error."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise EngineControlError(f"cannot use the API's certificate {cert} and key {key}: "
                                 f"{exc}") from None
    return context
