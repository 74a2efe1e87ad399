"""Train the request-type model (:mod:`callcenter.prefill.model`) on the project's labelled
transcripts and write ``data/request_model.json``:

    python -m callcenter.prefill.train [--check] [--folds 5 [--grid]]

Trained on the tuned sets only (``TRAIN``); ``--folds`` prints the cross-validated accuracy
of the rules and of the model, ``--grid`` of the model for each regularisation of ``GRID``
with and without class balance (how ``L2`` and ``BALANCE`` were chosen, round three, 5
folds over 1056 transcripts: L2 0.0003/0.001/0.003/0.01 without balance 88.1/87.9/86.9/85.5 %,
with 88.9/89.0/89.0/88.7 %; the rules alone 73.1 %); ``--check`` exits 1 when the shipped weights
are not what training gives now (a test runs it). Deterministic: full-batch gradient
descent from zero.
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
         "corpus6.yaml", "corpus7.yaml")
L2 = 0.001  # chosen by 5-fold cross-validation (--grid): see the module's docstring
BALANCE = 1.0  # each type weighs as much as the others (0: every transcript the same)
GRID = (0.0003, 0.001, 0.003, 0.01)
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


def fit(feats: Sequence[set[str]], labels: Sequence[RequestType], l2: float = L2,
        balance: float = BALANCE) -> LinearModel:
    """The request-type model: :func:`fit_weights` over the request types."""
    classes = tuple(RequestType)
    bias, weights = fit_weights(feats, [classes.index(x) for x in labels], len(classes), l2,
                                balance)
    return LinearModel(classes, bias, weights)


def fit_weights(feats: Sequence[set[str]], labels: Sequence[int], classes: int, l2: float,
                balance: float) -> tuple[tuple[float, ...], dict[str, tuple[float, ...]]]:
    """Multinomial logistic regression by full-batch gradient descent from zero over the
    features seen in at least ``MIN_COUNT`` transcripts (a sparse matrix: index arrays);
    each transcript weighs (n / (k · n_class)) ** ``balance``: with 1 the rarer classes
    count as much as the common ones. (bias, weights by feature), rounded."""
    counts: dict[str, int] = {}
    for f in feats:
        for x in f:
            counts[x] = counts.get(x, 0) + 1
    vocab = sorted(x for x, n in counts.items() if n >= MIN_COUNT)
    index = {x: i for i, x in enumerate(vocab)}
    rows, cols, vals = [], [], []
    for row, f in enumerate(feats):
        for x in sorted(f):
            if x in index:
                rows.append(row)
                cols.append(index[x])
                vals.append(SCALE / max(1.0, len(f)) ** 0.5)
    row_of, col_of, value = np.array(rows), np.array(cols), np.array(vals)[:, None]
    starts = np.searchsorted(row_of, np.arange(len(feats)))
    target = np.zeros((len(feats), classes))
    target[np.arange(len(feats)), labels] = 1.0
    share = len(feats) / (classes * np.maximum(target.sum(axis=0), 1.0))
    weight = (target * share ** balance).sum(axis=1, keepdims=True) / len(feats)
    weights = np.zeros((len(vocab), classes))
    bias = np.zeros(classes)
    for _ in range(STEPS):
        logits = np.add.reduceat(weights[col_of] * value, starts, axis=0) + bias
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        prob /= prob.sum(axis=1, keepdims=True)
        grad = (prob - target) * weight
        spread = grad[row_of] * value
        weights -= RATE * (np.stack([np.bincount(col_of, spread[:, k], len(vocab))
                                     for k in range(classes)], axis=1) + l2 * weights)
        bias -= RATE * grad.sum(axis=0)
    return tuple(round(float(b), 4) for b in bias), {
        x: tuple(round(float(w), 4) for w in weights[i])
        for x, i in index.items() if np.abs(weights[i]).max() >= KEEP}


def _close(shipped: LinearModel, trained: LinearModel) -> bool:
    """The same model but for rounding (floating point differs a little between machines)."""
    if shipped.labels != trained.labels or abs(len(shipped.weights) - len(trained.weights)) > 5:
        return False
    rows = [(shipped.bias, trained.bias)] + [
        (shipped.weights.get(k, (0.0,) * len(shipped.labels)), w)
        for k, w in trained.weights.items()]
    return all(abs(a - b) <= TOLERANCE for x, y in rows for a, b in zip(x, y, strict=True))


def cross_validate(cases: list[Case], rules: PrefillRules, folds: int,
                   settings: Sequence[tuple[float, float]] = ((L2, BALANCE),)
                   ) -> dict[str, float]:
    """The share of request types right, each transcript decided by a model trained on the
    other folds: the rules alone, and the model for each (l2, balance) of ``settings``."""
    feats = featurize(cases, rules)
    labels = [RequestType(c.expect["request_type"]) for c in cases]
    texts = [joined(c.lines) for c in cases]
    nows = [situation(text, rules) for text in texts]
    right = dict.fromkeys(["rules", *(f"model l2={a:g} balance={b:g}" for a, b in settings)], 0)
    right["rules"] = sum(settle(rule_type(text, rules), now) is label
                         for text, now, label in zip(texts, nows, labels, strict=True))
    for fold in range(folds):
        test = [i for i in range(len(cases)) if i % folds == fold]
        train = [i for i in range(len(cases)) if i % folds != fold]
        for l2, balance in settings:
            model = fit([feats[i] for i in train], [labels[i] for i in train], l2, balance)
            right[f"model l2={l2:g} balance={balance:g}"] += sum(
                settle(model.predict(feats[i]), nows[i]) is labels[i] for i in test)
    return {k: v / len(cases) for k, v in right.items()}


def main(argv: list[str] | None = None) -> int:
    from callcenter.config.loader import load_config

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--folds", type=int, default=0)
    parser.add_argument("--grid", action="store_true",
                        help="with --folds: every L2 of GRID, with and without balance")
    args = parser.parse_args(argv)
    rules = load_config(PROJECT_ROOT / "config").prefill
    cases = training_cases()
    if args.folds:
        settings = ([(l2, b) for l2 in GRID for b in (0.0, BALANCE)] if args.grid
                    else [(L2, BALANCE)])
        for name, share in cross_validate(cases, rules, args.folds, settings).items():
            print(f"{name:28} {share:6.1%} ({args.folds}-fold, {len(cases)} transcripts)")
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
