"""The request type (咨询/求助/投诉/举报/意见建议) from scored cues (prefill.yaml): each group
of cues found adds its weight to its type once; the highest total wins, a tie goes to the
type listed first; nothing found: the default. An urgent matter that came out 咨询 is 求助
("着火了怎么办" asks for help); a crime going on that a bystander reports (not its victim)
is 举报 unless the cues say 投诉 or 意见建议."""

from __future__ import annotations

from typing import TYPE_CHECKING

from callcenter.config.prefill.cues import cue_found
from callcenter.config.prefill.rules import PrefillRules, RequestType

if TYPE_CHECKING:
    from callcenter.prefill.events import Situation


Evidence = list[tuple[RequestType, str, int, str]]


def evidence(text: str, rules: PrefillRules) -> Evidence:
    """(type, group, weight, the first cue of the group found) of every group that counts."""
    found = []
    for kind, groups in rules.request_cues:
        for group in groups:
            cue = next((c for c, pattern in group.cues if cue_found(text, pattern)), None)
            if cue is not None:
                found.append((kind, group.name, group.weight, cue))
    return found


def scores(text: str, rules: PrefillRules,
           found: Evidence | None = None) -> dict[RequestType, int]:
    """Each type's total, in the order of the file (types without a cue found: 0);
    ``found``: the evidence of ``text`` when it is known already."""
    totals = dict.fromkeys((kind for kind, _groups in rules.request_cues), 0)
    for kind, _group, weight, _cue in evidence(text, rules) if found is None else found:
        totals[kind] += weight
    return totals


def rule_type(text: str, rules: PrefillRules, found: Evidence | None = None) -> RequestType:
    """The type with the highest total (the first listed on a tie; none: the default)."""
    totals = scores(text, rules, found)
    best = max(totals.values(), default=0)
    return (next(k for k, v in totals.items() if v == best) if best  # the first listed
            else rules.default_request_type)


def settle(kind: RequestType, now: Situation) -> RequestType:
    """What is going on now decides a call for an emergency line: someone else's crime going
    on, reported by a bystander, is 举报; anything else (a fire, an accident, someone ill,
    missing or in danger, the caller's own loss) asks for help, 求助. An urgent matter
    (an outage) that came out 咨询 is 求助 too."""
    if now.referral:
        bystander = now.crime_now and not now.victim
        return RequestType.REPORT if bystander else RequestType.HELP
    if now.urgent and kind is RequestType.CONSULT:
        return RequestType.HELP
    return kind
