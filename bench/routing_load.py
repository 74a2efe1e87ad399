"""Routing under load: sipp offers calls spread over all 58 numbers through the carrier trunk,
first routed by the engine (FastAGI), then by the static dialplan alone (no FastAGI).

For each mode it steps the offered rate up (default 100, 150, 200, 225, 250, 275 calls/s, 12 s each)
until a step falls short, and prints per step: calls sipp completed, and from the engine's call
log the calls routed by the engine (``call.routed`` with ``source: engine``) and those the
dialplan routed on its own (the static fallback: ``call.engine_fallback`` or ``source:
dialplan``). In engine mode a step counts only if every offered call was routed by the engine
(a call the fallback saved is not an engine-routed call); in static mode, if every call
completed. Then the highest rate sustained per mode and the ratio engine/static. Target
(issue #3/#14): a ratio ≥ 0.9. Every call goes to 127.0.0.1 only; each step is bounded in
calls and time.

Usage: python bench/routing_load.py [--rates 100,150,...] [--seconds 12] [--hold-ms 1000]
Asterisk and the engine are started (`up`) and stopped (`down`) by the script; the steps
begin once the engine has settled after its start (less than 10 % of a core over a second:
its speech model loaded, the day's log read back).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callcenter.config.catalogue import digits_of  # noqa: E402
from callcenter.config.loader import load_config  # noqa: E402
from lab.sipp import CallSpec, place_calls  # noqa: E402


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    return done.stdout.strip()


def cpu_seconds(pid_file: Path) -> float:
    """utime + stime of a process from /proc (0 when it is not running)."""
    try:
        pid = int(pid_file.read_text().strip())
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid_file: Path, idle: float = 0.1, limit_s: float = 120.0) -> float:
    """Wait until the process uses less than ``idle`` of a core over a second (an engine just
    started loads its speech model and reads the day's call log back: not what a routing
    step measures); returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        before = cpu_seconds(pid_file)
        time.sleep(1.0)
        if cpu_seconds(pid_file) - before < idle:
            break
    return time.monotonic() - start


def numbers() -> list[str]:
    config = load_config(ROOT / "config")
    return [digits_of(config.hotlines.main.number)] + [
        digits_of(h.number) for h in config.hotlines.hotlines]


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def routed_since(log: Path, offset: int) -> tuple[int, int]:
    """(calls routed by the engine, calls the dialplan routed on its own) in the call log
    from ``offset``: a call counts for the engine only with ``source: engine`` on its first
    ``call.routed`` and no ``call.engine_fallback``."""
    first: dict[str, str] = {}
    fallback: set[str] = set()
    if not log.exists():
        return 0, 0
    with log.open(encoding="utf-8") as lines:
        lines.seek(offset)
        for line in lines:
            if '"call.routed"' in line:
                record = json.loads(line)
                first.setdefault(record.get("call_id", ""), record.get("source", ""))
            elif '"call.engine_fallback"' in line:
                fallback.add(json.loads(line).get("call_id", ""))
    engine = sum(1 for call, source in first.items()
                 if source == "engine" and call not in fallback)
    return engine, len(set(first) | fallback) - engine


async def step(rate: int, seconds: int, hold_ms: int, dialed: list[str],
               port: int) -> tuple[int, int, float]:
    total = rate * seconds
    calls = [CallSpec(dialed[i % len(dialed)], f"1390000{i % 10000:04d}") for i in range(total)]
    start = time.monotonic()
    result = await place_calls(calls, hold_ms=hold_ms, rate=rate, limit=rate * 10,
                               local_port=port, media_port=port + 1000,
                               timeout_s=seconds + hold_ms / 1000 + 60)
    return result.successful, result.failed, time.monotonic() - start


async def mode(name: str, rates: list[int], seconds: int, hold_ms: int,
               dialed: list[str], log: Path) -> int:
    best = 0
    for index, rate in enumerate(rates):
        offset = log_size(log)
        ok, failed, wall = await step(rate, seconds, hold_ms, dialed, 5200 + index * 2)
        await asyncio.sleep(1)  # the engine writes its log in batches (≤ 0.25 s)
        by_engine, by_dialplan = await asyncio.to_thread(routed_since, log, offset)
        offered = rate * seconds
        print(f"  {name:7} {rate:4d} calls/s × {seconds} s: {ok:5d} ok, {failed:4d} failed, "
              f"{offered - ok - failed:4d} not completed; routed by the engine {by_engine}, "
              f"by the dialplan alone {by_dialplan} ({wall:.0f} s)", flush=True)
        if failed or ok < offered or (name == "engine" and by_engine < offered):
            break
        best = rate
        await asyncio.sleep(3)  # let Asterisk settle between steps
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", default="100,150,200,225,250,275")
    ap.add_argument("--seconds", type=int, default=12)
    ap.add_argument("--hold-ms", type=int, default=1000)
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    dialed = numbers()
    print(f"{len(dialed)} numbers (12345 and the 57 of the annex), caller hangs up after "
          f"{args.hold_ms} ms; sub-centers have no seats (each falls back to q12345)")
    print(run("up"))
    try:
        results = {}
        run_dir = ROOT / "var" / "run"
        waited = settle(run_dir / "engine.pid")
        print(f"the engine settled after its start in {waited:.0f} s (speech model, the day's "
              "log read back); then the steps", flush=True)
        call_log = ROOT / load_config(ROOT / "config").engine.paths.call_log
        for name, global_value in (("engine", "yes"), ("static", "no")):
            run("asterisk", "cli", f"dialplan set global CC_ENGINE_ROUTING {global_value}")
            cpu = {p: cpu_seconds(run_dir / p) for p in ("engine.pid", "asterisk.pid")}
            results[name] = asyncio.run(mode(name, rates, args.seconds, args.hold_ms, dialed,
                                             call_log))
            used = {p: cpu_seconds(run_dir / p) - cpu[p] for p in cpu}
            print(f"  {name:7} CPU used: engine {used['engine.pid']:.1f} s, "
                  f"Asterisk {used['asterisk.pid']:.1f} s", flush=True)
        engine, static = results["engine"], results["static"]
        print(f"highest rate with 0 failures: engine {engine} calls/s, static {static} calls/s"
              + (f", ratio engine/static {engine / static:.2f}" if static else ""))
        print(f"(rates tried: {rates}; a step counts only if every offered call completed, "
              f"and in engine mode only if the engine routed every one of them)")
    finally:
        run("asterisk", "cli", "dialplan set global CC_ENGINE_ROUTING yes")
        print(run("down"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
