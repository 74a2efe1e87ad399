"""The callback tasks' commands: ``callback.tasks`` lists them (id, hotline, queue, state,
attempts with their outcomes; the number masked) for supervisors and agents (the desktop)
and root; every run is audited (it reads citizens' data, masked). ``callback.cancel``: a
supervisor closes a waiting task (已取消; one being dialed finishes its attempt first)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from callcenter.actors import Actor, Role
from callcenter.arguments import Arguments, Flag, Id, Number
from callcenter.commands import Handler, command
from callcenter.errors import ServiceUnavailable
from callcenter.glossary import word
from callcenter.outbound import state as s
from callcenter.outbound.state import Closed
from callcenter.outbound.store import TaskStore
from callcenter.permissions import Rule

READERS = Rule(frozenset({Role.AGENT, Role.SUPERVISOR}), read_audited=True)
SUPERVISORS = Rule(frozenset({Role.SUPERVISOR}), changes=True)


class CallbackOnly(Arguments):
    callback: Id
    """the callback task's id"""


class CallbackTasks(Arguments):
    open: Flag = False
    """only tasks still waiting or being dialed"""
    limit: Annotated[int, Number(10_000)] = 200
    """at most this many, newest first"""


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A task as people read it: the state's, outcomes' and reasons' words beside them."""
    return {**row, "state_text": word("callback_state", row["state"]),
            "reason_text": word("callback_reason", row["reason"]),
            "closed_text": word("callback_closed", row["closed_reason"])
            if row["closed_reason"] else "",
            "attempts": [{**a, "outcome_text": word("callback_outcome", a["outcome"])
                          if a["outcome"] else ""} for a in row["attempts"]]}


def handlers(tasks: Callable[[], TaskStore | None],
             clock: Callable[[], float] = time.time) -> dict[str, Handler]:
    def opened() -> TaskStore:
        kept = tasks()
        if kept is None:
            raise ServiceUnavailable("回拨任务库尚未打开，请稍后再试")
        return kept

    @command(CallbackTasks, READERS)
    async def listed(args: CallbackTasks, _actor: Actor) -> Any:
        return [shown(r) for r in await opened().listing(args.limit, open_only=args.open)]

    @command(CallbackOnly, SUPERVISORS)
    async def cancel(args: CallbackOnly, _actor: Actor) -> Any:
        kept = opened()
        task = await kept.need(args.callback)
        task = await kept.step(task, *s.closed(task, Closed.CANCELLED, clock()))
        return {"id": task.id, "state": task.state.value,
                "state_text": word("callback_state", task.state.value),
                "closed_reason": task.closed_reason}

    return {"callback.tasks": listed, "callback.cancel": cancel}
