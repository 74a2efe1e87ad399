"""Train the request-type model (:mod:`callcenter.prefill.model`) on the project's labelled
transcripts and write ``data/request_model.json``:

    python -m callcenter.prefill.train [--check] [--folds 5]

Trained on the tuned sets only (``TRAIN``); ``--folds`` prints the cross-validated accuracy
of model, rules and both; ``--check`` exits 1 when the shipped weights are not what training
gives now (a test runs it). Deterministic: full-batch gradient descent from zero.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from callcenter.config.prefill.rules import PrefillRules, RequestType
from callcenter.config.prefill.text import joined
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill.evaluate import Case, load_cases
from callcenter.prefill.events import situation
from callcenter.prefill.model import MODEL, SCALE, LinearModel, features
from callcenter.prefill.request_type import rule_type, settle

DATA = PROJECT_ROOT / "tests/data/prefill"
TRAIN = ("transcripts.yaml", "heldout.yaml", "heldout2.yaml", "corpus.yaml", "corpus2.yaml",
         "corpus3.yaml", "corpus4.yaml", "corpus5.yaml",
         "corpus6.yaml")
L2 = 0.001
STEPS = 800
RATE = 0.5
MIN_COUNT = 2  # a feature seen in fewer transcripts is left out
KEEP = 1e-3  # weights smaller than this are not shipped
TOLERANCE = 2e-3  # --check: how far a shipped weight may be from a retrained one


def training_cases() -> list[Case]:
    return [c for name in TRAIN for c in load_cases(DATA / name)
            if c.expect.get("request_type")]


def featurize(cases: Sequence[Case], rules: PrefillRules) -> list[set[str]]:
    out = []
    for case in cases:
        text = joined(case.lines)
        out.append(features(text, rules, situation(text, rules)))
    return out


def fit(feats: Sequence[set[str]], labels: Sequence[RequestType]) -> LinearModel:
    classes = tuple(RequestType)
    counts: dict[str, int] = {}
    for f in feats:
        for x in f:
            counts[x] = counts.get(x, 0) + 1
    vocab = sorted(x for x, n in counts.items() if n >= MIN_COUNT)
    index = {x: i for i, x in enumerate(vocab)}
    matrix = np.zeros((len(feats), len(vocab)))
    for row, f in enumerate(feats):
        for x in f:
            if x in index:
                matrix[row, index[x]] = 1.0
    matrix *= np.array([[SCALE / max(1.0, len(f)) ** 0.5] for f in feats])
    target = np.zeros((len(feats), len(classes)))
    for row, label in enumerate(labels):
        target[row, classes.index(label)] = 1.0
    weights = np.zeros((len(vocab), len(classes)))
    bias = np.zeros(len(classes))
    for _ in range(STEPS):
        logits = matrix @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        prob /= prob.sum(axis=1, keepdims=True)
        grad = (prob - target) / len(feats)
        weights -= RATE * (matrix.T @ grad + L2 * weights)
        bias -= RATE * grad.sum(axis=0)
    return LinearModel(classes, tuple(round(float(b), 4) for b in bias), {
        x: tuple(round(float(w), 4) for w in weights[i])
        for x, i in index.items() if np.abs(weights[i]).max() >= KEEP})


def _close(shipped: LinearModel, trained: LinearModel) -> bool:
    """The same model but for rounding (floating point differs a little between machines)."""
    if shipped.labels != trained.labels or abs(len(shipped.weights) - len(trained.weights)) > 5:
        return False
    rows = [(shipped.bias, trained.bias)] + [
        (shipped.weights.get(k, (0.0,) * len(shipped.labels)), w)
        for k, w in trained.weights.items()]
    return all(abs(a - b) <= TOLERANCE for x, y in rows for a, b in zip(x, y, strict=True))


def cross_validate(cases: list[Case], rules: PrefillRules, folds: int) -> dict[str, float]:
    feats = featurize(cases, rules)
    labels = [RequestType(c.expect["request_type"]) for c in cases]
    right = {"model": 0, "rules": 0}
    for fold in range(folds):
        test = [i for i in range(len(cases)) if i % folds == fold]
        train = [i for i in range(len(cases)) if i % folds != fold]
        model = fit([feats[i] for i in train], [labels[i] for i in train])
        for i in test:
            text = joined(cases[i].lines)
            now = situation(text, rules)
            right["rules"] += settle(rule_type(text, rules), now) is labels[i]
            right["model"] += settle(model.predict(feats[i]), now) is labels[i]
    return {k: v / len(cases) for k, v in right.items()}


def main(argv: list[str] | None = None) -> int:
    from callcenter.config.loader import load_config

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--folds", type=int, default=0)
    args = parser.parse_args(argv)
    rules = load_config(PROJECT_ROOT / "config").prefill
    cases = training_cases()
    if args.folds:
        for name, share in cross_validate(cases, rules, args.folds).items():
            print(f"{name:6} {share:6.1%} ({args.folds}-fold, {len(cases)} transcripts)")
        return 0
    model = fit(featurize(cases, rules), [RequestType(c.expect["request_type"])
                                          for c in cases])
    if args.check:
        same = MODEL.exists() and _close(
            LinearModel.from_json(MODEL.read_text(encoding="utf-8")), model)
        print("the shipped model is what training gives" if same else
              f"{MODEL} differs from what training gives: run python -m callcenter.prefill.train")
        return 0 if same else 1
    MODEL.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"{MODEL}: {len(model.weights)} features, {len(cases)} transcripts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
