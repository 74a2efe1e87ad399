from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.store.db import MIGRATIONS, CallbackRequest, Store, StoreError


async def test_migrates_and_keeps_callback_requests(tmp_path: Path) -> None:
    path = tmp_path / "cc.sqlite3"
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)
    await store.add_callback(CallbackRequest("1.1", "13812345678", "12345", "12345政务服务便民热线",
                                             "q12345", "no agent", "2026-11-28T08:00:00Z"))
    await store.close()
    again = await Store.open(path)  # reopening applies nothing twice
    (row,) = await again.open_callbacks()
    assert row["caller"] == "13812345678" and row["queue"] == "q12345"
    await again.close()


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cc.sqlite3"
    store = await Store.open(path)
    await store._db.execute("INSERT INTO schema_version (version) VALUES (99)")
    await store._db.commit()
    await store.close()
    with pytest.raises(StoreError, match="newer than this engine knows"):
        await Store.open(path)


async def test_a_version_1_database_is_upgraded_with_its_data(tmp_path: Path) -> None:
    import aiosqlite

    path = tmp_path / "cc.sqlite3"
    async with aiosqlite.connect(path) as db:  # what the queues issue's engine left behind
        await db.executescript(
            "CREATE TABLE schema_version (version INTEGER);"
            f"BEGIN; {MIGRATIONS[0]} INSERT INTO schema_version VALUES (1); COMMIT;"
            "INSERT INTO callback_request (call_id, caller, dialed, hotline, queue, reason, "
            "requested_at) VALUES ('1.1', '13812345678', '12345', 'x', 'q12345', 'r', 't');")
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS) >= 2
    assert len(await store.open_callbacks()) == 1
    await store.close()


async def test_the_users_table_rebuilt_for_unit_users_keeps_users_and_their_sessions(
        tmp_path: Path) -> None:
    """Step 10 rebuilds ``users`` (a CHECK cannot change): the users, their ids and the web
    sessions that refer to them stay; a unit user needs its unit, others none."""
    import sqlite3

    from callcenter.store import db as store_db

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute("PRAGMA foreign_keys=ON")
    old.execute("CREATE TABLE schema_version (version INTEGER)")
    for version, sql in enumerate(store_db.MIGRATIONS[:9], start=1):
        old.executescript(f"BEGIN; {sql} INSERT INTO schema_version VALUES ({version}); COMMIT;")
    old.execute("INSERT INTO users (name, role, agent, password_hash, token_id, token_hash, "
                "created_at, changed_at) VALUES ('li', 'agent', '1001', 'h', 't', 'th', 'x', "
                "'x')")
    old.execute("INSERT INTO web_session (id_hash, user_id, csrf, address, created_at, "
                "expires_at) VALUES ('s', 1, 'c', '127.0.0.1', 'x', 'y')")
    old.commit()
    old.close()
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(store_db.MIGRATIONS)
        async with store.db.execute("SELECT users.name, users.id FROM web_session JOIN users "
                                    "ON users.id = web_session.user_id") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [("li", 1)]
        await store.db.execute(
            "INSERT INTO users (name, role, unit, password_hash, token_id, token_hash, "
            "created_at, changed_at) VALUES ('chen', 'unit', '城关区', 'h', 't2', 'th', 'x', 'x')")
        with pytest.raises(sqlite3.IntegrityError):
            await store.db.execute(
                "INSERT INTO users (name, role, password_hash, token_id, token_hash, "
                "created_at, changed_at) VALUES ('wu', 'unit', 'h', 't3', 'th', 'x', 'x')")
        async with store.db.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
    finally:
        await store.close()
