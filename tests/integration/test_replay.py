"""A session recorded from the real Asterisk (routing, queues, a menu, overflow, abandonment,
a sub-center fallback) replays with zero divergences; an edited decision is caught."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from callcenter.app import Engine
from callcenter.config.loader import agent_endpoint, config_hash
from callcenter.paths import PROJECT_ROOT
from callcenter.replay.runner import Replayer
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone, SoftphoneSettings
from tests.integration.conftest import UNREGISTERED_SUBCENTER, Lab

CALLS = [
    CallSpec("12345", "13722221201"),  # greeting, q12345, answered
    CallSpec("12396", "13722221202"),  # merged: announcement, q12345, hangs up waiting
    CallSpec("12333", "13722221203"),  # dual with a menu (lab): timeout → q12333 → overflow
    CallSpec(UNREGISTERED_SUBCENTER, "13722221204"),  # sub-center with no seat → q12345
]


def session_slice(lab: Lab, target: Path) -> Path:
    """This test's part of the lab call log: from its engine's start on."""
    lines = lab.call_log.read_text().splitlines(keepends=True)
    start = max(i for i, line in enumerate(lines)
                if json.loads(line)["event"] == "engine.started")
    target.write_text("".join(lines[start:]))
    return target


async def test_recorded_session_replays_without_divergence(
        lab: Lab, engine: Engine, agents_waiting: None, tmp_path: Path) -> None:
    endpoint = agent_endpoint("1001")
    phone = Softphone(SoftphoneSettings(endpoint, lab.secrets.sip_passwords[endpoint],
                                        sip_port=5072, rtp_low=30800, rtp_high=30900,
                                        answer_delay_s=0.5, talk_s=6.0))
    await asyncio.to_thread(phone.start)
    try:
        await engine.agent_desk.login("1001")
        holds = [16000, 11000, 40000, 30000]
        await asyncio.gather(*(
            place_calls([spec], hold_ms=hold, local_port=5090 + 10 + i,
                        media_port=18000 + 100 * i)
            for i, (spec, hold) in enumerate(zip(CALLS, holds, strict=True))))
        await engine.agent_desk.logout("1001")
    finally:
        await asyncio.to_thread(phone.stop)
    await asyncio.sleep(1.0)  # the last hang-ups reach the log
    log = session_slice(lab, tmp_path / "session.jsonl")
    recorded = [json.loads(line) for line in log.read_text().splitlines()]
    names = {r["event"] for r in recorded}
    assert {"queue.answered", "queue.abandoned", "queue.overflowed", "menu.timeout"} <= names
    assert {r.get("mode") for r in recorded if r["event"] == "call.routed"} >= {
        "main", "merged", "dual", "subcenter"}

    result = await Replayer(lab.config, config_hash(lab.config.directory)).run_file(log)
    assert result.bad_lines == [] and result.config_warning == ""
    assert [d.describe() for d in result.divergences] == []
    # ~39 decisions for these 4 calls (the engine's speech forks no longer count as calls)
    assert result.calls >= len(CALLS) and result.recorded_decisions == \
        result.replayed_decisions >= 35

    # a decision edited in a copy: the replay says where, and exits non-zero
    edited = tmp_path / "edited.jsonl"
    lines = log.read_text().splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record["event"] == "call.routed" and record.get("mode") == "merged":
            record["target"] = "q12315"
            lines[i] = json.dumps(record, ensure_ascii=False)
            changed = i + 1
            break
    edited.write_text("\n".join(lines) + "\n")
    cli = await asyncio.create_subprocess_exec(
        sys.executable, str(PROJECT_ROOT / "run.py"), "--config", str(lab.config.directory),
        "replay", str(edited), "--max", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out = (await cli.communicate())[0].decode()
    assert cli.returncode == 1, out
    assert f"line {changed}:" in out and "call.routed" in out and "divergences 1;" in out
