"""CI gates on the pre-fill's figures for calls its rules were never tuned on (issue #25).

- ``heldout3.yaml`` (216 calls) was written by someone who never saw the rules and frozen
  before they changed; nobody tuning the rules looks at its cases (the tests here compare
  aggregate figures only and print no case; its figures were read twice a round). The
  issue's targets on it — ≥ 95 % of field checks, emergency referral ≥ 95 %, request type
  ≥ 90 % — are NOT reached yet: ``test_heldout3_targets`` is an expected failure (strict:
  once they are reached it fails, to be turned into a plain test), and ``FLOORS_HELDOUT3``
  pins what was reached.
- ``corpus_heldout.yaml`` (60 calls), ``corpus4_heldout.yaml`` (74), ``corpus5_heldout.yaml``
  (34), ``corpus6_heldout.yaml`` (16), ``corpus7_heldout.yaml`` (67): the held-out parts of
  the project's own corpus, never tuned on. corpus_heldout follows its writer's labelling
  where heldout3.md's differs (the tuned sets were relabelled to heldout3.md's conventions in
  round two; it was not).
- ``heldout2.yaml``: tuned on since issue #25 (a regression guard, like transcripts.yaml).
- ``heldout4.yaml`` (200 calls, 2026-12-07): a fresh set by another writer who never saw the
  rules (``heldout4.md``; its writer's checker not kept), for the next round, since
  heldout3's figures have been read after every round. On the rules as they were when it
  came: 87.8 % of checks, request type 80.5 %, emergency referral 87.0 % — the issue's
  targets on it are an expected failure too. No floors: nothing has been tuned against it.
  Round three read it once, after its last change: 88.3 % of checks, request type 81.5 %,
  emergency referral 87.0 %, topic 74.0 %, urgent 91.5 %.
"""

from __future__ import annotations

import pytest

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill.evaluate import FieldScore, evaluate, load_cases

DATA = PROJECT_ROOT / "tests/data/prefill"
ALL = "all field checks"

# share of right checks per field, measured with bench/prefill_eval.py on 2026-12-07, round
# two's second reading (round one: all 88.1 %, request type 83.8 %, topic 75.0 %, detail
# 77.8 %, urgent 89.4 %, emergency 89.8 %; before issue #25: all 80.0 %)
FLOORS_HELDOUT3 = {
    "phones": 0.990, "city": 0.976, "county": 0.981, "detail": 0.865,
    "request_type": 0.888, "topic": 0.810, "unit": 0.828, "urgent": 0.930,
    "emergency_referral": 0.925, "out_of_scope": 0.976, ALL: 0.917,
}
TARGETS_HELDOUT3 = {ALL: 0.95, "emergency_referral": 0.95, "request_type": 0.90}
FLOORS_CORPUS = {
    "phones": 1.0, "city": 0.983, "county": 0.983, "detail": 0.966, "request_type": 0.9,
    "topic": 0.833, "unit": 0.833, "urgent": 0.933, "emergency_referral": 0.95,
    "out_of_scope": 1.0, ALL: 0.938,
}
FLOORS_CORPUS4 = {
    "phones": 0.986, "city": 1.0, "county": 1.0, "detail": 0.972, "request_type": 0.864,
    "topic": 0.878, "unit": 0.891, "urgent": 0.959, "emergency_referral": 0.932,
    "out_of_scope": 1.0, ALL: 0.948,
}
# round three: request type 0.852 → 0.794 (2 of its 34 calls), all checks 0.920 → 0.914, with
# the request-type model retrained with class balance (chosen by 5-fold cross-validation over
# the 976 tuned transcripts: 86.8 % → 88.2 %) and on corpus7
FLOORS_CORPUS5 = {
    "phones": 0.97, "city": 1.0, "county": 1.0, "detail": 0.941, "request_type": 0.794,
    "topic": 0.794, "unit": 0.794, "urgent": 0.941, "emergency_referral": 0.911,
    "out_of_scope": 1.0, ALL: 0.914,
}
FLOORS_CORPUS6 = {
    "phones": 1.0, "city": 1.0, "county": 1.0, "detail": 0.75, "request_type": 0.812,
    "topic": 0.687, "unit": 0.687, "urgent": 0.875, "emergency_referral": 0.75,
    "out_of_scope": 1.0, ALL: 0.856,
}
# corpus7_heldout.yaml (67 calls, round three): split off before any change; the round's
# changes left every figure as it was before them (87.6 % of checks, request type 73.1 %,
# emergency referral 83.6 %, urgent 79.1 %): what the tuned sets' gains did not carry over
FLOORS_CORPUS7 = {
    "phones": 1.0, "city": 0.985, "county": 0.970, "detail": 0.925, "request_type": 0.731,
    "topic": 0.761, "unit": 0.761, "urgent": 0.791, "emergency_referral": 0.835,
    "out_of_scope": 1.0, ALL: 0.876,
}
FLOORS_HELDOUT2 = {
    "phones": 1.0, "city": 1.0, "county": 1.0, "detail": 0.986, "request_type": 1.0,
    "topic": 0.972, "unit": 0.972, "urgent": 1.0, "emergency_referral": 1.0,
    "out_of_scope": 0.986, ALL: 0.991,
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
                   "(91.8 % of checks, emergency referral 92.6 %, request type 88.9 %)")
def test_heldout3_targets(heldout3: dict[str, float]) -> None:
    assert not below(heldout3, TARGETS_HELDOUT3)


@pytest.mark.parametrize(("name", "floors"), [
    ("corpus_heldout.yaml", FLOORS_CORPUS), ("corpus4_heldout.yaml", FLOORS_CORPUS4),
    ("corpus5_heldout.yaml", FLOORS_CORPUS5), ("corpus6_heldout.yaml", FLOORS_CORPUS6),
    ("corpus7_heldout.yaml", FLOORS_CORPUS7),
])
def test_the_corpus_held_out_parts_keep_what_was_reached(name: str,
                                                         floors: dict[str, float]) -> None:
    assert not below(shares(name), floors)


def test_heldout2_keeps_what_was_reached() -> None:
    assert not below(shares("heldout2.yaml"), FLOORS_HELDOUT2)


def test_heldout4_is_whole() -> None:
    cases = load_cases(DATA / "heldout4.yaml")
    assert len(cases) == 200 and len({c.id for c in cases}) == 200


@pytest.mark.xfail(strict=True, reason="issue #25's targets on heldout4 are not reached "
                   "(round three's one reading: 88.3 % of checks, emergency referral 87.0 %, "
                   "request type 81.5 %; before it 87.8 %, 87.0 %, 80.5 %)")
def test_heldout4_targets() -> None:
    assert not below(shares("heldout4.yaml"), TARGETS_HELDOUT3)
