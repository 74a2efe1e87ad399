"""The embedded store (SQLite through aiosqlite, WAL), with a versioned schema.

Migrations are plain SQL, applied in order inside one transaction each and recorded in
``schema_version``; a database newer than the code is refused. A capability brings its own
tables as :class:`Migration` values (numbered per capability, recorded in
``capability_schema``), applied after these when the store opens. Full caller numbers are kept
here (and only here): the call log masks them.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from callcenter.errors import CallCenterError
from callcenter.private import close_up, private_file


class StoreError(CallCenterError):
    error_id = "CC800"


class NoSuchRow(StoreError):
    """No ticket (transfer, hand-off …) with that id; or the id is not an id at all."""

    error_id = "CC801"
    http_status = 404


ROW_ID_MAX = 2**63 - 1  # SQLite's largest INTEGER: a larger Python int cannot be bound


ROW_ID = re.compile(r"[1-9][0-9]{0,18}")  # ASCII only: int() also reads "１", "١", " 1", "01"


def row_id(text: str | int) -> int:
    """A row id given from outside (a URL, the command line) as SQLite can take it: a whole
    number from 1 to :data:`ROW_ID_MAX`, written as one (ASCII digits, no sign, space or
    leading zero — so the audit row shows the very id that was read); anything else is a
    :class:`StoreError`."""
    given = str(text) if isinstance(text, int) and not isinstance(text, bool) else text
    if not isinstance(given, str) or not ROW_ID.fullmatch(given) or int(given) > ROW_ID_MAX:
        shown = str(text) if len(str(text)) <= 40 else str(text)[:40] + "…"
        raise NoSuchRow(f"{shown!r} 不是编号（编号是 1 到 {ROW_ID_MAX} 的整数，只用阿拉伯数字）")
    return int(given)


MIGRATIONS: tuple[str, ...] = (
    # 1: callback requests (queues issue)
    """
    CREATE TABLE callback_request (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL,
        caller TEXT NOT NULL,
        dialed TEXT NOT NULL,
        hotline TEXT NOT NULL,
        queue TEXT NOT NULL,
        reason TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        done_at TEXT
    );
    CREATE INDEX callback_request_open ON callback_request (done_at, requested_at);
    """,
    # 2: tickets (工单) of answered calls, their transcripts (speech issue)
    """
    CREATE TABLE ticket (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL UNIQUE,
        caller TEXT NOT NULL,
        dialed TEXT NOT NULL,
        hotline TEXT NOT NULL,
        hotline_name TEXT NOT NULL,
        unit TEXT NOT NULL,
        queue TEXT NOT NULL,
        agent TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        closed_at TEXT,
        prefill TEXT NOT NULL DEFAULT '{}',
        confirmed TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX ticket_opened ON ticket (opened_at);
    CREATE TABLE utterance (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id INTEGER NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
        speaker TEXT NOT NULL CHECK (speaker IN ('caller', 'agent')),
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        text TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX utterance_ticket ON utterance (ticket_id, start_s);
    """,
    # 3: transfers of a call to sub-centers / expert seats, hand-offs (工单流转) to them
    """
    CREATE TABLE transfer (
        id TEXT PRIMARY KEY,
        ticket_id INTEGER REFERENCES ticket (id) ON DELETE SET NULL,
        call_id TEXT NOT NULL,
        agent TEXT NOT NULL,
        destination TEXT NOT NULL,
        destination_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('conference', 'attended', 'blind')),
        started_at TEXT NOT NULL,
        answered_at TEXT,
        completed_at TEXT,
        ended_at TEXT,
        outcome TEXT CHECK (outcome IN ('completed', 'failed', 'cancelled')),
        reason TEXT
    );
    CREATE INDEX transfer_ticket ON transfer (ticket_id);
    CREATE TABLE handoff (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        transfer_id TEXT NOT NULL REFERENCES transfer (id),
        ticket_id INTEGER REFERENCES ticket (id) ON DELETE SET NULL,
        destination TEXT NOT NULL,
        created_at TEXT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX handoff_destination ON handoff (destination, created_at);
    """,
    # 4: people who sign in (users with roles, web sessions) and the append-only audit trail
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
        agent TEXT,
        password_hash TEXT NOT NULL,
        token_id TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        revoked_at TEXT,
        CHECK ((role = 'agent') = (agent IS NOT NULL))
    );
    CREATE TABLE web_session (
        id_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        address TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX web_session_user ON web_session (user_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        role TEXT NOT NULL,
        via TEXT NOT NULL,
        address TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        result TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE INDEX audit_user ON audit (user, at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
    """,
    # 5: the knowledge base (知识库): articles of config/knowledge/, their words (FTS5 over
    # text jieba segmented: callcenter/knowledge/index.py), the fingerprint of the files
    # indexed, and the articles agents answered tickets from
    """
    CREATE TABLE knowledge_article (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        topic TEXT NOT NULL,
        hotlines TEXT NOT NULL,
        keywords TEXT NOT NULL,
        updated TEXT NOT NULL,
        sample INTEGER NOT NULL DEFAULT 0,
        body TEXT NOT NULL,
        file TEXT NOT NULL
    );
    CREATE VIRTUAL TABLE knowledge_fts USING fts5 (
        article UNINDEXED, title, keywords, topic, body, tokenize = 'unicode61'
    );
    CREATE TABLE knowledge_index (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        hash TEXT NOT NULL,
        indexed_at TEXT NOT NULL,
        articles INTEGER NOT NULL
    );
    CREATE TABLE knowledge_use (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id INTEGER NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
        article TEXT NOT NULL,
        title TEXT NOT NULL,
        agent TEXT NOT NULL,
        user TEXT NOT NULL,
        at TEXT NOT NULL,
        UNIQUE (ticket_id, article)
    );
    CREATE INDEX knowledge_use_article ON knowledge_use (article, at);
    """,
    # 6: the agent desktop: a caller's earlier tickets; callbacks worked by whom
    """
    CREATE INDEX ticket_caller ON ticket (caller, opened_at);
    ALTER TABLE callback_request ADD COLUMN done_by TEXT;
    """,
    # 7: the supervisor: pauses only a supervisor ends, kept over an engine restart
    """
    CREATE TABLE supervisor_pause (
        agent TEXT PRIMARY KEY,
        by_supervisor TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
    # 8: an audit row's id is never taken again (INSERT OR REPLACE deletes the old row
    # without firing the DELETE trigger); adding or resetting a user over the web waits for
    # a second admin (callcenter/users/requests.py)
    """
    CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
        WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
    CREATE TABLE user_request (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        action TEXT NOT NULL CHECK (action IN ('add', 'reset')),
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        agent TEXT NOT NULL DEFAULT '',
        requested_by TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        decision TEXT CHECK (decision IN ('approved', 'refused')),
        decided_by TEXT,
        decided_at TEXT
    );
    CREATE INDEX user_request_open ON user_request (decision, expires_at);
    """,
    # 9: the agent desktop: a callback request taken by one agent (who sees its number)
    """
    ALTER TABLE callback_request ADD COLUMN taken_by TEXT;
    ALTER TABLE callback_request ADD COLUMN taken_name TEXT;
    ALTER TABLE callback_request ADD COLUMN taken_at TEXT;
    """,
    # 10: users of a unit (承办单位) that handles tickets: the role, and which unit (the
    # table is rebuilt: SQLite cannot change a CHECK; foreign keys are off while it is)
    """
    CREATE TABLE users_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin', 'unit')),
        agent TEXT,
        unit TEXT,
        password_hash TEXT NOT NULL,
        token_id TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        revoked_at TEXT,
        CHECK ((role = 'agent') = (agent IS NOT NULL)),
        CHECK ((role = 'unit') = (unit IS NOT NULL))
    );
    INSERT INTO users_new (id, name, role, agent, password_hash, token_id, token_hash,
                           created_at, changed_at, revoked_at)
        SELECT id, name, role, agent, password_hash, token_id, token_hash, created_at,
               changed_at, revoked_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
    ALTER TABLE user_request ADD COLUMN unit TEXT NOT NULL DEFAULT '';
    """,
)


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of a capability's tables: ``version`` counts 1, 2, 3 … per capability."""

    capability: str
    version: int
    sql: str


CAPABILITY_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    call_id: str
    caller: str
    dialed: str
    hotline: str
    queue: str
    reason: str
    requested_at: str


class Store:
    def __init__(self, db: aiosqlite.Connection, path: Path | None = None) -> None:
        self._db = db
        self.path = path
        self._others: list[aiosqlite.Connection] = []  # own_connection's, closed with it

    @classmethod
    async def open(cls, path: Path, migrations: Collection[Migration] = ()) -> Store:
        # owner-only before SQLite opens it (its -wal and -shm take the database's mode)
        await asyncio.to_thread(private_file, path)
        # a write takes the write lock as its transaction begins (BEGIN IMMEDIATE, waiting
        # for another connection's step to end): a deferred one that could not get it later
        # was refused and left its transaction open on this shared connection, every read
        # after it stale and every write refused until something committed
        db = await aiosqlite.connect(path, isolation_level="IMMEDIATE")
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA foreign_keys=ON")
        for suffix in ("-wal", "-shm"):  # files an older version left more open
            await asyncio.to_thread(close_up, path.with_name(path.name + suffix))
        store = cls(db, path)
        try:
            await store._migrate()
            await store._migrate_capabilities(migrations)
        except BaseException:
            await db.close()
            raise
        return store

    @property
    def db(self) -> aiosqlite.Connection:
        return self._db

    async def own_connection(self) -> aiosqlite.Connection:
        """A connection of its own to the same database, for a part whose every change must
        be one transaction that nothing else on the shared connection can split (SQLite
        serialises the writers; this one waits up to 5 s for the others)."""
        if self.path is None:
            raise StoreError("this store has no file to connect to again")
        db = await aiosqlite.connect(self.path, isolation_level=None)
        self._others.append(db)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        return db

    async def close(self) -> None:
        """The store, and the connections handed out (a part that did not close its own)."""
        for other in self._others:
            await other.close()  # (closing again is nothing)
        await self._db.close()

    async def schema_version(self) -> int:
        await self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        async with self._db.execute("SELECT MAX(version) FROM schema_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row is not None and row[0] is not None else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise StoreError(f"the database has schema version {current}, newer than this "
                             f"engine knows ({len(MIGRATIONS)}): upgrade the engine")
        if current == len(MIGRATIONS):
            return
        # a step may rebuild a table others refer to: foreign keys are off meanwhile (they
        # cannot be switched inside a transaction) and checked before the step is kept
        await self._db.execute("PRAGMA foreign_keys=OFF")
        try:
            for version in range(current + 1, len(MIGRATIONS) + 1):
                await self._db.executescript(
                    f"BEGIN; {MIGRATIONS[version - 1]} "
                    f"INSERT INTO schema_version (version) VALUES ({version});")
                async with self._db.execute("PRAGMA foreign_key_check") as cursor:
                    broken = await cursor.fetchone()
                if broken is not None:
                    await self._db.rollback()
                    raise StoreError(f"schema step {version} left {broken[0]} rows without "
                                     f"their {broken[2]}: nothing changed")
                await self._db.commit()
        finally:
            await self._db.execute("PRAGMA foreign_keys=ON")

    async def capability_versions(self) -> dict[str, int]:
        await self._db.execute("CREATE TABLE IF NOT EXISTS capability_schema "
                               "(capability TEXT NOT NULL, version INTEGER NOT NULL, "
                               "PRIMARY KEY (capability, version))")
        async with self._db.execute("SELECT capability, MAX(version) FROM capability_schema "
                                    "GROUP BY capability") as cursor:
            return {str(row[0]): int(row[1]) async for row in cursor}

    async def _migrate_capabilities(self, migrations: Collection[Migration]) -> None:
        steps: dict[str, list[Migration]] = {}
        for step in migrations:
            if not CAPABILITY_NAME.fullmatch(step.capability):
                raise StoreError(f"a migration names no capability: {step.capability!r}")
            steps.setdefault(step.capability, []).append(step)
        current = await self.capability_versions()
        for name, ordered in steps.items():
            ordered.sort(key=lambda m: m.version)
            if [m.version for m in ordered] != list(range(1, len(ordered) + 1)):
                raise StoreError(f"{name}'s migrations are not numbered 1, 2, 3 …")
            if current.get(name, 0) > len(ordered):
                raise StoreError(f"the database has {name}'s tables at version "
                                 f"{current[name]}, newer than this engine knows "
                                 f"({len(ordered)}): upgrade the engine")
            for step in ordered[current.get(name, 0):]:
                try:
                    await self._db.executescript(
                        f"BEGIN; {step.sql} INSERT INTO capability_schema (capability, "
                        f"version) VALUES ('{name}', {step.version}); COMMIT;")
                except sqlite3.Error as exc:
                    if self._db.in_transaction:
                        await self._db.rollback()
                    raise StoreError(f"{name}'s migration {step.version} failed: "
                                     f"{exc}") from None

    async def add_callback(self, request: CallbackRequest) -> int:
        cursor = await self._db.execute(
            "INSERT INTO callback_request (call_id, caller, dialed, hotline, queue, reason, "
            "requested_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (request.call_id, request.caller, request.dialed, request.hotline, request.queue,
             request.reason, request.requested_at))
        await self._db.commit()
        return int(cursor.lastrowid or 0)

    async def callback_done(self, callback_id: int, at: str, by: str) -> bool:
        """Mark a callback request worked; False when there is none open with that id."""
        cursor = await self._db.execute(
            "UPDATE callback_request SET done_at = ?, done_by = ? WHERE id = ? "
            "AND done_at IS NULL", (at, by, callback_id))
        await self._db.commit()
        return cursor.rowcount == 1

    async def supervisor_pauses(self) -> dict[str, tuple[str, str]]:
        """agent → (supervisor, reason) of the pauses only a supervisor ends."""
        async with self._db.execute("SELECT * FROM supervisor_pause") as cursor:
            return {row["agent"]: (row["by_supervisor"], row["reason"])
                    for row in await cursor.fetchall()}

    async def keep_supervisor_pause(self, agent: str, held: tuple[str, str] | None,
                                    at: str) -> None:
        """Remember (``held``: supervisor, reason) or forget an agent's supervisor pause."""
        if held is None:
            await self._db.execute("DELETE FROM supervisor_pause WHERE agent = ?", (agent,))
        else:
            await self._db.execute(
                "INSERT OR REPLACE INTO supervisor_pause (agent, by_supervisor, reason, at) "
                "VALUES (?, ?, ?, ?)", (agent, *held, at))
        await self._db.commit()

    async def open_callbacks_per_queue(self) -> dict[str, int]:
        """How many callback requests wait, per queue."""
        async with self._db.execute(
                "SELECT queue, COUNT(*) AS waiting FROM callback_request "
                "WHERE done_at IS NULL GROUP BY queue") as cursor:
            return {str(row["queue"]): int(row["waiting"]) for row in await cursor.fetchall()}

    async def open_callbacks(self, queues: Collection[str] | None = None,
                             limit: int = -1) -> list[dict[str, Any]]:
        """The requests waiting, oldest first: of ``queues`` only (None: all), at most
        ``limit`` (-1: all)."""
        wanted = sorted(queues) if queues is not None else []
        among = f" AND queue IN ({', '.join('?' * len(wanted))})" if queues is not None else ""
        async with self._db.execute(
                f"SELECT * FROM callback_request WHERE done_at IS NULL{among} "
                "ORDER BY requested_at LIMIT ?", (*wanted, limit)) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    async def callback(self, callback_id: int) -> dict[str, Any] | None:
        async with self._db.execute("SELECT * FROM callback_request WHERE id = ?",
                                    (callback_id,)) as cursor:
            row = await cursor.fetchone()
        return dict(row) if row is not None else None
