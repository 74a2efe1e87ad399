"""The engine's status (`GET /api/status`, `run.py status`: admins and supervisors, not
audited) never shows a caller's full number, even when the call log is set to keep them
(``privacy.log_full_numbers``)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from callcenter.app import Engine
from callcenter.calls.state import LiveCall
from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.secrets import load_secrets


def test_the_status_masks_callers_whatever_the_call_log_keeps(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    engine_yaml = config_dir / "engine.yaml"
    engine_yaml.write_text(engine_yaml.read_text()
                           .replace("log_full_numbers: false", "log_full_numbers: true")
                           .replace("call_log: var/log/calls.jsonl",
                                    f"call_log: {tmp_path / 'calls.jsonl'}"))
    config = load_config(config_dir)
    assert config.engine.privacy.log_full_numbers
    paths = Paths(PROJECT_ROOT, tmp_path / "var")
    engine = Engine(config, paths, load_secrets(paths.secrets, config.sip_endpoints))
    try:
        engine.tracker.calls["1.1"] = LiveCall("1.1", time.time(), "12345", "13812345678")
        (call,) = engine.snapshot()["calls"]
        assert call["caller"] == "138****5678"
    finally:
        engine.call_log.close()
