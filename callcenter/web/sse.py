"""Server-sent events: a first event (the whole picture), then what a live bus publishes,
with keep-alive comments, until an event ends the stream, the client goes, or the person
behind it is no longer signed in: at once when they sign out or are revoked or reset
(:mod:`callcenter.users.endings`), and asked again every ``SIGNED_IN_CHECK_S`` for a session
that expires — a page left open stops receiving callers' data."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from callcenter.web.request import STILL_SIGNED_IN, WATCH_ENDING

KEEPALIVE_S = 15.0
SIGNED_IN_CHECK_S = 30.0


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
                 keepalive_s: float | None = None,
                 last: tuple[str, Any] | None = None) -> web.StreamResponse:
    """``queue`` None: only ``first`` (and ``last``), then the stream ends."""
    keepalive_s = KEEPALIVE_S if keepalive_s is None else keepalive_s
    still_signed_in = request.get(STILL_SIGNED_IN)
    loop = asyncio.get_running_loop()
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
    signed_out = False

    def sign_out() -> None:  # the person's sign-in ended: the loop wakes up and ends
        nonlocal signed_out
        signed_out = True
        if queue is not None:
            with contextlib.suppress(asyncio.QueueFull):  # full: it wakes up anyway
                queue.put_nowait({"type": "signed_out"})

    watch = request.get(WATCH_ENDING)
    unwatch = watch(sign_out) if watch is not None and queue is not None else None
    try:
        await emit(*first)
        if queue is None:
            if last is not None:
                await emit(*last)
            return response
        check_at = loop.time() + SIGNED_IN_CHECK_S
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), keepalive_s)
            except TimeoutError:
                event = None
            if signed_out:
                await emit("signed_out", {"reason": "not signed in any more"})
                break
            if still_signed_in is not None and loop.time() >= check_at:
                check_at = loop.time() + SIGNED_IN_CHECK_S
                if not await still_signed_in():
                    await emit("signed_out", {"reason": "not signed in any more"})
                    break
            if event is None:
                await response.write(b": keepalive\n\n")
                continue
            await emit(str(event.get("type", "update")), event)
            if ends(event):
                break
    except ConnectionResetError:
        pass
    finally:
        if unwatch is not None:
            unwatch()
    return response


Queue = asyncio.Queue[dict[str, Any]]


async def follow(request: web.Request, subscribe: Callable[[], Queue | None],
                 unsubscribe: Callable[[Queue], None],
                 first: Callable[[], Awaitable[tuple[str, Any]]],
                 ends: Callable[[dict[str, Any]], bool] = lambda _event: False,
                 over: Callable[[Any], tuple[str, Any] | None] = lambda _first: None,
                 ) -> web.StreamResponse:
    """A stream of what a bus publishes, after its first picture: subscribed before the
    picture is read (nothing published in between is lost), unsubscribed at its end, however
    it ends. ``over(first's data)``: a last event when there is nothing left to follow (a
    closed ticket); no bus (``subscribe`` gives None): the picture alone."""
    queue = subscribe()
    try:
        picture = await first()
        last = over(picture[1])
        if last is not None or queue is None:
            return await stream(request, picture, None, last=last)
        return await stream(request, picture, queue, ends)
    finally:
        if queue is not None:
            unsubscribe(queue)
