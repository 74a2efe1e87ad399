"""The wallboard's command (``wallboard.get``: the supervisor role, see
:mod:`callcenter.permissions`), and what tells the board that a callback was worked."""

from __future__ import annotations

from typing import Any

from callcenter.actors import Actor
from callcenter.commands import Args, Handler
from callcenter.wallboard.live import Wallboard


def wallboard_handlers(wallboard: Wallboard) -> dict[str, Handler]:
    async def get(_args: Args, _actor: Actor) -> Any:
        return await wallboard.current()

    return {"wallboard.get": get}


def telling(wallboard: Wallboard, handler: Handler) -> Handler:
    """``handler`` (``callback.done``), after which the wallboard counts the callbacks
    waiting again."""

    async def run(args: Args, actor: Actor) -> Any:
        result = await handler(args, actor)
        wallboard.callbacks_changed()
        return result

    return run
