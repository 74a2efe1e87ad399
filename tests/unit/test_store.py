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
