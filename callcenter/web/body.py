"""What every module of HTTP routes shares: the JSON a request carries (one reading for every
route that takes a body, the sign-in's included), the fields of it a command declares
(:mod:`callcenter.arguments`), and the way a route runs a command (:class:`Command`).

A body is taken only as UTF-8 JSON (``Content-Type: application/json``, no other charset)
with text that is valid Unicode: a body nested too deeply to read, of an unknown charset, or
holding a lone surrogate (``"\\ud800"``, which no store can keep) is a clear 400, never a
500 — and never reaches a command, whose audit row could not be written either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from aiohttp import web

from callcenter.arguments import Arguments, kind_of
from callcenter.errors import BadRequestBody
from callcenter.json_input import loads

JSON = "application/json"


async def json_body(request: web.Request, example: str) -> Any:
    """The JSON value a request carries; :class:`BadRequestBody` (400) naming ``example`` for
    anything that is not UTF-8 JSON of valid text."""
    wrong = f"请求正文必须是 UTF-8 编码的 JSON，例如 {example}"
    if request.content_type != JSON or (request.charset or "utf-8").lower() not in (
            "utf-8", "utf8"):
        raise BadRequestBody(f"{wrong}（Content-Type: {JSON}）")
    return loads(await request.read(), wrong)


async def json_object(request: web.Request, example: str) -> dict[str, Any]:
    """The JSON object a POST carries ({} when there is none); anything else is a clear
    error naming ``example``."""
    if not request.can_read_body:
        return {}
    data = await json_body(request, example)
    if not isinstance(data, dict):
        raise BadRequestBody(f"请求正文必须是 JSON 对象，例如 {example}")
    return data


def fields(given: Mapping[str, Any], arguments: type[Arguments],
           *fixed: str) -> dict[str, Any]:
    """The fields of a body (or a query string) the command declares (``arguments``), but
    those the route ``fixed`` itself: a body cannot name the agent or session of the route's
    path. Other fields are not passed on."""
    return {name: given[name] for name in arguments.model_fields
            if name in given and name not in fixed}


def query_fields(query: Mapping[str, str], arguments: type[Arguments],
                 *fixed: str) -> dict[str, Any]:
    """:func:`fields` of a query string, whose values are text: a flag's "true" or "false"
    is taken as the flag (``?overdue=true``)."""
    return {name: kind_of(arguments.model_fields[name]).from_text(value)
            for name, value in fields(query, arguments, *fixed).items()}


class Command(Protocol):
    """``build_app``'s way to run a command for a request and answer with its result."""

    def __call__(self, request: web.Request, command_name: str, /,
                 **args: Any) -> Awaitable[web.Response]: ...
