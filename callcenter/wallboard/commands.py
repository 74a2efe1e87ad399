"""The wallboard's command (``wallboard.get``: the supervisor role, see
:mod:`callcenter.permissions`)."""

from __future__ import annotations

from typing import Any

from callcenter.actors import Actor
from callcenter.arguments import NoArguments
from callcenter.commands import Handler, command
from callcenter.wallboard.live import Wallboard


def wallboard_handlers(wallboard: Wallboard) -> dict[str, Handler]:
    @command(NoArguments)
    async def get(_args: NoArguments, _actor: Actor) -> Any:
        return await wallboard.current()

    return {"wallboard.get": get}
