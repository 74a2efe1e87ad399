"""The transfers' routes: start one for an agent's call, complete or cancel it, list them."""

from __future__ import annotations

from aiohttp import web

from callcenter.transfers.commands import TransferStart
from callcenter.web.body import fields, json_object
from callcenter.web.request import Json, Runner, action_of, command_door


def add_routes(app: web.Application, run: Runner, json: Json) -> None:
    command = command_door(run, json)

    async def transfer_start(request: web.Request) -> web.Response:
        given = await json_object(request, '{"destination": "12366", "mode": "conference"}')
        return await command(request, "transfer.start",
                             **fields(given, TransferStart, "agent"),
                             agent=request.match_info["agent"])

    async def transfer_action(request: web.Request) -> web.Response:
        action = action_of(request, ("complete", "cancel"), "转接操作")
        return await command(request, f"transfer.{action}", agent=request.match_info["agent"])

    async def transfer_list(request: web.Request) -> web.Response:
        return await command(request, "transfer.list")

    app.router.add_post("/api/agents/{agent}/transfer", transfer_start)
    app.router.add_post("/api/agents/{agent}/transfer/{action}", transfer_action)
    app.router.add_get("/api/transfers", transfer_list)
