"""Precision / recall of the ticket pre-fill per field on the shipped transcript set.

    python bench/prefill_eval.py [--transcripts FILE] [--config DIR] [--misses]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill.evaluate import evaluate, load_cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transcripts", type=Path,
                        default=PROJECT_ROOT / "tests/data/prefill/transcripts.yaml")
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config")
    parser.add_argument("--misses", action="store_true",
                        help="list every wrong field (a wrong request type with the cue "
                             "groups found and their weights)")
    args = parser.parse_args()
    rules = load_config(args.config).prefill
    cases = load_cases(args.transcripts)
    started = time.perf_counter()
    scores = evaluate(cases, rules)
    elapsed = time.perf_counter() - started
    print(f"{len(cases)} transcripts, {elapsed * 1000 / len(cases):.2f} ms each")
    print(f"{'field':20} {'right':>6} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} "
          f"{'fn':>4}")
    for name, score in scores.items():
        print(f"{name:20} {score.accuracy:6.1%} {score.precision:9.2f} {score.recall:7.2f} "
              f"{score.tp:4} {score.fp:4} {score.fn:4}")
        if args.misses:
            for miss in score.misses:
                print(f"    {miss}")
    right = sum(s.right for s in scores.values())
    checks = sum(s.checks for s in scores.values())
    print(f"{'all field checks':20} {right / checks:6.1%} ({right} of {checks})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
