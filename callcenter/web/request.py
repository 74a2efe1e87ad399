"""What the auth middleware (callcenter/api/auth.py) puts on each request for the routes of
every capability: who asks (``actor``), their web session, and for long-lived streams a way
to ask whether they are still signed in and to hear at once when they stop being."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from callcenter.actors import Actor
from callcenter.errors import UnknownCommand
from callcenter.web.body import Command

if TYPE_CHECKING:  # (the users capability builds on this module)
    from callcenter.users.store import WebSession

ACTOR = web.RequestKey("actor", Actor)
SESSION: web.RequestKey[WebSession] = web.RequestKey("session")
# asks again whether the request's token or session still holds (a long-lived stream's)
StillSignedIn = Callable[[], Awaitable[bool]]
STILL_SIGNED_IN: web.RequestKey[StillSignedIn] = web.RequestKey("still_signed_in")
# tells a long-lived stream at once when its person signs out or is revoked or reset:
# ``request[WATCH_ENDING](callback)`` → a function that stops watching
WatchEnding = Callable[[Callable[[], None]], Callable[[], None]]
WATCH_ENDING: web.RequestKey[WatchEnding] = web.RequestKey("watch_ending")


def actor(request: web.Request) -> Actor:
    return request[ACTOR]  # the auth middleware put it there


# the one command layer as a route runs it (Commands.run), and the JSON answer
Runner = Callable[[str, Mapping[str, Any], Actor], Awaitable[Any]]


class Json(Protocol):
    """The JSON answer (the server's: non-ASCII kept, dates as text)."""

    def __call__(self, data: Any, status: int = 200) -> web.Response: ...



def command_door(run: Runner, json: Json) -> Command:
    """``await door(request, "knowledge.search", q=…)``: the command as the request's
    person, its result as JSON."""

    async def command(request: web.Request, command_name: str, /,
                      **args: Any) -> web.Response:
        return json(await run(command_name, args, actor(request)))

    return command


def action_of(request: web.Request, known: Sequence[str], what: str) -> str:
    """The route's ``{action}``, one of ``known`` (UnknownCommand otherwise: ``what`` names
    the kind of action, as the person reads it)."""
    action = request.match_info["action"]
    if action not in known:
        raise UnknownCommand(f"没有这个{what}：{action[:20]!r}（可用：{'、'.join(known)}）")
    return action
