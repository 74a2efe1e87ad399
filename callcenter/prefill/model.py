"""The request-type model: a linear model (multinomial logistic regression) over the
transcript's character n-grams, the cue groups of prefill.yaml found in it, the type the
cues alone give, and what is going on now (:mod:`callcenter.prefill.events`). Trained in the
project on its own labelled transcripts (``python -m callcenter.prefill.train``); the
weights ship as ``data/request_model.json``. Scoring is a sum of weights: well under a millisecond.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from callcenter.config.prefill.rules import RequestType
from callcenter.prefill.request_type import evidence, rule_type

if TYPE_CHECKING:
    from callcenter.config.prefill.rules import PrefillRules
    from callcenter.prefill.events import Situation

MODEL = Path(__file__).parent / "data" / "request_model.json"
NGRAMS = (1, 2, 3)
SCALE = 4.0  # a transcript's features weigh SCALE / sqrt(how many it has)
_DROP = re.compile(r"[\s。，、！？!?,.;；:：…—\-\"“”0-9]+")


def features(text: str, rules: PrefillRules, now: Situation) -> set[str]:
    """The features of one transcript (joined, normalized)."""
    found = evidence(text, rules)
    out = {f"cue:{kind.value}.{group}" for kind, group, _w, _c in found}
    out.add(f"rule:{rule_type(text, rules, found).value}")  # what the cues alone decide
    out |= {f"now:{kind}" for kind in now.now}
    if now.victim:
        out.add("victim")
    for sentence in re.split(r"[。！？!?]", text):
        chars = _DROP.sub("", sentence)
        for n in NGRAMS:
            out.update(chars[i:i + n] for i in range(len(chars) - n + 1))
    return out


@dataclass(frozen=True, slots=True)
class LinearModel:
    labels: tuple[RequestType, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]

    def scores(self, feats: set[str]) -> list[float]:
        sums = [0.0] * len(self.bias)
        for feat in feats:
            row = self.weights.get(feat)
            if row is not None:
                for i, w in enumerate(row):
                    sums[i] += w
        scale = SCALE / max(1.0, len(feats)) ** 0.5
        return [b + scale * x for b, x in zip(self.bias, sums, strict=True)]

    def predict(self, feats: set[str]) -> RequestType:
        totals = self.scores(feats)
        return self.labels[max(range(len(totals)), key=totals.__getitem__)]

    def to_json(self) -> str:
        return json.dumps({"labels": [x.value for x in self.labels], "bias": self.bias,
                           "weights": self.weights}, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> LinearModel:
        data = json.loads(text)
        return cls(tuple(RequestType(x) for x in data["labels"]), tuple(data["bias"]),
                   {k: tuple(v) for k, v in data["weights"].items()})


@cache
def shipped() -> LinearModel | None:
    """The shipped model, or None when there is none (the rules decide alone)."""
    return LinearModel.from_json(MODEL.read_text(encoding="utf-8")) if MODEL.exists() else None
