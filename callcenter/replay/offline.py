"""The offline stand-ins for Asterisk that a replay and a generated day run the engine's
decision code against: an action sender that sends nothing, and a FastAGI session whose
channel is the log."""

from __future__ import annotations

from typing import Any, cast

from callcenter.agi.server import AgiSession
from callcenter.agi.wire import AgiReply, parse_reply
from callcenter.ami import actions
from callcenter.ami.client import AmiResponse
from callcenter.errors import AgiHangup


async def no_asterisk(action: actions.AmiAction) -> AmiResponse:
    """Actions offline: nothing is sent, every action succeeds."""
    return AmiResponse(action.name, True, "offline", {})


class ReplaySession(AgiSession):
    """A FastAGI session whose channel is the log: the caller's keys are the recorded ones."""

    def __init__(self, request: Any, keys: list[str | None], complete: bool) -> None:
        super().__init__(request, cast(Any, None), cast(Any, None), 0)
        self.keys = keys  # a digit, or None for a menu timeout
        self.complete = complete  # the log says how the script ended (not a hang-up)

    async def command(self, text: str) -> AgiReply:
        if text.startswith("STREAM FILE"):
            key = self.keys.pop(0) if self.keys and self.keys[0] is not None else None
            return parse_reply([f"200 result={ord(key) if key else 0} endpos=0"])
        if text.startswith("GET DATA"):
            if not self.keys:
                if not self.complete:
                    raise AgiHangup("the caller hung up here (as recorded)")
                return parse_reply(["200 result= (timeout)"])
            key = self.keys.pop(0)
            return parse_reply([f"200 result={key}" if key else "200 result= (timeout)"])
        if text.startswith("CHANNEL STATUS"):
            return parse_reply(["200 result=6"])
        return parse_reply(["200 result=1"])
