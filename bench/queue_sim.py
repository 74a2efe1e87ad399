"""Queue simulation on the real Asterisk: 20 simulated agents (pyVoIP softphones) answer
callers (sipp) that arrive at random (Poisson) for 60 s at a rate that keeps the agents about
80 % busy. Prints offered / answered / abandoned, ASA, % answered within 15 s and the
engine's CPU seconds per call (the engine runs as its own process, measured from /proc).

Usage: python bench/queue_sim.py [--agents 20] [--seconds 60] [--busy 0.8]
It uses a temporary configuration (the shipped one plus 20 bench agents on q12345), starts
Asterisk and the engine with it, and stops both at the end. Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ruamel.yaml import YAML  # noqa: E402

from callcenter.config.loader import load_config  # noqa: E402
from callcenter.control.client import query  # noqa: E402
from callcenter.errors import EngineControlError  # noqa: E402
from callcenter.paths import Paths  # noqa: E402
from callcenter.secrets import load_secrets  # noqa: E402
from lab.sipp import CallSpec, place_calls  # noqa: E402
from lab.softphone import Softphone, SoftphoneSettings  # noqa: E402

TALK_S = (6.0, 14.0)
ANSWER_DELAY_S = (0.5, 2.0)
GREETING_S = 6.5  # the 12345 greeting before the queue
PATIENCE_S = (20.0, 40.0)


def cli(config_dir: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(config_dir),
                           *args], capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout.strip()


def make_config(tmp: Path, agents: int) -> Path:
    config_dir = tmp / "config"
    shutil.copytree(ROOT / "config", config_dir)
    shutil.copytree(ROOT / "ivr_prompts", tmp / "ivr_prompts",
                    ignore=shutil.ignore_patterns("build"))
    yaml = YAML()
    data = yaml.load(config_dir / "agents.yaml")
    for i in range(agents):
        data["agents"][f"{8000 + i}"] = {
            "name": f"压测坐席{i + 1}", "skills": {"q12345": 3},
            "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                        "from": "00:00", "to": "24:00"}]}
    yaml.dump(data, config_dir / "agents.yaml")
    engine = yaml.load(config_dir / "engine.yaml")
    engine["paths"]["call_log"] = str(tmp / "calls.jsonl")
    engine["paths"]["database"] = str(tmp / "bench.sqlite3")
    yaml.dump(engine, config_dir / "engine.yaml")
    return config_dir


def engine_cpu(paths: Paths) -> float:
    try:
        pid = int(paths.engine_pid.read_text().strip())
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def caller(index: int, at: float, start: float, stay_ms: int) -> None:
    await asyncio.sleep(max(0.0, start + at - time.monotonic()))
    await place_calls([CallSpec("12345", f"1390001{index:04d}")], hold_ms=stay_ms,
                      local_port=5300 + index % 300, media_port=22000 + (index % 300) * 4)


async def simulate(agent_ids: list[str], paths: Paths, config_dir: Path, seconds: float,
                   rate: float, seed: int) -> tuple[int, float]:
    config = load_config(config_dir)
    secrets = load_secrets(paths.secrets, config.sip_endpoints)
    rng = random.Random(seed)
    phones = [Softphone(SoftphoneSettings(
        f"agent-{a}", secrets.sip_passwords[f"agent-{a}"], sip_port=5400 + i,
        rtp_low=32000 + i * 50, rtp_high=32000 + i * 50 + 49,
        answer_delay_s=rng.uniform(*ANSWER_DELAY_S), talk_s=rng.uniform(*TALK_S)))
        for i, a in enumerate(agent_ids)]
    await asyncio.gather(*(asyncio.to_thread(p.start) for p in phones))
    try:
        for agent_id in agent_ids:
            query(paths.control_socket, "agent.login", timeout=15, agent=agent_id)
        arrivals, t = [], 0.0
        while (t := t + rng.expovariate(rate)) <= seconds:
            arrivals.append(t)
        cpu_before = engine_cpu(paths)
        start = time.monotonic()
        await asyncio.gather(*(caller(i, at, start, int(1000 * (
            GREETING_S + rng.uniform(*PATIENCE_S) + TALK_S[1] + 2)))
            for i, at in enumerate(arrivals)))
        return len(arrivals), engine_cpu(paths) - cpu_before
    finally:
        for agent_id in agent_ids:
            # the engine may be gone already; the bench still reports what it measured
            with contextlib.suppress(EngineControlError):
                query(paths.control_socket, "agent.logout", timeout=15,
                      agent=agent_id)
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in phones))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--busy", type=float, default=0.8, help="target agent occupancy")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    paths = Paths.default()
    with tempfile.TemporaryDirectory(prefix="cc-queue-sim-") as tmp_name:
        tmp = Path(tmp_name)
        config_dir = make_config(tmp, args.agents)
        config = load_config(config_dir)
        handle_s = sum(ANSWER_DELAY_S) / 2 + sum(TALK_S) / 2 + config.queues.queues[
            "q12345"].wrapup_s
        rate = args.busy * args.agents / handle_s
        print(f"{args.agents} agents on q12345, mean handle {handle_s:.1f} s (ring + talk + "
              f"wrap-up) → {rate:.2f} callers/s for {args.seconds:.0f} s (target occupancy "
              f"{args.busy:.0%}); callers give up after {PATIENCE_S[0]:.0f}-{PATIENCE_S[1]:.0f}"
              f" s of waiting")
        cli(config_dir, "down")
        print(cli(config_dir, "up"))
        try:
            agent_ids = [f"{8000 + i}" for i in range(args.agents)]
            offered, cpu = asyncio.run(simulate(agent_ids, paths, config_dir, args.seconds,
                                                rate, args.seed))
            time.sleep(1)
        finally:
            print(cli(config_dir, "down"))
        counts = {"queue.answered": 0, "queue.abandoned": 0, "callback.requested": 0}
        waits = []
        for line in (tmp / "calls.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["event"] in counts:
                counts[record["event"]] += 1
                if record["event"] == "queue.answered":
                    waits.append(float(record["wait_s"]))
        answered = counts["queue.answered"]
        print(f"offered {offered}, answered {answered}, abandoned {counts['queue.abandoned']}, "
              f"callbacks {counts['callback.requested']}")
        if answered:
            print(f"ASA {sum(waits) / answered:.1f} s, answered within 15 s "
                  f"{100 * sum(w <= 15 for w in waits) / answered:.0f} %")
        print(f"engine CPU {cpu:.2f} s for {offered} calls = "
              f"{1000 * cpu / max(offered, 1):.0f} ms per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
