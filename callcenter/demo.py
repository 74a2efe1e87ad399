"""``python run.py demo``: Asterisk and the engine up, real SIP calls in, what the engine did.

Calls to 12345 and to merged, dual and sub-center numbers (and a landline dialed without its
area code, and a number not in the catalogue) arrive through the carrier trunk. The engine
routes each by the number dialed: announcement and the 12345 queue, the dual hotline's own
queue, or the sub-center's seats (none are registered in the demo, so those callers fall back
to the 12345 queue). No agents are logged in yet: callers wait in their queues and hang up.
The live-call table shows them while they are up; a summary is printed from the call log.
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

console = Console(width=max(Console().width, 120))

DEMO_NUMBERS = ("12345", "12396", "12315", "09318929999", "12366", "12333", "8929999", "96119",
                "12348", "55555")


def demo_calls(count: int) -> list[CallSpec]:
    return [CallSpec(DEMO_NUMBERS[i % len(DEMO_NUMBERS)], f"1380000{1000 + i:04d}")
            for i in range(count)]


def _live_table(snapshot: dict[str, Any]) -> Table:
    table = Table(title=f"live calls seen by the engine ({len(snapshot['calls'])})")
    for column in ("call id", "dialed", "caller", "state", "queue", "age s"):
        table.add_column(column)
    for c in snapshot["calls"]:
        table.add_row(c["call_id"], c["dialed"], c["caller"], c["state"], c["queue"],
                      str(c["age_s"]))
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
    for column in ("dialed", "caller", "hotline", "mode", "unit", "routed to", "ended s"):
        table.add_column(column)
    for _call_id, events in sorted(calls.items()):
        started = events.get("call.started", {})
        routed = events.get("call.routed", {})
        ended = events.get("call.ended", {})
        target = routed.get("target", "-") + (f" ({routed['reason']})"
                                              if routed.get("reason") else "")
        table.add_row(started.get("dialed", "?"), started.get("caller", "?"),
                      routed.get("hotline", "-"), routed.get("mode", "-"),
                      routed.get("unit", "-"), target, str(ended.get("duration_s", "-")))
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
    sipp = asyncio.create_task(place_calls(specs, hold_ms=20000, rate=2))
    await asyncio.sleep(len(specs) / 2 + 15)
    console.print(_live_table(engine.snapshot()))
    result = await sipp
    await asyncio.sleep(0.5)
    engine.stop()
    await engine_task
    console.rule("summary")
    console.print(_summary(paths.resolve(config.engine.paths.call_log), since))
    console.print(f"sipp: {result.successful} calls completed, {result.failed} failed")
    return 0 if result.failed == 0 and result.successful == len(specs) else 1


def run_demo(config: Config, paths: Paths, calls: int = 10) -> int:
    control = AsteriskControl(paths, config, load_secrets(paths.secrets, config.sip_endpoints))
    was_up = control.pid() is not None
    console.print(control.up())
    try:
        return asyncio.run(_run(config, paths, calls))
    finally:
        if not was_up:
            console.print(control.down())
