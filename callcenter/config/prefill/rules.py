"""The rule tables of the ticket pre-fill (``config/prefill.yaml``), edited by administrators.

Each table is matched against the caller's normalized words (spaces between Chinese
characters removed); a word right after a negation (没有人受伤) does not count.

- request types: scored cues. Every type has groups of cues (one kind of evidence each)
  with a weight; a group counts once when any of its cues occurs; the type with the highest
  total wins, a tie goes to the type listed first. Cues are words or word patterns
  (:mod:`callcenter.config.prefill.cues`) that may use the file's word classes.
- topics: the most keyword hits times the topic's weight wins, ties by order.
- events (:mod:`callcenter.prefill.events`): what is happening, read with its tense
  (``tense``); the ones going on now give the emergency lines (ordered) and urgency.
- out-of-scope reasons: the first listed that matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from callcenter.config.prefill.cues import class_names, compile_cue, parse_cue

Keyword = Annotated[str, Field(min_length=1, max_length=30)]
Keywords = Annotated[list[Keyword], Field(min_length=1)]


def _cue_syntax(value: str) -> str:
    parse_cue(value)  # ValueError names the problem
    return value


def _plain_word(value: str) -> str:
    parts = parse_cue(value)
    if len(parts) != 1 or parts[0].classes or len(parts[0].words) != 1:
        raise ValueError(f"{value!r}: a word class lists plain words (no '|', '+', '…', {{}})")
    return value


Cue = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_cue_syntax)]
ClassWord = Annotated[str, Field(min_length=1, max_length=30), AfterValidator(_plain_word)]


class RequestType(StrEnum):
    """The plan's categories of what a caller asks for (受理范围)."""

    CONSULT = "咨询"
    HELP = "求助"
    COMPLAINT = "投诉"
    REPORT = "举报"
    SUGGESTION = "意见建议"


class EmergencyLine(StrEnum):
    POLICE = "110"
    FIRE = "119"
    AMBULANCE = "120"
    TRAFFIC = "122"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CueGroup(Strict):
    """One kind of evidence for a request type: any cue found adds ``weight`` once."""

    weight: int = Field(ge=1, le=9)
    cues: list[Cue] = Field(min_length=1)


LEGACY_GROUP = "keywords"


def _legacy_list(value: object) -> object:
    """The former form, ``投诉: [投诉, 不满意 …]``: one group of weight 1 for each type, so the
    first type listed that matches wins, as it did."""
    if isinstance(value, list):
        return {LEGACY_GROUP: {"weight": 1, "cues": value}}
    return value


CueGroups = Annotated[dict[str, CueGroup], BeforeValidator(_legacy_list), Field(min_length=1)]


class Topic(Strict):
    keywords: Keywords = Field(description="words of the matter itself: each counts 2")
    setting: list[Keyword] = Field(
        default_factory=list, description="words of where such matters happen (学校, 医院), "
        "said in other topics' calls too: each counts 1")
    unit: str = Field(min_length=1, description="suggested responsible unit (责任单位)")
    hotline: str = Field(min_length=5, description="the catalogue number of that unit's line")
    weight: int = Field(default=1, ge=1, le=9, description="what each keyword hit counts")
    with_emergency: list[Keyword] = Field(
        default_factory=list, description="words that keep the topic when the caller is "
        "referred to an emergency line (燃气, 电梯); without one, such a call has no topic")


def _event_cue(value: str) -> str:
    word, _, needs = value.partition("&")
    if not word or "&" in needs or (needs and not all(needs.split("|"))):
        raise ValueError(f"{value!r}: an event cue is a word, or 'word&context|context' "
                         "(a context word must be in the same sentence)")
    return value


EventCue = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_event_cue)]


