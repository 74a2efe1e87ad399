"""The FastAGI server: routes each request by script name to an async handler.

Whatever happens (unknown script, malformed request, handler error, caller hanging up) the
connection is answered and closed cleanly and one log line says what happened. A script that
did not do its job leaves ``CC_AGI_STATUS`` = ``UNKNOWN_SCRIPT`` / ``FAILED`` on the channel;
a script that did sets its own result variable (``CC_SPEC`` for routing), which the dialplan
checks before taking the result, and otherwise falls back to its static route. (No "OK" is
sent: one AGI round trip fewer on every call.) Nothing a peer sends can stop the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

import structlog

from callcenter.agi.wire import (
    HANGUP_LINE,
    AgiReply,
    AgiRequest,
    AgiRequestReader,
    parse_reply,
    quote_arg,
    reply_complete,
)
from callcenter.errors import AgiCommandFailed, AgiHangup, AgiProtocolError

log = structlog.get_logger("agi")

STATUS_VARIABLE = "CC_AGI_STATUS"
CALL_ID_QUERY = "call"


class AgiSession:
    """One channel talking to one handler."""

    def __init__(self, request: AgiRequest, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, command_timeout: float) -> None:
        self.request = request
        self._reader = reader
        self._writer = writer
        self._timeout = command_timeout
        self.hung_up = False

    @property
    def call_id(self) -> str:
        return dict(self.request.query).get(CALL_ID_QUERY, "") or self.request.uniqueid

    async def command(self, text: str) -> AgiReply:
        if self.hung_up:
            raise AgiHangup(f"caller hung up before {text.split()[0]}")
        self._writer.write(text.encode("utf-8") + b"\n")
        await self._writer.drain()
        lines: list[str] = []
        while not reply_complete(lines):
            raw = await asyncio.wait_for(self._reader.readline(), self._timeout)
            if not raw:
                self.hung_up = True
                raise AgiHangup("channel closed the AGI connection")
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line == HANGUP_LINE:
                self.hung_up = True
                continue
            lines.append(line)
        reply = parse_reply(lines)
        if reply.code == 511:
            self.hung_up = True
            raise AgiHangup("channel is dead")
        if self.hung_up:
            raise AgiHangup("caller hung up")
        return reply

    async def checked(self, text: str) -> AgiReply:
        """Run a command that must succeed. ``result=-1`` means "failure or hang-up": a
        follow-up CHANNEL STATUS tells which (it raises AgiHangup on a dead channel)."""
        reply = await self.command(text)
        if reply.ok and reply.result < 0:
            await self.command("CHANNEL STATUS")
        if not reply.ok or reply.result < 0:
            raise AgiCommandFailed(f"{text.split()[0]} failed: {reply.text}")
        return reply

    async def set_variable(self, name: str, value: str) -> None:
        await self.checked(f"SET VARIABLE {name} {quote_arg(value)}")

    async def get_variable(self, name: str) -> str | None:
        reply = await self.command(f"GET VARIABLE {name}")
        return reply.data if reply.ok and reply.result == 1 else None

    async def answer(self) -> None:
        await self.checked("ANSWER")

    async def stream_file(self, sound: str, escape_digits: str = "") -> AgiReply:
        return await self.checked(f"STREAM FILE {sound} {quote_arg(escape_digits)}")

    async def wait_for_digit(self, timeout_ms: int) -> str:
        reply = await self.checked(f"WAIT FOR DIGIT {timeout_ms}")
        return chr(reply.result) if reply.result > 0 else ""


Handler = Callable[[AgiSession], Awaitable[None]]
RequestRecorder = Callable[[AgiRequest, float], None]


class FastAgiServer:
    def __init__(self, scripts: Mapping[str, Handler], host: str, port: int, *,
                 on_request: RequestRecorder | None = None,
                 request_timeout: float = 5.0, command_timeout: float = 60.0) -> None:
        self.scripts = dict(scripts)
        self.host = host
        self.port = port
        self._on_request = on_request
        self._request_timeout = request_timeout
        self._command_timeout = command_timeout
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.counts: Counter[str] = Counter()

    @property
    def bound_port(self) -> int:
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        log.info("agi.listening", host=self.host, port=self.bound_port,
                 scripts=sorted(self.scripts))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _read_request(self, reader: asyncio.StreamReader) -> AgiRequest | None:
        parser = AgiRequestReader()
        while True:
            data = await reader.read(4096)
            if not data:
                return None
            request = parser.feed(data)
            if request is not None:
                return request

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            request = await asyncio.wait_for(self._read_request(reader), self._request_timeout)
        except AgiProtocolError as exc:
            self.counts["malformed"] += 1
            log.warning("agi.request_malformed", error_id=exc.error_id, error=exc.message,
                        peer=str(peer))
            return
        except TimeoutError:
            self.counts["malformed"] += 1
            log.warning("agi.request_timeout", peer=str(peer),
                        timeout_s=self._request_timeout)
            return
        except (ConnectionError, OSError) as exc:
            log.warning("agi.request_lost", peer=str(peer), error=str(exc))
            return
        if request is None:
            log.warning("agi.request_empty", peer=str(peer))
            return
        self.counts["requests"] += 1
        if self._on_request is not None:
            self._on_request(request, time.time())
        session = AgiSession(request, reader, writer, self._command_timeout)
        with structlog.contextvars.bound_contextvars(call_id=session.call_id):
            await self._run_script(session)

    async def _run_script(self, session: AgiSession) -> None:
        request = session.request
        handler = self.scripts.get(request.script)
        if handler is None:
            self.counts["unknown_script"] += 1
            log.warning("agi.unknown_script", script=request.script, channel=request.channel,
                        known=sorted(self.scripts))
            await self._finish(session, "UNKNOWN_SCRIPT")
            return
        try:
            await handler(session)
        except AgiHangup as exc:
            self.counts["hangup"] += 1
            log.info("agi.caller_hung_up", script=request.script, detail=exc.message)
            return
        except (AgiProtocolError, TimeoutError, ConnectionError, OSError) as exc:
            self.counts["failed"] += 1
            log.warning("agi.session_failed", script=request.script, error=repr(exc))
            return
        except Exception as exc:
            self.counts["failed"] += 1
            error_id = getattr(exc, "error_id", "")
            log.exception("agi.handler_failed", script=request.script, error_id=error_id)
            await self._finish(session, "FAILED")
            return
        self.counts["ok"] += 1

    async def _finish(self, session: AgiSession, status: str) -> None:
        """Tell the dialplan how the script ended; a dead channel needs no answer."""
        with contextlib.suppress(AgiHangup, AgiProtocolError, AgiCommandFailed, TimeoutError,
                                 ConnectionError, OSError):
            await session.set_variable(STATUS_VARIABLE, status)
