"""``python run.py demo``: Asterisk and the engine up, real SIP calls in, what the engine saw.

Backbone stage: calls to 12345 and a few of the merged, dual and sub-center numbers arrive
through the carrier trunk, are greeted and held; the engine logs them (masked numbers), the
live-call table shows them while they are up, and a summary is printed from the call log.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from agents.sipp import CallSpec, place_calls
from callcenter.app import Engine
from callcenter.config.loader import Config
from callcenter.paths import Paths
from callcenter.pbx.control import AsteriskControl
from callcenter.secrets import load_secrets

console = Console()

DEMO_NUMBERS = ("12345", "12396", "12315", "09318929999", "12366", "12333", "12345", "8929999")


def demo_calls(count: int) -> list[CallSpec]:
    return [CallSpec(DEMO_NUMBERS[i % len(DEMO_NUMBERS)], f"1380000{1000 + i:04d}")
            for i in range(count)]


def _live_table(snapshot: dict[str, Any]) -> Table:
    table = Table(title=f"live calls seen by the engine ({len(snapshot['calls'])})")
    for column in ("call id", "dialed", "caller", "state", "age s"):
        table.add_column(column)
    for c in snapshot["calls"]:
        table.add_row(c["call_id"], c["dialed"], c["caller"], c["state"], str(c["age_s"]))
    return table


def _summary(log_path: Path, since: str) -> Table:
    calls: dict[str, dict[str, Any]] = {}
    with log_path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["ts"] < since or not record["event"].startswith("call."):
                continue
            call = calls.setdefault(record["call_id"], {})
            call[record["event"]] = record
    table = Table(title="what the engine logged (var/log/calls.jsonl)")
    for column in ("call id", "dialed", "caller", "entry (FastAGI)", "answered", "ended",
                   "duration s"):
        table.add_column(column)
    for call_id, events in sorted(calls.items()):
        started = events.get("call.started", {})
        ended = events.get("call.ended", {})
        table.add_row(call_id, started.get("dialed", "?"), started.get("caller", "?"),
                      "yes" if "call.entry" in events else "no",
                      "yes" if "call.answered" in events else "no",
                      ended.get("reason", "-"), str(ended.get("duration_s", "-")))
    return table


async def _run(config: Config, paths: Paths, calls: int) -> int:
    engine = Engine(config, paths, load_secrets(paths.secrets), console=sys.stdout)
    engine_task = asyncio.create_task(engine.run(handle_signals=False))
    try:
        await engine.ami.wait_connected(15)
    except TimeoutError:
        console.print("[red]the engine could not connect to Asterisk's AMI[/red]")
        engine.stop()
        await engine_task
        return 1
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    specs = demo_calls(calls)
    console.rule(f"placing {len(specs)} calls through the carrier trunk (sipp)")
    sipp = asyncio.create_task(place_calls(specs, hold_ms=5000, rate=2))
    await asyncio.sleep(min(3.5, len(specs) / 2))
    console.print(_live_table(engine.snapshot()))
    result = await sipp
    await asyncio.sleep(0.5)
    engine.stop()
    await engine_task
    console.rule("summary")
    console.print(_summary(paths.resolve(config.engine.paths.call_log), since))
    console.print(f"sipp: {result.successful} calls completed, {result.failed} failed")
    return 0 if result.failed == 0 and result.successful == len(specs) else 1


def run_demo(config: Config, paths: Paths, calls: int = 6) -> int:
    control = AsteriskControl(paths, config, load_secrets(paths.secrets, config.sip_endpoints))
    was_up = control.pid() is not None
    console.print(control.up())
    try:
        return asyncio.run(_run(config, paths, calls))
    finally:
        if not was_up:
            console.print(control.down())
