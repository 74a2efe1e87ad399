"""Server-sent events: a first event (the whole picture), then what a live bus publishes,
with keep-alive comments, until an event ends the stream or the client goes."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

from aiohttp import web

KEEPALIVE_S = 15.0


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


class Encoded(dict[str, Any]):
    """An event encoded once for every stream it goes to (the wallboard's board: the same
    ~50 kB to each open page, at up to 2 a second)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__(event)
        self.text = _dumps(event)


async def stream(request: web.Request, first: tuple[str, Any],
                 queue: asyncio.Queue[dict[str, Any]] | None,
                 ends: Callable[[dict[str, Any]], bool] = lambda _event: False,
                 keepalive_s: float = KEEPALIVE_S,
                 last: tuple[str, Any] | None = None) -> web.StreamResponse:
    """``queue`` None: only ``first`` (and ``last``), then the stream ends."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store",
                                           "X-Content-Type-Options": "nosniff"})
    await response.prepare(request)

    async def emit(kind: str, data: Any) -> None:
        payload = data.text if isinstance(data, Encoded) else _dumps(data)
        await response.write(f"event: {kind}\ndata: {payload}\n\n".encode())

    # streams opened together (a shift starting, an engine restart) would keep their
    # keep-alives in step for good: each stream gets its own period
    keepalive_s *= random.uniform(0.75, 1.25)
    try:
        await emit(*first)
        if queue is None:
            if last is not None:
                await emit(*last)
            return response
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), keepalive_s)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            await emit(str(event.get("type", "update")), event)
            if ends(event):
                break
    except ConnectionResetError:
        pass
    return response
