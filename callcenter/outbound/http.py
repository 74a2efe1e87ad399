"""Callback tasks over HTTP: every route only runs a command (role check, audit row).

- ``GET /api/callbacks/tasks?open=&limit=``: the tasks, newest first, numbers masked
  (``open``: true or 1, false or 0; anything else reaches the command, which refuses it);
- ``POST /api/callbacks/tasks/{callback}/cancel``: a supervisor closes a waiting task.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.outbound.commands import CallbackTasks
from callcenter.web.body import Command, fields

FLAGS = {"true": True, "1": True, "false": False, "0": False}


def add_routes(app: web.Application, command: Command) -> None:
    async def listed(request: web.Request) -> web.Response:
        given: dict[str, Any] = fields(request.query, CallbackTasks)
        if "open" in given:
            given["open"] = FLAGS.get(given["open"], given["open"])
        return await command(request, "callback.tasks", **given)

    async def cancel(request: web.Request) -> web.Response:
        return await command(request, "callback.cancel",
                             callback=request.match_info["callback"])

    app.router.add_get("/api/callbacks/tasks", listed)
    app.router.add_post("/api/callbacks/tasks/{callback}/cancel", cancel)