class EventKind(Strict):
    """A kind of event (fire, someone hurt, no heating …) and what it calls for when it is
    going on now."""

    cues: list[EventCue] = Field(min_length=1)
    patterns: list[Cue] = Field(
        default_factory=list, description="words in order, as request-type cues are written "
        "(天然气|暖气…没了|停了: the one, then the other a few characters later)")
    refer: list[EmergencyLine] = Field(default_factory=list,
                                       description="lines to refer the caller to")
    urgent: bool = True
    first: bool = Field(default=False,
                        description="its line leads the referral (violence going on)")
    at_risk: list[Keyword] = Field(
        default_factory=list, description="when given, the event is urgent only when one of "
        "these is said: many households, someone who cannot wait (整栋楼, 全村, 老人, 制氧机)")
    alone: list[Keyword] = Field(
        default_factory=list, description="words that say it is the caller's home alone "
        "(就我家, 邻居家都有): not urgent")
    lasting: bool = Field(default=False, description="a state that goes on until it is "
                          "said to end (no water, someone missing): begun today or yesterday, "
                          "it is going on now")
    pure: bool = Field(default=False, description="a pure emergency (fire, crash, people "
                       "trapped): going on now, the call has no topic at all")
    subject: bool = Field(default=False, description="its cues' context words (after &) "
                          "say who it happens to (不见了&娃): they count only before the cue "
                          "or right after it, and not as the owner of something else "
                          "(娃娃的疫苗本丢了, 户口本丢了我要给娃娃…)")


class Tense(Strict):
    """Markers that say when an event happens, or whether at all (events.py)."""

    past: Keywords
    recent: Keywords = Field(description="昨天 …: past unless the sentence says it goes on")
    going_on: Keywords
    hypothetical: Keywords
    asking: Keywords
    reported: Keywords = Field(description="seen elsewhere: on TV, in the news, a drill")
    habitual: list[Keyword] = Field(default_factory=list,
                                    description="it happens often (天天, 老有人): no one event now")
    now: Keywords
    suffix: Keywords = Field(description="right after the event: hypothetical (的话)")
    victim: Keywords = Field(description="the caller is the one harmed (我被, 打我)")
    resolved: dict[str, Keywords] = Field(
        description="event kind (or all) → words that say it is over (已经灭了)")
    denied: dict[str, Keywords] = Field(
        description="event kind (or all) → words that deny it (人没事, 不严重)")


# the tense markers of a prefill.yaml in the former form (without `tense`)
LEGACY_TENSE: dict[str, Any] = {
    "past": ["去年", "前年", "上次", "上个月", "以前", "之前"],
    "recent": ["昨天", "前天"], "going_on": ["到现在", "还没", "一直"],
    "hypothetical": ["如果", "万一", "要是", "假如"], "asking": ["咨询", "想问", "请问"],
    "reported": ["电视", "新闻", "演练"], "now": ["刚才", "现在", "正在"],
    "suffix": ["的话"], "victim": ["我被"], "resolved": {"all": ["已经灭了", "已经过去了"]},
    "denied": {"all": ["没事了"]},
}


@dataclass(frozen=True, slots=True)
class CompiledGroup:
    name: str
    weight: int
    cues: tuple[tuple[str, re.Pattern[str]], ...]  # (as written, compiled)


RequestCues = list[tuple[RequestType, list[CompiledGroup]]]


