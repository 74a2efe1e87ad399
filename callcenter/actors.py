"""Who runs a command, and through which front door: every command carries it, so that role
checks and the audit trail can sit in one place (the command layer)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """Who runs a command, and through which door (``control``: the local socket, which only
    root can open; ``http``: the API)."""

    name: str
    via: str
    address: str = ""


LOCAL = Actor("root", "control")
