"""The ticket pre-fill's figures per field, the tuned sets and the held-out ones side by side,
and its time per utterance as the live engine calls it (the transcript so far, each time an
utterance ends).

    python bench/prefill_eval.py                      # tuned | the corpus's held-out parts
    python bench/prefill_eval.py --heldout3           # … and heldout3 (figures only)
    python bench/prefill_eval.py --heldout4           # … and heldout4 (figures only)
    python bench/prefill_eval.py --transcripts FILE [--misses]   # one set, as before

Tuned: the sets the rules were written and the request-type model trained on (``TUNED``).
Held out: the held-out parts of the project's corpus (``corpus_heldout.yaml``,
``corpus4_heldout.yaml`` … never tuned on; read their figures, not their cases) and
``heldout3.yaml`` and ``heldout4.yaml`` (each written by someone who never saw the rules;
shown only with ``--heldout3`` / ``--heldout4``; never look at their cases: ``--misses``
refuses them).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import PrefillRules, extract
from callcenter.prefill.evaluate import Case, FieldScore, evaluate, load_cases

DATA = PROJECT_ROOT / "tests/data/prefill"
TUNED = ("transcripts.yaml", "heldout.yaml", "heldout2.yaml", "corpus.yaml", "corpus2.yaml",
         "corpus3.yaml", "corpus4.yaml", "corpus5.yaml",
         "corpus6.yaml", "corpus7.yaml")
HELD_OUT = {"corpus held out": "corpus_heldout.yaml", "corpus4 held out": "corpus4_heldout.yaml",
            "corpus5 held out": "corpus5_heldout.yaml", "corpus6 held out": "corpus6_heldout.yaml",
            "corpus7 held out": "corpus7_heldout.yaml",
            "heldout3": "heldout3.yaml", "heldout4": "heldout4.yaml"}
UNSEEN = ("heldout3", "heldout4")  # never print their cases


def per_utterance_ms(cases: list[Case], rules: PrefillRules) -> list[float]:
    """The time of one extract() call on the transcript so far, for every utterance."""
    extract(["预热"], rules)  # the tables compile on first use
    out = []
    for case in cases:
        for end in range(1, len(case.lines) + 1):
            started = time.perf_counter()
            extract(case.lines[:end], rules)
            out.append((time.perf_counter() - started) * 1000)
    return out


def total(scores: dict[str, FieldScore]) -> tuple[int, int]:
    return sum(s.right for s in scores.values()), sum(s.checks for s in scores.values())


def one_set(path: Path, rules: PrefillRules, misses: bool) -> None:
    cases = load_cases(path)
    scores = evaluate(cases, rules)
    times = per_utterance_ms(cases, rules)
    print(f"{len(cases)} transcripts, {len(times)} utterances: {statistics.mean(times):.2f} ms "
          f"per utterance (max {max(times):.2f})")
    print(f"{'field':20} {'right':>6} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} "
          f"{'fn':>4}")
    for name, score in scores.items():
        print(f"{name:20} {score.accuracy:6.1%} {score.precision:9.2f} {score.recall:7.2f} "
              f"{score.tp:4} {score.fp:4} {score.fn:4}")
        if misses:
            for miss in score.misses:
                print(f"    {miss}")
    right, checks = total(scores)
    print(f"{'all field checks':20} {right / checks:6.1%} ({right} of {checks})")


def side_by_side(rules: PrefillRules, unseen: tuple[str, ...]) -> None:
    """``unseen``: the never-shown sets whose figures to print too."""
    sets = {"tuned": [c for name in TUNED for c in load_cases(DATA / name)]}
    sets |= {label: load_cases(DATA / name) for label, name in HELD_OUT.items()
             if (DATA / name).exists() and (label not in UNSEEN or label in unseen)}
    scores = {label: evaluate(cases, rules) for label, cases in sets.items()}
    print(f"{'share of right checks':22}" + "".join(f"{label:>18}" for label in sets))
    print(f"{'transcripts':22}" + "".join(f"{len(c):>18}" for c in sets.values()))
    for name in next(iter(scores.values())):
        print(f"{name:22}" + "".join(f"{s[name].accuracy:>18.1%}" for s in scores.values()))
    print(f"{'urgent recall':22}" + "".join(f"{s['urgent'].recall:>18.2f}"
                                            for s in scores.values()))
    print(f"{'all field checks':22}" + "".join(
        f"{right / checks:>11.1%} ({checks})" for right, checks in map(total, scores.values())))
    times = per_utterance_ms(sets["tuned"], rules)
    print(f"time per utterance (tuned sets, {len(times)} calls of extract on the transcript so "
          f"far): mean {statistics.mean(times):.2f} ms, median {statistics.median(times):.2f} "
          f"ms, max {max(times):.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transcripts", type=Path, help="one set instead of all side by side")
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config")
    parser.add_argument("--heldout3", action="store_true",
                        help="show heldout3's figures too (read them rarely: each reading "
                             "is a look at the test set)")
    parser.add_argument("--heldout4", action="store_true",
                        help="show heldout4's figures too (written 2026-12-07 by someone who "
                             "never saw the rules; the next round's honest measure)")
    parser.add_argument("--misses", action="store_true",
                        help="list every wrong field of --transcripts (not for heldout3)")
    args = parser.parse_args()
    rules = load_config(args.config).prefill
    if args.transcripts is None:
        side_by_side(rules, tuple(n for n in UNSEEN if getattr(args, n)))
        return 0
    if args.misses and args.transcripts.name.startswith(UNSEEN):  # (a tuple of prefixes)
        print(f"{args.transcripts.name} is held out: its cases are never shown (no --misses)",
              file=sys.stderr)
        return 2
    one_set(args.transcripts, rules, args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