class PrefillRules(Strict):
    cue_gap: int = Field(default=3, ge=0, le=20,
                         description="most characters a '…' of a cue spans")
    word_classes: dict[str, list[ClassWord]] = Field(
        default_factory=dict, description="name → words, used in cues as {name}")
    request_types: dict[RequestType, CueGroups] = Field(min_length=1)
    default_request_type: RequestType = RequestType.CONSULT
    request_model: bool = Field(
        default=True, description="the shipped request-type model decides (its features "
        "include the cues); false: the cues alone")
    topics: dict[str, Topic] = Field(min_length=1)
    events: dict[str, EventKind] = Field(
        min_length=1, description="what can happen: emergencies and matters that cannot wait")
    tense: Tense = Field(default_factory=lambda: Tense.model_validate(LEGACY_TENSE))
    referral_order: list[EmergencyLine] = Field(
        default_factory=lambda: [EmergencyLine(x) for x in ("119", "120", "110", "122")],
        min_length=4, max_length=4, description="the order of several referrals")
    out_of_scope: dict[str, Keywords] = Field(
        description="reason → keywords: matters 12345 does not accept (诉讼, 仲裁 …)")
    no_topic: list[Keyword] = Field(
        default_factory=list, description="words of matters outside the topic table (banks, "
        "insurers, traffic fines, police cases): counted like a topic that gives none")
    no_topic_reasons: list[str] = Field(
        default_factory=list, description="out-of-scope reasons whose calls have no topic "
        "(纪检监察)")
    _request_cues: RequestCues = PrivateAttr(default_factory=list)
    _event_reader: Any = PrivateAttr(default=None)
    _matcher: Any = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _legacy_flags(cls, data: Any) -> Any:
        """The former form, ``urgent: [words]`` and ``emergency: {line: [words]}``: each line
        an event kind referring to it, the urgent words one that only makes urgent."""
        if not isinstance(data, dict) or "events" in data:
            return data
        data = dict(data)
        events: dict[str, Any] = {}
        emergency, urgent = data.pop("emergency", None), data.pop("urgent", None)
        if isinstance(emergency, dict):
            events |= {f"line {line}": {"refer": [str(line)], "cues": words}
                       for line, words in emergency.items()}
        if urgent is not None:
            events["urgent"] = {"cues": urgent}
        data["events"] = events
        return data

    @field_validator("topics", "out_of_scope", "word_classes")
    @classmethod
    def _names(cls, value: dict[str, object]) -> dict[str, object]:
        for name in value:
            if not name.strip():
                raise ValueError("a name cannot be empty")
        return value

    @field_validator("request_types")
    @classmethod
    def _known_classes(cls, value: dict[RequestType, dict[str, CueGroup]],
                       info: ValidationInfo) -> dict[RequestType, dict[str, CueGroup]]:
        if "word_classes" not in info.data:  # invalid itself: reported already
            return value
        known = info.data["word_classes"]
        errors: list[InitErrorDetails] = []
        for kind, groups in value.items():
            for group_name, group in groups.items():
                for index, cue in enumerate(group.cues):
                    for name in class_names(cue):
                        if name not in known:
                            errors.append(InitErrorDetails(
                                type=PydanticCustomError(
                                    "unknown_word_class",
                                    "{cue}: {ref} is not a word class of word_classes",
                                    {"cue": cue, "ref": "{" + name + "}"}),
                                loc=(kind.value, group_name, "cues", index), input=cue))
        if errors:
            raise ValidationError.from_exception_data("request_types", errors)
        return value

    def model_post_init(self, context: Any, /) -> None:
        self._request_cues = [
            (kind, [CompiledGroup(name, group.weight, tuple(
                (c, compile_cue(c, self.word_classes, self.cue_gap)) for c in group.cues))
                for name, group in groups.items()])
            for kind, groups in self.request_types.items()]

    @field_validator("no_topic_reasons")
    @classmethod
    def _known_reasons(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = info.data.get("out_of_scope")
        for reason in value:
            if known is not None and reason not in known:
                raise ValueError(f"{reason!r} is not a reason of out_of_scope")
        return value

    @field_validator("tense")
    @classmethod
    def _known_kinds(cls, value: Tense, info: ValidationInfo) -> Tense:
        kinds = set(info.data.get("events") or {}) | {"all"}
        for name in (*value.resolved, *value.denied):
            if name not in kinds and info.data.get("events") is not None:
                raise ValueError(f"{name!r} is not an event kind of events (or all)")
        return value

    @property
    def request_cues(self) -> RequestCues:
        """The compiled cue groups of each type, in the file's order."""
        return self._request_cues
