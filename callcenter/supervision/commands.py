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
from callcenter.agents.commands import AgentOnly
from callcenter.arguments import Arguments, NoArguments, Text, Value
from callcenter.commands import Handler, command
from callcenter.errors import UnknownSession
from callcenter.supervision.desk import MonitorDesk
from callcenter.supervision.floor_desk import FloorDesk

SESSION = re.compile(r"[0-9a-f]{12}")  # MonitorDesk's session ids


class Reason(AgentOnly):
    reason: Text
    """what the agent's desktop shows"""


class MaybeReason(AgentOnly):
    reason: Text = ""
    """what the agent's desktop shows"""


class Skills(AgentOnly):
    skills: Value
    """queue → penalty, e.g. {"q12345": 0, "q12315": 2} (0 expert … 4 basic)"""


class QueueOnly(Arguments):
    queue: Text


class MoveCaller(Arguments):
    call: Text = ""
    """the call's id"""
    queue: Text = ""
    """the queue the caller waits in (with position)"""
    position: Text = ""
    """1: the first in line"""
    to_queue: Text
    """the other queue"""


class MonitorStart(AgentOnly):
    mode: Text = "listen"
    """listen, whisper or barge"""
    supervisor: Text = ""
    """whose softphone rings (agents.yaml supervisors:; the server's command line only)"""
    device: Text = "sip"
    """sip: the supervisor's desk softphone; webrtc: the browser's"""


class SessionOnly(Arguments):
    session: Text
    """the monitoring session's id (12 hexadecimal digits)"""


class SessionMode(SessionOnly):
    mode: Text
    """listen, whisper or barge"""


def session_of(args: SessionOnly) -> str:
    if not SESSION.fullmatch(args.session):
        raise UnknownSession(f"没有这个监听会话：{args.session[:40]!r}（12 位十六进制编号）")
    return args.session


def supervision_handlers(monitor: MonitorDesk, control: FloorDesk) -> dict[str, Handler]:
    @command(Reason)
    async def pause(args: Reason, actor: Actor) -> Any:
        return await control.pause(args.agent, args.reason, actor)

    @command(MaybeReason)
    async def unpause(args: MaybeReason, actor: Actor) -> Any:
        return await control.unpause(args.agent, args.reason, actor)

    @command(Reason)
    async def logout(args: Reason, actor: Actor) -> Any:
        return await control.logout(args.agent, args.reason, actor)

    @command(Skills)
    async def skills(args: Skills, actor: Actor) -> Any:
        return await control.skills(args.agent, args.skills, actor)

    @command(QueueOnly)
    async def waiting(args: QueueOnly, _actor: Actor) -> Any:
        return await control.waiting(args.queue)

    @command(MoveCaller)
    async def move_caller(args: MoveCaller, _actor: Actor) -> Any:
        return await control.move_caller(args.call, args.queue, args.position, args.to_queue)

    @command(MonitorStart)
    async def start(args: MonitorStart, actor: Actor) -> Any:
        return await monitor.start(actor, args.agent, args.mode, supervisor=args.supervisor,
                                   device=args.device)

    @command(SessionMode)
    async def mode(args: SessionMode, actor: Actor) -> Any:
        return await monitor.mode(actor, session_of(args), args.mode)

    @command(SessionOnly)
    async def stop(args: SessionOnly, actor: Actor) -> Any:
        return await monitor.stop(actor, session_of(args))

    @command(NoArguments)
    async def sessions(_args: NoArguments, _actor: Actor) -> Any:
        return monitor.snapshot()

    return {"supervise.pause": pause, "supervise.unpause": unpause,
            "supervise.logout": logout, "supervise.skills": skills,
            "supervise.waiting": waiting, "supervise.move_caller": move_caller,
            "monitor.start": start, "monitor.mode": mode, "monitor.stop": stop,
            "monitor.list": sessions}
