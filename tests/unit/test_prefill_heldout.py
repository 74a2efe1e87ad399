"""CI gate on the pre-fill's figures for calls its rules were never tuned on.

``tests/data/prefill/heldout2.yaml`` (72 calls) was written by someone who had not seen the
rules or the other transcript sets, and the rules were changed without looking at it
(2026-11-30). The floors are what was measured on it then — a change to the rules may not
make any field worse on it. (Do not tune the rules on this file: its figures would stop
saying anything; write a new unseen set instead.)
"""

from __future__ import annotations

import pytest

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill.evaluate import evaluate, load_cases

HELDOUT = PROJECT_ROOT / "tests/data/prefill/heldout2.yaml"

# field: (precision, recall) measured 2026-11-30 with bench/prefill_eval.py --transcripts …
FLOORS = {
    "phones": (1.00, 1.00),
    "city": (0.98, 0.98),
    "county": (0.98, 1.00),
    "detail": (0.85, 0.81),
    "request_type": (0.51, 0.51),
    "topic": (0.74, 0.64),
    "unit": (0.74, 0.64),
    "urgent": (0.71, 0.45),
    "emergency_referral": (0.40, 0.33),
    "out_of_scope": (1.00, 0.57),
}


@pytest.fixture(scope="module")
def scores() -> dict[str, tuple[float, float]]:
    rules = load_config(PROJECT_ROOT / "config").prefill
    cases = load_cases(HELDOUT)
    assert len(cases) >= 40
    return {name: (s.precision, s.recall) for name, s in evaluate(cases, rules).items()}


@pytest.mark.parametrize("field", sorted(FLOORS))
def test_no_field_gets_worse_on_unseen_calls(field: str,
                                             scores: dict[str, tuple[float, float]]) -> None:
    precision, recall = scores[field]
    floor_p, floor_r = FLOORS[field]
    assert precision >= floor_p - 1e-9 and recall >= floor_r - 1e-9, (
        f"{field}: precision {precision:.3f} (floor {floor_p}), recall {recall:.3f} "
        f"(floor {floor_r})")
