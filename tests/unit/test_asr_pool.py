from __future__ import annotations

from pathlib import Path

import pytest
import structlog

from callcenter.asr.pool import AsrPool
from callcenter.config.models import AsrSettings


async def test_missing_model_leaves_calls_alone_and_says_so_once(tmp_path: Path) -> None:
    pool = AsrPool(AsrSettings(), tmp_path / "no-model")
    with structlog.testing.capture_logs() as logs:
        assert not await pool.start()
        assert pool.open_stream("1.1/caller", lambda _r: None) is None
        assert pool.open_stream("1.2/caller", lambda _r: None) is None
    (line,) = logs
    assert line["event"] == "asr.unavailable" and "does not exist" in line["reason"]
    await pool.close()


async def test_broken_model_directory(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"not a model")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--sample-frequency=16000\n")
    (tmp_path / "conf" / "model.conf").write_text("")
    pool = AsrPool(AsrSettings(), tmp_path)
    with structlog.testing.capture_logs() as logs:
        assert not await pool.start()
    assert "graph/ holds neither" in logs[0]["reason"]
    await pool.close()


def test_capacity_from_cpus_or_setting() -> None:
    assert AsrPool(AsrSettings(max_streams=3), Path("x")).capacity == 3
    assert AsrPool(AsrSettings(), Path("x")).capacity >= 3


def test_models_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from callcenter.cli import main

    assert main(["models", "check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}: am/final.mdl is missing" in err
    assert "graph/ holds neither HCLG.fst nor HCLr.fst + Gr.fst" in err
    assert main(["models", "fetch", "zh-tiny"]) == 2


def test_a_stream_that_falls_behind_keeps_a_bounded_backlog() -> None:
    from typing import Any, cast

    from structlog.testing import capture_logs

    from callcenter.asr.pool import MAX_BACKLOG_BYTES, AsrStream

    stream = AsrStream(cast(Any, None), "9.1/caller", lambda _result: None)
    frame = b"\x00\x01" * 160  # 20 ms
    with capture_logs() as logs:
        for _ in range(50 * 60):  # a minute of audio that nobody decodes
            stream.feed(frame)
    assert stream._pending_bytes <= MAX_BACKLOG_BYTES
    assert 44 <= stream.dropped_s <= 46
    assert [e["event"] for e in logs] == ["asr.backlog_dropped"]  # said once
