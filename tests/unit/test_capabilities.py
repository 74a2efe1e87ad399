"""The engine loads its capabilities as declared (callcenter/capability.py): their event
handlers on the hub after the decision core, in the listed order; their commands in the one
command layer, none declared twice; their reload hooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from callcenter.agents.state import StateChange, SupervisorPause
from callcenter.ami import events as ev
from callcenter.app import Engine
from callcenter.calls.facts import QueueAbandoned
from callcenter.calls.state import CallEnded
from callcenter.capability import Capability, Context
from callcenter.config.loader import load_config
from callcenter.errors import EngineControlError
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.ports import TicketOpened
from callcenter.secrets import Secrets


def _engine(tmp_path: Path) -> Engine:
    directory = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", directory)
    return Engine(load_config(directory), Paths(tmp_path, tmp_path / "var"),
                  Secrets(ami_secret="x"))


def test_the_engine_wires_what_its_capabilities_declare(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    subscribers = list(dict.fromkeys(engine.hub.subscribers))  # in order, each once
    assert subscribers == ["core", "tickets", "ticketflow", "transfers", "desktop",
                           "wallboard", "monitoring", "outbound", "engine"]
    # the domain's events reach those who asked for them — never the core that publishes
    # them (it heard every event once: an agent's state change fed back into the agent desk
    # re-ran its timers within their own publishing, without end)
    assert engine.hub.listeners(StateChange) == ["desktop", "wallboard"]
    # today's figures from the facts the core publishes, not from the call log's lines
    assert engine.hub.listeners(QueueAbandoned) == ["wallboard"]
    assert engine.hub.listeners(CallEnded) == ["tickets", "outbound"]
    assert engine.hub.listeners(SupervisorPause) == ["wallboard", "engine"]
    assert engine.hub.listeners(TicketOpened) == ["ticketflow", "desktop"]
    assert "core" in engine.hub.listeners(ev.AgentConnect)
    declared = {name for c in engine.capabilities for name in c.commands}
    assert declared <= set(engine.commands.names)
    assert {"wallboard.get", "monitor.start", "knowledge.search", "user.add",
            "callback.take", "callback.tasks"} <= declared
    assert len(engine.reconfigurable) == len([c for c in engine.capabilities if c.reconfigure])


def test_two_capabilities_may_not_declare_one_command(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from callcenter.knowledge import plugin

    real = plugin.load

    def twice(context: Context) -> Capability:
        found = real(context)
        return Capability(found.name, commands={**found.commands,
                                                "wallboard.get": found.commands["knowledge.get"]})

    monkeypatch.setattr(plugin, "load", twice)
    with pytest.raises(EngineControlError, match=r"wallboard\.get"):
        _engine(tmp_path)
