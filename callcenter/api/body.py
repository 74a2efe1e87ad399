"""The JSON object a request carries: one reading for every route that takes a body."""

from __future__ import annotations

from typing import Any

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
