"""Asterisk's own logs stay modest: notices, warnings and errors, nothing of what it does on
calls (its verbose output names callers' numbers) unless an operator raises the verbosity,
no queue_log (it names every caller), and the log file is turned over at each start."""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from pathlib import Path

import pytest

from callcenter.config.loader import load_config
from callcenter.errors import AsteriskProcessError
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.pbx import asterisk_log
from callcenter.pbx.confgen import render
from callcenter.secrets import Secrets
from tests.asterisk_conf import ConfFile, parse

# what operators need: "verbose" (no level) follows the core verbosity, 0 (asterisk.conf)
ALLOWED = {"notice", "warning", "error", "verbose"}


def _rendered(lab: bool = False) -> dict[str, ConfFile]:
    config = load_config(PROJECT_ROOT / "config")
    if lab:
        engine = config.engine.model_copy(update={"lab": config.engine.lab.model_copy(
            update={"test_extensions": True})})
        config = dataclasses.replace(config, engine=engine)
    secrets = Secrets("ami-secret", {name: f"pw-{name}" for name in config.sip_endpoints})
    files = render(config, secrets, Paths(PROJECT_ROOT, PROJECT_ROOT / "var"), date(2026, 11, 28))
    return {f.name: parse(f.text) for f in files}


def test_asterisk_logs_what_operators_need_and_no_calls() -> None:
    files = _rendered()
    logger = files["logger.conf"]
    channels = {e.key: e.value for e in logger.section("logfiles").entries}
    assert set(channels) == {"console", *asterisk_log.LOGS}
    for channel, value in channels.items():
        levels = {level.strip().lower() for level in value.split(",")}
        # a fixed level, verbose(3), would write every dialplan step whatever asterisk.conf
        # says; "*", debug and dtmf (the digits callers key in) are not for a file either
        assert levels <= ALLOWED, (channel, levels - ALLOWED)
        assert {"notice", "warning", "error"} <= levels, channel
    general = logger.section("general")
    assert general.value("queue_log") == "no"
    assert general.value("rotatestrategy") == "none"  # asterisk_log turns it over
    options = files["asterisk.conf"].section("options")
    assert (options.value("verbose"), options.value("debug")) == ("0", "0")


def test_only_the_lab_writes_what_happens_on_calls() -> None:
    """Tests read what callers hear from Asterisk's verbose lines: the lab's Asterisk (lab
    test_extensions, tests only) writes them at level 3; nothing else changes."""
    shipped, lab = _rendered()["logger.conf"], _rendered(lab=True)["logger.conf"]
    assert lab.section("logfiles").value("messages.log") == \
        "notice,warning,error,verbose(3)"
    assert lab.section("logfiles").value("console") == \
        shipped.section("logfiles").value("console")
    assert lab.section("general").entries == shipped.section("general").entries


def test_the_boot_reads_a_stasis_conf() -> None:
    stasis = _rendered()["stasis.conf"]
    assert stasis.sections == [] and stasis.invalid is None  # Stasis's own defaults


def test_the_log_is_turned_over_keeping_the_run_before(tmp_path: Path) -> None:
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "messages.log").write_text("run 1\n")
    (logs / "messages.log.1").write_text("run 0\n")
    assert asterisk_log.turn_over(logs) == ["messages.log"]
    assert sorted(p.name for p in logs.iterdir()) == ["messages.log.1"]
    assert (logs / "messages.log.1").read_text() == "run 1\n"
    (logs / "messages.log").write_text("")  # a run that said nothing: the one before stays
    assert asterisk_log.turn_over(logs) == []
    assert (logs / "messages.log.1").read_text() == "run 1\n"
    assert asterisk_log.turn_over(tmp_path / "missing") == []


def test_turning_over_follows_no_link(tmp_path: Path) -> None:
    """Asterisk can write in its log directory: a link it left there leads nowhere."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "messages.log").write_text("not Asterisk's")
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "messages.log").symlink_to(elsewhere / "messages.log")
    with pytest.raises(AsteriskProcessError, match="not a file"):
        asterisk_log.turn_over(logs)
    os.unlink(logs / "messages.log")
    (logs / "messages.log").write_text("run 1\n")
    (logs / "messages.log.1").symlink_to(elsewhere / "messages.log")
    assert asterisk_log.turn_over(logs) == ["messages.log"]
    assert (elsewhere / "messages.log").read_text() == "not Asterisk's"  # the link replaced
    assert not (logs / "messages.log.1").is_symlink()
    linked_dir = tmp_path / "linked"
    linked_dir.symlink_to(elsewhere)
    with pytest.raises(AsteriskProcessError, match="cannot open"):
        asterisk_log.turn_over(linked_dir)
