"""The store's shared connection beside a connection of its own (the ticket loop's steps):
a write the shared connection could not make (another connection committed while a read of
its own was still open) is refused alone — it leaves no transaction open behind it, so the
reads after it see what was committed since and the writes after it go through (it left one
open before: every read after it stale, every write after it refused, a page's audit row a
500, until something happened to commit)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from callcenter.actors import LOCAL
from callcenter.audit import AuditEntry, AuditTrail
from callcenter.store.db import Store


async def test_a_refused_write_leaves_no_transaction_open(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "cc.sqlite3")
    own = await store.own_connection()
    try:
        await store.db.executescript("CREATE TABLE mine (x); CREATE TABLE theirs (y); "
                                     "INSERT INTO theirs VALUES (0), (0);")
        reading = await store.db.execute("SELECT y FROM theirs")  # a read still going on
        assert await reading.fetchone() is not None
        await own.execute("BEGIN IMMEDIATE")
        await own.execute("INSERT INTO theirs VALUES (1)")
        await own.execute("COMMIT")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await store.db.execute("INSERT INTO mine VALUES (1)")  # its snapshot is stale
        await reading.close()
        assert not store.db.in_transaction
        await own.execute("INSERT INTO theirs VALUES (2)")
        async with store.db.execute("SELECT COUNT(*) FROM theirs") as cursor:
            assert tuple(await cursor.fetchone() or ()) == (4,)  # both of own's rows
        await store.db.execute("INSERT INTO mine VALUES (2)")
        await store.db.commit()
        async with own.execute("SELECT x FROM mine") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [(2,)]
    finally:
        await store.close()


async def test_an_audit_row_waits_for_a_read_going_on(tmp_path: Path) -> None:
    """A step of the ticket loop commits on its own connection, then its audit row goes in
    on the shared one, where a page's read (begun before the step) may still be going on: the
    row waits for it rather than failing the step's answer with a 500."""
    store = await Store.open(tmp_path / "cc.sqlite3")
    own = await store.own_connection()
    trail = AuditTrail(store)
    try:
        for n in (1, 2):
            await trail.record(AuditEntry.of(LOCAL, f"2026-12-07T09:00:0{n}+00:00", "status",
                                             "", "ok"))
        reading = await store.db.execute("SELECT * FROM audit")  # a read still going on
        assert await reading.fetchone() is not None
        await own.execute("CREATE TABLE theirs (y)")  # another connection's commit
        writing = asyncio.create_task(trail.record(AuditEntry.of(
            LOCAL, "2026-12-07T10:00:00+00:00", "ticket.extend", "ticket 5", "ok")))
        await asyncio.sleep(0.05)  # refused at least once meanwhile
        assert not writing.done()
        await reading.close()
        await writing
        assert [(r["action"], r["result"]) for r in await trail.rows()] == [
            ("status", "ok"), ("status", "ok"), ("ticket.extend", "ok")]
    finally:
        await store.close()
