"""Files that hold citizens' data are the owner's alone: created 0600 in 0700 directories;
one left more open is closed up, with a log line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from structlog.testing import capture_logs

from callcenter.calllog.writer import CallLog
from callcenter.private import write_private
from callcenter.secrets import load_secrets
from callcenter.store.db import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_database_and_its_wal_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # as a shell's default would leave it
    try:
        database = tmp_path / "data" / "cc.sqlite3"
        store = await Store.open(database)
        await store.db.execute("CREATE TABLE IF NOT EXISTS t (x)")
        await store.db.execute("INSERT INTO t VALUES (1)")
        await store.db.commit()
        assert mode(database) == 0o600 and mode(database.parent) == 0o700
        wal = database.with_name(database.name + "-wal")
        assert wal.exists() and mode(wal) == 0o600
        await store.close()
    finally:
        os.umask(old)


async def test_an_existing_database_left_open_is_closed_up(tmp_path: Path) -> None:
    database = tmp_path / "cc.sqlite3"
    database.touch()
    database.chmod(0o644)
    with capture_logs() as logs:
        store = await Store.open(database)
        await store.close()
    assert mode(database) == 0o600
    (fixed,) = [e for e in logs if e["event"] == "privacy.mode_fixed"]
    assert fixed["was"] == "0o644" and fixed["path"] == str(database)


def test_the_call_log_is_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "log" / "calls.jsonl"
        log = CallLog(path)
        log.record("ami.frame", 1.0, "frame", {"Event": "x"})
        log.close()
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
    finally:
        os.umask(old)


def test_secrets_are_written_whole_and_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.yaml"
    secrets = load_secrets(path, ["agent-1001"])
    assert mode(path) == 0o600 and secrets.sip_passwords["agent-1001"] in path.read_text()
    assert not list(path.parent.glob(".*tmp"))  # no temporary left behind
    path.chmod(0o644)
    with capture_logs() as logs:
        assert load_secrets(path, ["agent-1001"]) == secrets
    assert mode(path) == 0o600 and [e["event"] for e in logs] == ["privacy.mode_fixed"]


def test_a_private_write_replaces_the_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new")
    assert path.read_text() == "new" and mode(path) == 0o600


def test_a_calls_kept_audio_is_owner_only_and_whole(tmp_path: Path) -> None:
    """lab.keep_forked_audio keeps callers' voices: 0600 in a 0700 directory, and there
    only once written whole (a test waits for it to exist, then reads it)."""
    import wave

    from callcenter.asr.transcriber import _write_kept

    old = os.umask(0o022)
    try:
        path = tmp_path / "kept" / "1.1-caller.wav"
        _write_kept(path, b"\x01\x00" * 8000)
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
        assert [p.name for p in path.parent.iterdir()] == ["1.1-caller.wav"]
        with wave.open(str(path)) as kept:
            assert (kept.getframerate(), kept.getnframes()) == (8000, 8000)
    finally:
        os.umask(old)


def test_what_is_not_ours_to_close_up_is_left_as_it_is(tmp_path: Path) -> None:
    """A bench once pointed the call log at /dev/null: /dev became 0700 and /dev/null 0600
    (for every user of the machine). A path that is not a regular file is refused before
    its directory is touched; a shared directory (sticky or world-writable, like /tmp)
    keeps its mode while the file in it is made owner-only."""
    import pytest

    from callcenter.private import NotAPrivateFile, private_file

    devices = tmp_path / "devices"
    devices.mkdir(mode=0o755)
    devices.chmod(0o755)
    fifo = devices / "null"
    os.mkfifo(fifo, 0o666)
    fifo.chmod(0o666)
    with pytest.raises(NotAPrivateFile, match="not a regular file"):
        private_file(fifo)
    assert mode(devices) == 0o755 and mode(fifo) == 0o666
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    kept = private_file(shared / "calls.jsonl")
    assert mode(kept) == 0o600 and stat.S_IMODE(shared.stat().st_mode) == 0o1777
