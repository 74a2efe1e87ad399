"""The supervisor's routes of the HTTP API (:func:`add_routes`, called by
``callcenter.api.server.build_app``); each runs a command of :mod:`.commands`:

    POST /api/supervise/agents/{id}/pause    body {"reason": "请先处理培训任务"} (also unpause,
                                             logout; the agent's desktop shows the reason)
    POST /api/supervise/agents/{id}/skills   body {"skills": {"q12345": 0, "q12315": 2}}:
                                             queue → penalty for the rest of the shift
    GET  /api/supervise/queues/{q}/waiting   the callers waiting in queue q (place, hotline
                                             dialed, since when, where from; never the
                                             number) and the queues that could take them
    POST /api/supervise/move-caller          body {"call": "…", "to_queue": "q12345"} or
                                             {"queue": "q12315", "position": 1, "to_queue": …}
    GET  /api/monitor                        the live monitoring sessions
    POST /api/monitor                        body {"agent": "1001", "mode": "listen",
                                             "device": "sip"}: the supervisor's softphone
                                             rings, answered it hears the call
    POST /api/monitor/{session}/mode         body {"mode": "whisper"} (listen, whisper, barge)
    POST /api/monitor/{session}/stop
"""

from __future__ import annotations

from aiohttp import web

from callcenter.arguments import Arguments
from callcenter.supervision.commands import (
    MaybeReason,
    MonitorStart,
    MoveCaller,
    Reason,
    SessionMode,
    Skills,
)
from callcenter.web.body import Command, fields, json_object
from callcenter.web.request import action_of

AGENT_ACTIONS: dict[str, type[Arguments]] = {"pause": Reason, "unpause": MaybeReason,
                                             "logout": Reason, "skills": Skills}


def add_routes(app: web.Application, command: Command) -> None:
    async def agent_action(request: web.Request) -> web.Response:
        action = action_of(request, tuple(AGENT_ACTIONS), "班长操作")
        given = await json_object(request, '{"skills": {"q12345": 0}}' if action == "skills"
                                  else '{"reason": "请先处理培训任务"}')
        return await command(request, f"supervise.{action}",
                             **fields(given, AGENT_ACTIONS[action], "agent"),
                             agent=request.match_info["agent"])

    async def waiting(request: web.Request) -> web.Response:
        return await command(request, "supervise.waiting", queue=request.match_info["queue"])

    async def move_caller(request: web.Request) -> web.Response:
        given = await json_object(request, '{"call": "…", "to_queue": "q12345"}')
        return await command(request, "supervise.move_caller",
                             **fields(given, MoveCaller))

    async def sessions(request: web.Request) -> web.Response:
        if request.method == "GET":
            return await command(request, "monitor.list")
        given = await json_object(request, '{"agent": "1001", "mode": "listen"}')
        return await command(request, "monitor.start",
                             **fields(given, MonitorStart, "supervisor"))

    async def session_mode(request: web.Request) -> web.Response:
        given = await json_object(request, '{"mode": "whisper"}')
        return await command(request, "monitor.mode",
                             **fields(given, SessionMode, "session"),
                             session=request.match_info["session"])

    async def session_stop(request: web.Request) -> web.Response:
        return await command(request, "monitor.stop", session=request.match_info["session"])

    app.router.add_post("/api/supervise/agents/{agent}/{action}", agent_action)
    app.router.add_get("/api/supervise/queues/{queue}/waiting", waiting)
    app.router.add_post("/api/supervise/move-caller", move_caller)
    app.router.add_get("/api/monitor", sessions)
    app.router.add_post("/api/monitor", sessions)
    app.router.add_post("/api/monitor/{session}/mode", session_mode)
    app.router.add_post("/api/monitor/{session}/stop", session_stop)
