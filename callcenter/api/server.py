"""The engine's HTTP JSON API for agent desktops and supervisors (loopback, token-protected).

    GET  /api/status                      engine, AMI link, live calls, agents
    GET  /api/agents                      every agent and its state
    POST /api/agents/{id}/login           the softphone must be registered
    POST /api/agents/{id}/logout
    POST /api/agents/{id}/pause           body {"reason": "小休"} (a reason from agents.yaml)
    POST /api/agents/{id}/unpause
    GET  /api/tickets/{id}                a ticket: caller, hotline, unit, agent, times,
                                          transcript, pre-filled and confirmed fields
    GET  /api/tickets/{id}/events         server-sent events while the call goes on:
                                          ``ticket`` (the whole ticket, first), ``partial``,
                                          ``utterance``, ``prefill``, ``closed`` (last)
    POST /api/tickets/{id}/confirm        body {"fields": {...}}: what the agent confirms

Every request carries ``Authorization: Bearer <token>`` (``api_token`` in var/secrets.yaml);
without it: 401. Refusals are JSON ``{"error": …, "error_id": …}`` with 400 (404 for an
unknown agent or ticket); so are aiohttp's own (413 for a body over ``MAX_BODY_BYTES``, 404
for an unknown path, 405 for a wrong method).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import structlog
from aiohttp import web

from callcenter.errors import AgentError, ApiRequestError, TransferError
from callcenter.store.db import StoreError, row_id

log = structlog.get_logger("api")


class TicketSource(Protocol):
    async def get(self, ticket_id: int) -> dict[str, Any]: ...
    async def confirm(self, ticket_id: int, fields: dict[str, Any]) -> None: ...


class TicketEvents(Protocol):
    def subscribe(self, ticket_id: int) -> asyncio.Queue[dict[str, Any]]: ...
    def unsubscribe(self, ticket_id: int, queue: asyncio.Queue[dict[str, Any]]) -> None: ...


SSE_KEEPALIVE_S = 15.0
MAX_BODY_BYTES = 1024**2  # request bodies are small JSON objects


class Desk(Protocol):
    def snapshot(self) -> list[dict[str, Any]]: ...
    async def login(self, agent_id: str) -> dict[str, Any]: ...
    async def logout(self, agent_id: str) -> dict[str, Any]: ...
    async def pause(self, agent_id: str, reason: str) -> dict[str, Any]: ...
    async def unpause(self, agent_id: str) -> dict[str, Any]: ...


class TransferSource(Protocol):
    def snapshot(self) -> list[dict[str, object]]: ...
    async def start(self, agent_id: str, wanted: str, mode: str = "conference", *,
                    wait: bool = True) -> dict[str, object]: ...
    async def complete(self, agent_id: str) -> dict[str, object]: ...
    async def cancel(self, agent_id: str) -> dict[str, object]: ...


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


def build_app(token: str, desk: Desk, status: Callable[[], dict[str, Any]],
              tickets: Callable[[], TicketSource | None] = lambda: None,
              ticket_events: TicketEvents | None = None,
              transfers: TransferSource | None = None) -> web.Application:
    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            log.warning("api.unauthorized", path=request.path, peer=request.remote)
            return _error("missing or wrong token (Authorization: Bearer …)", 401)
        return await handler(request)

    async def get_status(_request: web.Request) -> web.Response:
        return _json(status())

    async def get_agents(_request: web.Request) -> web.Response:
        return _json(desk.snapshot())

    async def agent_action(request: web.Request) -> web.Response:
        agent_id = request.match_info["agent"]
        action = request.match_info["action"]
        try:
            if action == "login":
                result = await desk.login(agent_id)
            elif action == "logout":
                result = await desk.logout(agent_id)
            elif action == "unpause":
                result = await desk.unpause(agent_id)
            elif action == "pause":
                try:
                    body = await request.json()
                except ValueError:
                    return _error("the body must be JSON like {\"reason\": \"小休\"}", 400)
                reason = body.get("reason", "") if isinstance(body, dict) else ""
                result = await desk.pause(agent_id, str(reason))
            else:
                return _error(f"unknown action {action!r}", 404)
        except AgentError as exc:
            status_code = 404 if exc.message.startswith("unknown agent") else 400
            return _error(exc.message, status_code, exc.error_id)
        log.info("api.agent_action", agent=agent_id, action=action)
        return _json(result)

    async def load_ticket(request: web.Request) -> tuple[TicketSource, int, dict[str, Any]]:
        source = tickets()
        if source is None:
            raise web.HTTPServiceUnavailable(
                text=json.dumps({"error": "the ticket store is not open yet",
                                 "error_id": StoreError.error_id}),
                content_type="application/json")
        try:
            ticket_id = row_id(request.match_info["ticket"])
            return source, ticket_id, await source.get(ticket_id)
        except StoreError:
            raise web.HTTPNotFound(
                text=json.dumps({"error": f"no ticket {request.match_info['ticket'][:40]}",
                                 "error_id": StoreError.error_id}, ensure_ascii=False),
                content_type="application/json") from None

    async def get_ticket(request: web.Request) -> web.Response:
        _source, _ticket_id, ticket = await load_ticket(request)
        return _json(ticket)

    async def confirm_ticket(request: web.Request) -> web.Response:
        source, ticket_id, _ticket = await load_ticket(request)
        try:
            body = await request.json()
        except ValueError:
            body = None
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict) or not fields:
            return _error("the body must be JSON like {\"fields\": {\"phone\": \"…\"}}", 400)
        await source.confirm(ticket_id, fields)
        log.info("ticket.confirmed", ticket=ticket_id, fields=sorted(fields))
        return _json(await source.get(ticket_id))

    async def ticket_stream(request: web.Request) -> web.StreamResponse:
        _source, ticket_id, ticket = await load_ticket(request)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)

        async def emit(kind: str, data: Any) -> None:
            payload = json.dumps(data, ensure_ascii=False, default=str)
            await response.write(f"event: {kind}\ndata: {payload}\n\n".encode())

        await emit("ticket", ticket)
        if ticket.get("closed_at") or ticket_events is None:
            await emit("closed", {"at": ticket.get("closed_at")})
            return response
        queue = ticket_events.subscribe(ticket_id)
        try:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), SSE_KEEPALIVE_S)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                await emit(str(event.get("type", "update")), event)
                if event.get("type") == "closed":
                    break
        except ConnectionResetError:
            pass
        finally:
            ticket_events.unsubscribe(ticket_id, queue)
        return response

    async def transfer_start(request: web.Request) -> web.Response:
        if transfers is None:
            return _error("transfers are not available", 503)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("destination"):
            return _error('the body must be JSON like {"destination": "12366", '
                          '"mode": "conference"}', 400)
        try:
            result = await transfers.start(request.match_info["agent"],
                                           str(body["destination"]),
                                           str(body.get("mode") or "conference"),
                                           wait=bool(body.get("wait", True)))
        except TransferError as exc:
            return _error(exc.message, 409 if "no call" in exc.message else 400, exc.error_id)
        return _json(result)

    async def transfer_action(request: web.Request) -> web.Response:
        if transfers is None:
            return _error("transfers are not available", 503)
        agent_id, action = request.match_info["agent"], request.match_info["action"]
        try:
            if action == "complete":
                result = await transfers.complete(agent_id)
            elif action == "cancel":
                result = await transfers.cancel(agent_id)
            else:
                return _error(f"unknown transfer action {action!r} (complete, cancel)", 404)
        except TransferError as exc:
            return _error(exc.message, 409, exc.error_id)
        return _json(result)

    async def transfer_list(_request: web.Request) -> web.Response:
        return _json(transfers.snapshot() if transfers is not None else [])

    app = web.Application(middlewares=[json_errors, auth], client_max_size=MAX_BODY_BYTES)
    app.router.add_post("/api/agents/{agent}/transfer", transfer_start)
    app.router.add_post("/api/agents/{agent}/transfer/{action}", transfer_action)
    app.router.add_get("/api/transfers", transfer_list)
    app.router.add_get("/api/tickets/{ticket}", get_ticket)
    app.router.add_get("/api/tickets/{ticket}/events", ticket_stream)
    app.router.add_post("/api/tickets/{ticket}/confirm", confirm_ticket)
    app.router.add_get("/api/status", get_status)
    app.router.add_get("/api/agents", get_agents)
    app.router.add_post("/api/agents/{agent}/{action}", agent_action)
    return app


class ApiServer:
    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self._runner = web.AppRunner(app, access_log=None)
        self.host = host
        self.port = port

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        log.info("api.listening", host=self.host, port=self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()
