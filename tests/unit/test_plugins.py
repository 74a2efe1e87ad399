"""A capability is added by writing a plug-in, not by editing the engine: a plug-in the engine
has never heard of is loaded with its events, commands, tables, store hook, status section and
timer; capabilities reach one another through ports and hub events only."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from callcenter.actors import LOCAL, Actor
from callcenter.agents.state import StateChange
from callcenter.ami import events as ev
from callcenter.app import Engine
from callcenter.arguments import NoArguments
from callcenter.calls.state import CallEnded, LiveCall
from callcenter.capability import Capability, Context, Parts
from callcenter.commands import command
from callcenter.config.loader import load_config
from callcenter.errors import EngineControlError
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.plugins import PLUGINS
from callcenter.ports import AGENT_NOTICES, TICKETS, Port, TicketOpened
from callcenter.secrets import Secrets
from callcenter.store.db import Migration, Store, StoreError
from callcenter.tickets.desk import TicketDesk
from callcenter.tickets.live import AgentBus

NOTES = Migration("notes", 1, "CREATE TABLE note (call_id TEXT PRIMARY KEY, ended_at REAL);")


class NotesPlugin:
    """A capability the engine does not know: it notes every call that ends."""

    def __init__(self) -> None:
        self.ended: list[str] = []
        self.ticks: list[float] = []
        self.store: Store | None = None
        self.tickets_seen: object = None

    def load(self, context: Context) -> Capability:
        def ended(event: CallEnded, _ts: float) -> None:
            self.ended.append(event.call.call_id)

        @command(NoArguments)
        async def count(_args: NoArguments, _actor: Actor) -> Any:
            return {"ended": len(self.ended)}

        async def opened(store: Store) -> None:
            self.store = store
            found = context.parts.find(TICKETS)  # every plug-in is loaded by now
            self.tickets_seen = found

        return Capability("notes", events=[(ended, (CallEnded,))],
                          commands={"notes.count": count}, migrations=[NOTES],
                          opened=opened, tick=self.ticks.append,
                          snapshot=lambda: {"notes": {"ended": len(self.ended)}})


def _config(tmp_path: Path) -> Any:
    directory = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", directory)
    return load_config(directory)


async def test_a_plugin_the_engine_never_heard_of(tmp_path: Path) -> None:
    notes = NotesPlugin()
    engine = Engine(_config(tmp_path), Paths(tmp_path, tmp_path / "var"),
                    Secrets(ami_secret="x"), plugins=(*PLUGINS, notes))
    store = await engine.open_store()
    try:
        assert notes.store is store and notes.tickets_seen is engine.part(TicketDesk)
        async with store.db.execute("SELECT COUNT(*) FROM note") as cursor:
            assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
        assert (await store.capability_versions())["notes"] == 1
        call = LiveCall("1.1", 0.0, "12345", "13812345678")
        engine.hub.publish(CallEnded(call, 5.0, 16, "Normal Clearing", "hangup"), 5.0)
        assert notes.ended == ["1.1"]
        assert await engine.commands.run("notes.count", {}, LOCAL) == {"ended": 1}
        assert engine.snapshot()["notes"] == {"ended": 1}
        assert "notes" in engine.hub.subscribers
    finally:
        await store.close()
        engine.call_log.close()


async def test_capabilities_tell_one_another_through_the_hub(tmp_path: Path) -> None:
    """The ticket desk's TicketOpened reaches the agent's desktop; an agent's state change
    published by the agent desk too — no capability holds another's callback."""
    engine = Engine(_config(tmp_path), Paths(tmp_path, tmp_path / "var"),
                    Secrets(ami_secret="x"))
    try:
        bus = engine.part(AgentBus)
        assert engine.parts.get(AGENT_NOTICES) is bus
        heard = bus.subscribe("1001")
        engine.hub.publish(TicketOpened("1001", "1.1", 42), 1.0)
        assert heard.get_nowait() == {"type": "ticket", "call_id": "1.1", "ticket": 42}
        before = engine.agent_desk.board.status("1001").state(1.0)
        engine.hub.publish(StateChange("1001", before, before), 2.0)
        assert heard.get_nowait()["type"] == "state"
        # AgentConnect is read once, by the call tracker: the desktop hears AgentAnswered
        engine.hub.publish(ev.Newchannel("PJSIP/carrier-1", "1.1", "1.1",
                                         ev.ChannelState.RING, "13812345678", "", "12345",
                                         "from-carrier"), 3.0)
        engine.hub.publish(ev.AgentConnect("PJSIP/carrier-1", "1.1", "1.1", "q12345",
                                           "PJSIP/agent-1001-web", "1001",
                                           "PJSIP/agent-1001-web-1", 2, 1), 5.0)
        told = [heard.get_nowait() for _ in range(heard.qsize())]
        [card] = [t["call"] for t in told if t["type"] == "answered"]
        assert (card["call_id"], card["queue"], card["waited_s"]) == ("1.1", "q12345", 2.0)
        assert "13812345678" not in str(told)
        assert engine.hub.listeners(ev.AgentConnect) == ["core", "transfers", "monitoring"]
    finally:
        engine.call_log.close()


def test_parts_one_provider_per_port() -> None:
    parts = Parts()
    port: Port[object] = Port("a port")
    part = object()
    assert parts.find(port) is None
    with pytest.raises(EngineControlError, match="no capability provides a port"):
        parts.get(port)
    assert parts.provide(part, port) is part
    assert parts.get(port) is part and parts.get(object) is part
    with pytest.raises(EngineControlError, match="two capabilities provide a port"):
        Parts().provide(part, port, port)


async def test_capability_tables_migrate_once_in_order(tmp_path: Path) -> None:
    path = tmp_path / "cc.sqlite3"
    store = await Store.open(path, [NOTES])
    await store.db.execute("INSERT INTO note VALUES ('1.1', 1.0)")
    await store.db.commit()
    await store.close()
    more = Migration("notes", 2, "ALTER TABLE note ADD COLUMN unit TEXT;")
    store = await Store.open(path, [more, NOTES])  # given in any order, applied by number
    try:
        assert (await store.capability_versions())["notes"] == 2
        async with store.db.execute("SELECT call_id, unit FROM note") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [("1.1", None)]
    finally:
        await store.close()
    with pytest.raises(StoreError, match="newer than this engine knows"):
        await Store.open(path, [NOTES])
    with pytest.raises(StoreError, match="not numbered"):
        await Store.open(path, [NOTES, Migration("notes", 3, "SELECT 1;")])
    with pytest.raises(StoreError, match="names no capability"):
        await Store.open(path, [Migration("x'); DROP TABLE note; --", 1, "SELECT 1;")])


async def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cc.sqlite3"
    bad = Migration("notes", 1, "CREATE TABLE half (a TEXT); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(StoreError, match="notes's migration 1 failed"):
        await Store.open(path, [bad])
    db = sqlite3.connect(path)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        assert "half" not in tables
        assert db.execute("SELECT COUNT(*) FROM capability_schema").fetchone() == (0,)
    finally:
        db.close()
