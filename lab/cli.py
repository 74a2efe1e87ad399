"""The lab's commands for ``run.py``: ``demo`` and ``gen-day``. The engine's command line
finds them through the ``callcenter.commands`` entry point (pyproject.toml), so the engine
(``callcenter/``) never imports the lab; what they need of the lab is imported when they run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from callcenter.cli import config_of
from callcenter.paths import Paths


def cmd_gen_day(args: argparse.Namespace, paths: Paths) -> int:
    from lab.day import generate_day

    started = time.monotonic()
    calls, frames = generate_day(config_of(args, paths), Path(args.out), calls=args.calls,
                                 seed=args.seed, day=args.day)
    print(f"wrote {args.out}: {calls} calls, {frames} AMI frames, 24 h, seed {args.seed} "
          f"({time.monotonic() - started:.0f} s)")
    return 0


def cmd_demo(args: argparse.Namespace, paths: Paths) -> int:
    from lab.demo import run_demo

    return run_demo(config_of(args, paths), paths, seconds=args.seconds, rate=args.rate)


def register(sub: Any) -> None:
    """Add the lab's commands to the engine's command line (``sub``: its subparsers)."""
    gen = sub.add_parser("gen-day", help="write a realistic 24-hour call log (simulated "
                         "callers, queues and agents through the engine's decision code)")
    gen.add_argument("--calls", type=int, default=30000)
    gen.add_argument("--out", required=True, help="the call log to write (replaced)")
    gen.add_argument("--seed", type=int, default=12345)
    gen.add_argument("--day", help="the date simulated (YYYY-MM-DD; default yesterday)")
    gen.set_defaults(func=cmd_gen_day)
    demo = sub.add_parser("demo", help="bring everything up, place calls, show what happened")
    demo.add_argument("--seconds", type=float, default=75, help="how long callers arrive")
    demo.add_argument("--rate", type=float, default=0.4, help="callers per second (Poisson)")
    demo.set_defaults(func=cmd_demo)
