"""Precision and recall of the pre-fill per field, against transcripts with the fields an
agent would fill in (``tests/data/prefill/transcripts.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from callcenter.config.prefill.text import joined
from callcenter.prefill import Prefill, PrefillRules, extract
from callcenter.prefill.request_type import evidence

FIELDS = ("phones", "city", "county", "detail", "request_type", "topic", "unit", "urgent",
          "emergency_referral", "out_of_scope")


@dataclass(slots=True)
class FieldScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    checks: int = 0  # cases checked
    right: int = 0  # cases where the field is as expected (absent where it should be too)
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.checks if self.checks else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    lines: list[str]
    expect: dict[str, Any]


def load_cases(path: Path) -> list[Case]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return [Case(int(item["id"]), [ln for ln in item["text"].splitlines() if ln.strip()],
                 dict(item.get("expect") or {})) for item in data]


def _got(prefill: Prefill, name: str) -> Any:
    if name in ("city", "county", "detail"):
        return getattr(prefill.place, name)
    value = getattr(prefill, name)
    return list(value) if name == "phones" else value


def _referrals(value: Any) -> tuple[str, ...]:
    """An emergency referral as the ordered numbers ("120" alone, or ["120", "122"])."""
    if not value:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else (str(value),)


def _tally(score: FieldScore, name: str, got: Any, want: Any, case_id: int,
           why: str = "") -> None:
    score.checks += 1
    if name == "emergency_referral":
        got, want = _referrals(got) or None, _referrals(want) or None
    if name == "phones":
        got_set, want_set = set(got), set(want or [])
        score.tp += len(got_set & want_set)
        score.fp += len(got_set - want_set)
        score.fn += len(want_set - got_set)
        ok = got_set == want_set
    elif name == "urgent":
        got_b, want_b = bool(got), bool(want)
        score.tp += got_b and want_b
        score.fp += got_b and not want_b
        score.fn += want_b and not got_b
        ok = got_b == want_b
    else:
        # detail: the expected part must be in the text found
        right = got is not None and want is not None and (
            want in got if name == "detail" else got == want)
        score.tp += right
        score.fp += got is not None and not right
        score.fn += want is not None and not right
        ok = right or (got is None and want is None)
    score.right += ok
    if not ok:
        score.misses.append(f"#{case_id}: got {got!r}, expected {want!r}{why}")


def _evidence(lines: list[str], rules: PrefillRules) -> str:
    """' (投诉.态度 2 …)': the cue groups found, shown with a wrong request type."""
    found = evidence(joined(lines), rules)
    return " (" + ", ".join(f"{kind.value}.{group} {weight}: {cue}"
                            for kind, group, weight, cue in found) + ")" if found else ""


def evaluate(cases: list[Case], rules: PrefillRules) -> dict[str, FieldScore]:
    scores = {name: FieldScore() for name in FIELDS}
    for case in cases:
        prefill = extract(case.lines, rules)
        for name in FIELDS:
            why = _evidence(case.lines, rules) if name == "request_type" else ""
            _tally(scores[name], name, _got(prefill, name), case.expect.get(name), case.id,
                   why)
    return scores
