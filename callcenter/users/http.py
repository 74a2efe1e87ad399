"""The people's routes (admin): users — adding and resetting only asked for over the web,
202 with the request (root approves on the server) —, revoking, the requests, the audit."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.users.commands import PENDING, AuditList, UserAdd
from callcenter.web.body import fields, json_object
from callcenter.web.request import Json, Runner, action_of, actor, command_door


def add_routes(app: web.Application, run: Runner, json: Json) -> None:
    command = command_door(run, json)

    async def asked(request: web.Request, command_name: str, /, **args: Any) -> web.Response:
        """A user command that an admin's request may leave waiting for a second admin:
        202 with the request, else 200 with the result."""
        result = await run(command_name, args, actor(request))
        return json(result, 202 if isinstance(result, dict) and PENDING in result else 200)

    async def users(request: web.Request) -> web.Response:
        if request.method == "GET":
            return await command(request, "user.list")
        given = await json_object(request, '{"name": "li.ming", "role": "agent", "agent": "1001"}')
        return await asked(request, "user.add", **fields(given, UserAdd))

    async def user_action(request: web.Request) -> web.Response:
        action = action_of(request, ("revoke", "reset"), "用户操作")
        return await asked(request, f"user.{action}", name=request.match_info["name"])

    async def user_requests(request: web.Request) -> web.Response:
        return await command(request, "user.requests")

    async def user_request_action(request: web.Request) -> web.Response:
        action = action_of(request, ("approve", "refuse"), "申请操作")
        return await command(request, f"user.{action}", request=request.match_info["request"])

    async def audit(request: web.Request) -> web.Response:
        return await command(request, "audit.list", **fields(request.query, AuditList))

    app.router.add_get("/api/users", users)
    app.router.add_post("/api/users", users)
    app.router.add_get("/api/users/requests", user_requests)
    app.router.add_post("/api/users/requests/{request}/{action}", user_request_action)
    app.router.add_post("/api/users/{name}/{action}", user_action)
    app.router.add_get("/api/audit", audit)
