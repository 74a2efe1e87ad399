"""A local control socket (unix, mode 0600, so only root opens it): one JSON request line
in — ``{"cmd": "agent.pause", "agent": "1001", "reason": "小休"}`` — one JSON line out. It is
a front door of the one command layer (:mod:`callcenter.commands`), like the HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import struct
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import structlog

from callcenter.actors import LOCAL, Actor
from callcenter.errors import (
    BadRequestBody,
    CallCenterError,
    UnknownCommand,
)
from callcenter.json_input import loads
from callcenter.private import private_dir

log = structlog.get_logger("control")

MAX_REQUEST = 64 * 1024


class CommandRunner(Protocol):
    @property
    def names(self) -> list[str]: ...

    async def run(self, name: str, args: Mapping[str, Any], actor: Actor = LOCAL) -> Any: ...


class ControlServer:
    def __init__(self, path: Path, commands: CommandRunner) -> None:
        self.path = path
        self.commands = commands
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        private_dir(self.path.parent)
        self.path.unlink(missing_ok=True)
        self._server = await asyncio.start_unix_server(self._serve, str(self.path),
                                                       limit=MAX_REQUEST)
        os.chmod(self.path, 0o600)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                line = await asyncio.wait_for(reader.readline(), 5)
            except ValueError:  # longer than the reader's limit (MAX_REQUEST)
                reply: dict[str, Any] = {
                    "ok": False, "error": f"request too long (at most {MAX_REQUEST} bytes)"}
            else:
                reply = await self._answer(line, _peer(writer))
            writer.write(json.dumps(reply, ensure_ascii=False, default=str).encode() + b"\n")
            await writer.drain()
        except (TimeoutError, ConnectionError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _answer(self, line: bytes, actor: Actor) -> dict[str, Any]:
        try:
            request = loads(line, "请求必须是含有 cmd 的 JSON 对象")
            name = str(request.pop("cmd"))
        except BadRequestBody as exc:
            return {"ok": False, "error": exc.message, "error_id": exc.error_id}
        except (KeyError, TypeError, AttributeError):
            return {"ok": False, "error": "请求必须是含有 cmd 的 JSON 对象"}
        try:
            result = await self.commands.run(name, request, actor)
        except UnknownCommand as exc:
            return {"ok": False, "error": exc.message, "error_id": exc.error_id,
                    "known": self.commands.names}
        except CallCenterError as exc:  # an expected refusal: say why, no traceback
            return {"ok": False, "error": exc.message, "error_id": exc.error_id}
        except Exception as exc:
            log.exception("control.command_failed", cmd=name)
            return {"ok": False, "error": str(exc)}
        return {"ok": True, "result": result}


def _peer(writer: asyncio.StreamWriter) -> Actor:
    """Root (only root can open the socket), with the process that asked, for the audit."""
    sock = writer.get_extra_info("socket")
    try:
        pid, uid, _gid = struct.unpack("3i", sock.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    except (OSError, AttributeError, struct.error):
        return LOCAL
    return replace(LOCAL, address=f"uid={uid} pid={pid}")
