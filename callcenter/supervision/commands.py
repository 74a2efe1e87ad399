"""The supervisor's commands (supervisor role only: :mod:`callcenter.permissions`), through
the one command layer like every other (role check, audit row):

- ``supervise.pause`` / ``supervise.unpause`` / ``supervise.logout`` ``{agent, reason}``:
  the agent's desktop shows who did it and why;
- ``supervise.skills`` ``{agent, skills: {queue: penalty}}``: the agent's queues for the rest
  of the shift (the audit row has old → new);
- ``supervise.waiting`` ``{queue}``: the callers waiting there (place, hotline dialed,
  since when, where from — never the number) and the queues that could take them;
- ``supervise.move_caller`` ``{call | queue + position, to_queue}``: a waiting caller into
  another queue;
- ``monitor.start`` ``{agent, mode, device}``, ``monitor.mode`` ``{session, mode}``,
  ``monitor.stop`` ``{session}``, ``monitor.list``: listen / whisper / barge from the
  supervisor's softphone (``device``: ``sip`` the desk one, ``webrtc`` the browser's).
"""

from __future__ import annotations

import re
from typing import Any

from callcenter.actors import Actor
from callcenter.commands import Args, Handler, text
from callcenter.errors import UnknownSession
from callcenter.supervision.control import SupervisorControl
from callcenter.supervision.desk import MonitorDesk

SESSION = re.compile(r"[0-9a-f]{12}")  # MonitorDesk's session ids


def session_of(args: Args) -> str:
    session = text(args, "session")
    if not SESSION.fullmatch(session):
        raise UnknownSession(f"没有这个监听会话：{session[:40]!r}（12 位十六进制编号）")
    return session


def supervision_handlers(monitor: MonitorDesk, control: SupervisorControl) -> dict[str, Handler]:
    async def pause(args: Args, actor: Actor) -> Any:
        return await control.pause(text(args, "agent"), text(args, "reason"), actor)

    async def unpause(args: Args, actor: Actor) -> Any:
        return await control.unpause(text(args, "agent"),
                                     text(args, "reason", required=False), actor)

    async def logout(args: Args, actor: Actor) -> Any:
        return await control.logout(text(args, "agent"), text(args, "reason"), actor)

    async def skills(args: Args, actor: Actor) -> Any:
        return await control.skills(text(args, "agent"), args.get("skills"), actor)

    async def waiting(args: Args, _actor: Actor) -> Any:
        return await control.waiting(text(args, "queue"))

    async def move_caller(args: Args, _actor: Actor) -> Any:
        return await control.move_caller(
            text(args, "call", required=False), text(args, "queue", required=False),
            text(args, "position", required=False), text(args, "to_queue"))

    async def start(args: Args, actor: Actor) -> Any:
        return await monitor.start(
            actor, text(args, "agent"), text(args, "mode", required=False, default="listen"),
            supervisor=text(args, "supervisor", required=False),
            device=text(args, "device", required=False, default="sip"))

    async def mode(args: Args, actor: Actor) -> Any:
        return await monitor.mode(actor, session_of(args), text(args, "mode"))

    async def stop(args: Args, actor: Actor) -> Any:
        return await monitor.stop(actor, session_of(args))

    async def sessions(_args: Args, _actor: Actor) -> Any:
        return monitor.snapshot()

    return {"supervise.pause": pause, "supervise.unpause": unpause,
            "supervise.logout": logout, "supervise.skills": skills,
            "supervise.waiting": waiting, "supervise.move_caller": move_caller,
            "monitor.start": start, "monitor.mode": mode, "monitor.stop": stop,
            "monitor.list": sessions}
