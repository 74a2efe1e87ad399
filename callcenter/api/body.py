"""What every module of HTTP routes shares: the JSON object a request carries (one reading
for every route that takes a body), the fields a command takes from it, and the way a route
runs a command (:class:`Command`)."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from aiohttp import web

from callcenter.errors import CommandError


async def json_object(request: web.Request, example: str) -> dict[str, Any]:
    """The JSON object a POST carries ({} when there is none); anything else is a clear
    error naming ``example``."""
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise CommandError(f"the body must be a JSON object like {example}")
    return data


def picked(given: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The fields of a body (or a query string) a command takes (others are not passed on:
    a body cannot name the agent or session of the route's path)."""
    return {name: given[name] for name in names if name in given}


class Command(Protocol):
    """``build_app``'s way to run a command for a request and answer with its result."""

    def __call__(self, request: web.Request, command_name: str, /,
                 **args: Any) -> Awaitable[web.Response]: ...
