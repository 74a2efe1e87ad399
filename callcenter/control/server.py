"""A local control socket (unix, mode 0600): one JSON request line in, one JSON line out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import structlog

from callcenter.errors import CallCenterError, EngineControlError

log = structlog.get_logger("control")

Command = Callable[[Mapping[str, Any]], Any]
MAX_REQUEST = 64 * 1024


class ControlServer:
    def __init__(self, path: Path, commands: Mapping[str, Command]) -> None:
        self.path = path
        self.commands = dict(commands)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        self._server = await asyncio.start_unix_server(self._serve, str(self.path))
        os.chmod(self.path, 0o600)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
            reply = await self._answer(line[:MAX_REQUEST])
            writer.write(json.dumps(reply, ensure_ascii=False, default=str).encode() + b"\n")
            await writer.drain()
        except (TimeoutError, ConnectionError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            name = str(request["cmd"])
        except (ValueError, KeyError, TypeError):
            return {"ok": False, "error": "request must be a JSON object with 'cmd'"}
        command = self.commands.get(name)
        if command is None:
            return {"ok": False, "error": f"unknown command {name!r}",
                    "known": sorted(self.commands)}
        try:
            result = command(request)
            if asyncio.iscoroutine(result):
                result = await result
        except CallCenterError as exc:  # an expected refusal: say why, no traceback
            return {"ok": False, "error": exc.message, "error_id": exc.error_id}
        except Exception as exc:
            log.exception("control.command_failed", cmd=name)
            return {"ok": False, "error": str(exc)}
        return {"ok": True, "result": result}


def query(path: Path, cmd: str, timeout: float = 5.0, **args: Any) -> Any:
    """Ask the running engine; raises EngineControlError when it is not there."""
    if not path.exists():
        raise EngineControlError("the engine is not running (no control socket)")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(json.dumps({"cmd": cmd, **args}).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        raise EngineControlError(f"the engine does not answer: {exc}") from None
    try:
        reply = json.loads(data)
    except ValueError:
        raise EngineControlError("the engine sent an unreadable answer") from None
    if not reply.get("ok"):
        raise EngineControlError(str(reply.get("error")))
    return reply["result"]
