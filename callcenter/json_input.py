"""Reading JSON that people send (the HTTP API's bodies, the control socket's lines): UTF-8
text that is valid Unicode, nested no deeper than any of the engine's requests — anything else
is :class:`~callcenter.errors.BadRequestBody` (a 400), never an exception the door did not
expect (a RecursionError, a UnicodeEncodeError when a lone surrogate reaches the store)."""

from __future__ import annotations

import json
from typing import Any

from callcenter.errors import BadRequestBody

MAX_DEPTH = 32  # the engine's bodies are two or three levels deep


def _valid(data: Any) -> bool:
    """No lone surrogate in any string, no nesting past MAX_DEPTH (walked without
    recursion: the reader's own limit is Python's)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(value, dict):
            stack.extend((k, depth + 1) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return True


def loads(raw: bytes, wrong: str) -> Any:
    """UTF-8 JSON of valid text, or :class:`BadRequestBody` with ``wrong`` (for every door
    that reads JSON: the HTTP API, the control socket)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not JSON, not UTF-8; nested past the reader
        raise BadRequestBody(wrong) from None
    if not _valid(data):
        raise BadRequestBody(f"{wrong}（文本中含有无效字符，或层级过深）")
    return data


