"""The control socket's client: the server's command line asks the running engine
(callcenter/control/server.py) one command and reads its one answer."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from callcenter.errors import EngineControlError


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
