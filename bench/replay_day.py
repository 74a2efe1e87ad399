"""Replay a generated 30,000-call day as fast as possible.

    python bench/replay_day.py [--calls 30000] [--log var/day.jsonl] [--regenerate]

Generates the day first (``run.py gen-day``) unless the log exists; replays it in a fresh
process with ``--max`` semantics and prints wall time, lines and events per second, the
replay speed as a multiple of real time, divergences, and peak RSS (sampled every 0.2 s,
with the RSS after the first tenth of the log, to show whether memory stays flat).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.config.loader import config_hash, load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.replay.runner import Replayer
from lab.day import generate_day


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=30000)
    parser.add_argument("--log", type=Path, default=PROJECT_ROOT / "var" / "day.jsonl")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    config = load_config(PROJECT_ROOT / "config")
    if args.regenerate or not args.log.exists():
        started = time.monotonic()
        placed, frames = generate_day(config, args.log, calls=args.calls, seed=12345,
                                      day="2026-11-27")
        print(f"generated {args.log}: {placed} calls, {frames} AMI frames "
              f"in {time.monotonic() - started:.0f} s")
    size = args.log.stat().st_size
    samples: list[tuple[int, float]] = []  # (bytes replayed, RSS)
    done = threading.Event()
    position = [0]

    def sample() -> None:
        while not done.wait(0.2):
            samples.append((position[0], rss_mb()))

    sampler = threading.Thread(target=sample, daemon=True)
    before = rss_mb()
    sampler.start()
    replayer = Replayer(config, config_hash(config.directory),
                        on_progress=lambda offset: position.__setitem__(0, offset))
    result = asyncio.run(replayer.run_file(args.log))
    done.set()
    sampler.join()
    events = result.frames + result.agi_requests
    early = [r for b, r in samples if b <= size / 10]
    peak = max((r for _, r in samples), default=rss_mb())
    print(f"log: {size / 1e6:.0f} MB, {result.lines} lines, {result.calls} calls, "
          f"{result.log_span_s / 3600:.1f} h")
    print(f"wall time: {result.wall_s:.1f} s; {result.lines / result.wall_s:,.0f} lines/s, "
          f"{events / result.wall_s:,.0f} input events/s "
          f"(AMI frames + FastAGI requests); {result.speed:,.0f}× real time")
    print(f"decisions recorded {result.recorded_decisions}, replayed "
          f"{result.replayed_decisions}, divergences {len(result.divergences)}")
    print(f"RSS: before {before:.0f} MB, after the first tenth {max(early, default=before):.0f}"
          f" MB, peak {peak:.0f} MB")
    return 1 if result.divergences else 0


if __name__ == "__main__":
    raise SystemExit(main())
