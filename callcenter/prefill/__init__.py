"""Pre-fill of the ticket from what the caller said: pure functions, no I/O but the shipped
gazetteer. ``extract(utterances, rules)`` → :class:`Prefill`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callcenter.config.prefill.rules import PrefillRules
from callcenter.config.prefill.text import joined, normalize
from callcenter.prefill.classify import classify
from callcenter.prefill.masking import mask_sensitive
from callcenter.prefill.phones import extract_phones
from callcenter.prefill.places import Gazetteer, Place

__all__ = ["Place", "Prefill", "PrefillRules", "extract", "mask_sensitive", "normalize"]


@dataclass(frozen=True, slots=True)
class Prefill:
    phones: tuple[str, ...]
    place: Place
    request_type: str
    topic: str | None
    unit: str | None
    hotline: str | None
    urgent: bool
    emergency_referral: tuple[str, ...] | None  # ordered, most urgent first
    out_of_scope: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"phones": list(self.phones), "place": self.place.as_dict(),
                "request_type": self.request_type, "topic": self.topic, "unit": self.unit,
                "hotline": self.hotline, "urgent": self.urgent,
                "emergency_referral": (list(self.emergency_referral)
                                       if self.emergency_referral else None),
                "out_of_scope": self.out_of_scope}


def extract(utterances: list[str], rules: PrefillRules,
            gazetteer: Gazetteer | None = None) -> Prefill:
    """The fields of a ticket from the caller's final utterances (one per item)."""
    lines = [n for n in (normalize(u) for u in utterances) if n]
    text = joined(lines)
    place = (gazetteer or Gazetteer.shipped()).find([u for u in utterances if normalize(u)])
    found = classify(text, rules, place.detail)
    phones = extract_phones(text, place.city)
    if place.detail is not None:
        place = Place(place.city, place.county, mask_sensitive(place.detail))
    return Prefill(tuple(phones), place, found.request_type, found.topic, found.unit,
                   found.hotline, found.urgent, found.emergency_referral or None,
                   found.out_of_scope)
