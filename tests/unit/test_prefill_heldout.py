"""CI gates on the pre-fill's figures for calls its rules were never tuned on (issue #25).

- ``heldout3.yaml`` (216 calls) was written by someone who never saw the rules and frozen
  before they changed; nobody tuning the rules looks at its cases (the tests here compare
  aggregate figures only and print no case). The issue's targets on it — ≥ 95 % of field
  checks, emergency referral ≥ 95 %, request type ≥ 90 % — are NOT reached yet:
  ``test_heldout3_targets`` is an expected failure (strict: once they are reached it fails,
  to be turned into a plain test), and ``FLOORS_HELDOUT3`` pins what was reached.
- ``corpus_heldout.yaml`` (60 calls): the held-out part of the project's own corpus, never
  tuned on.
- ``heldout2.yaml``: tuned on since issue #25 (a regression guard, like transcripts.yaml).
"""

from __future__ import annotations

import pytest

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill.evaluate import FieldScore, evaluate, load_cases

DATA = PROJECT_ROOT / "tests/data/prefill"
ALL = "all field checks"

# share of right checks per field, measured with bench/prefill_eval.py on 2026-12-07
# (before issue #25: all 80.0 %, request type 62.5 %, urgent 75.9 %, emergency 80.6 %)
FLOORS_HELDOUT3 = {
    "phones": 0.990, "city": 0.967, "county": 0.972, "detail": 0.777,
    "request_type": 0.837, "topic": 0.750, "unit": 0.763, "urgent": 0.893,
    "emergency_referral": 0.898, "out_of_scope": 0.962, ALL: 0.881,
}
TARGETS_HELDOUT3 = {ALL: 0.95, "emergency_referral": 0.95, "request_type": 0.90}
FLOORS_CORPUS = {
    "phones": 1.0, "city": 1.0, "county": 1.0, "detail": 0.95, "request_type": 0.833,
    "topic": 0.85, "unit": 0.85, "urgent": 0.933, "emergency_referral": 0.933,
    "out_of_scope": 1.0, ALL: 0.935,
}
FLOORS_HELDOUT2 = {
    "phones": 1.0, "city": 1.0, "county": 1.0, "detail": 0.986, "request_type": 1.0,
    "topic": 0.916, "unit": 0.93, "urgent": 1.0, "emergency_referral": 1.0,
    "out_of_scope": 0.958, ALL: 0.979,
}


def shares(name: str) -> dict[str, float]:
    """Each field's share of right checks on a set, and all checks': figures only."""
    rules = load_config(PROJECT_ROOT / "config").prefill
    scores: dict[str, FieldScore] = evaluate(load_cases(DATA / name), rules)
    out = {field: score.accuracy for field, score in scores.items()}
    out[ALL] = sum(s.right for s in scores.values()) / sum(s.checks for s in scores.values())
    return out


@pytest.fixture(scope="module")
def heldout3() -> dict[str, float]:
    assert len(load_cases(DATA / "heldout3.yaml")) == 216
    return shares("heldout3.yaml")


def below(got: dict[str, float], floors: dict[str, float]) -> list[str]:
    return [f"{field}: {got[field]:.3f} < {floor}" for field, floor in floors.items()
            if got[field] < floor - 1e-9]


def test_heldout3_keeps_what_was_reached(heldout3: dict[str, float]) -> None:
    assert not below(heldout3, FLOORS_HELDOUT3)


@pytest.mark.xfail(strict=True, reason="issue #25's targets on heldout3 are not reached yet "
                   "(88.1 % of checks, emergency referral 89.8 %, request type 83.8 %)")
def test_heldout3_targets(heldout3: dict[str, float]) -> None:
    assert not below(heldout3, TARGETS_HELDOUT3)


def test_corpus_heldout_keeps_what_was_reached() -> None:
    assert not below(shares("corpus_heldout.yaml"), FLOORS_CORPUS)


def test_heldout2_keeps_what_was_reached() -> None:
    assert not below(shares("heldout2.yaml"), FLOORS_HELDOUT2)
