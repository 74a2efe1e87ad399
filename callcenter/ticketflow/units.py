"""The units that handle tickets (承办单位, ``config/units.yaml``): the provincial departments
it names, and — from the pre-fill's gazetteer, not written twice — the 14 市州 and their 县区.
A unit's id is its name as tickets carry it (省民政厅, 兰州市, 城关区).

The dispatch catalogue (派单目录, ``config/dispatch.yaml``) says where a matter goes: by the
pre-fill's topic and request type, to a department or to the place's own county or city
(属地). A department's matter goes down to a county only where the catalogue says so."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from pydantic import Field

from callcenter.config.models import Strict
from callcenter.config.prefill.rules import RequestType
from callcenter.errors import TicketFlowError
from callcenter.prefill.places import Gazetteer


class Level(StrEnum):
    PROVINCE = "province"  # 省直部门
    CITY = "city"  # 市州
    COUNTY = "county"  # 县区


LEVEL_WORDS = {Level.PROVINCE: "省直部门", Level.CITY: "市州", Level.COUNTY: "县区"}
PLACE = {"county", "city"}  # a rule's ``to`` that means the ticket's own place


@dataclass(frozen=True, slots=True)
class Unit:
    id: str
    name: str  # as people read it: 兰州市城关区
    level: Level
    parent: str = ""  # a county's city

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "level": self.level.value,
                "parent": self.parent}


class UnitsFile(Strict):
    departments: list[str] = Field(min_length=1)
    places: bool = True  # the gazetteer's 市州 and 县区 are units


class Rule(Strict):
    topic: str = ""
    request_type: RequestType | None = None
    to: str  # "county", "city" or a department
    assist: list[str] = Field(default_factory=list)
    down: bool = False  # a department's matter may go to the place's county or city


class DispatchFile(Strict):
    rules: list[Rule] = Field(default_factory=list)
    default: str = "county"


@dataclass(frozen=True, slots=True)
class Suggestion:
    unit: str
    assists: tuple[str, ...]
    rule: Rule | None  # None: the default (属地)


class Units:
    def __init__(self, units: Iterable[Unit], catalogue: DispatchFile) -> None:
        self.by_id: dict[str, Unit] = {u.id: u for u in units}
        self.catalogue = catalogue

    @classmethod
    def of(cls, units_file: UnitsFile, catalogue: DispatchFile,
           gazetteer: Gazetteer | None = None) -> Units:
        found = [Unit(d, d, Level.PROVINCE) for d in units_file.departments]
        if units_file.places:
            places = gazetteer or Gazetteer.shipped()
            found += [Unit(c, c, Level.CITY) for c in places.cities]
            found += [Unit(county, city + county, Level.COUNTY, city)
                      for county, city in places.counties.items()]
        return cls(found, catalogue)

    def get(self, unit_id: str) -> Unit:
        unit = self.by_id.get(unit_id)
        if unit is None:
            raise TicketFlowError(f"没有承办单位“{unit_id[:40]}”（run.py units list）")
        return unit

    def problems(self) -> list[str]:
        """Units the catalogue names that are not units."""
        named = [self.catalogue.default]
        for rule in self.catalogue.rules:
            named += [rule.to, *rule.assist]
        return [f"dispatch.yaml names {u!r}, which is not a unit of units.yaml"
                for u in dict.fromkeys(named) if u not in PLACE and u not in self.by_id]

    def suggest(self, fields: Mapping[str, object]) -> Suggestion | None:
        """Where the catalogue sends a ticket of these pre-filled fields (topic, request type,
        city, county); None when the place it needs is not known."""
        topic, kind = str(fields.get("topic") or ""), str(fields.get("request_type") or "")
        for rule in self.catalogue.rules:
            if (rule.topic and rule.topic != topic) or \
                    (rule.request_type is not None and rule.request_type.value != kind):
                continue
            unit = self._target(rule.to, fields)
            return None if unit is None else Suggestion(unit, tuple(rule.assist), rule)
        unit = self._target(self.catalogue.default, fields)
        return None if unit is None else Suggestion(unit, (), None)

    def _target(self, to: str, fields: Mapping[str, object]) -> str | None:
        if to not in PLACE:
            return to
        county, city = str(fields.get("county") or ""), str(fields.get("city") or "")
        if to == "county" and county in self.by_id:
            return county
        return city if city in self.by_id else None

    def check_dispatch(self, fields: Mapping[str, object], unit: str,
                       assists: Iterable[str]) -> None:
        """Every unit known; a department's matter not pushed down to a county unit unless
        its catalogue rule allows it (国办函〔2025〕66号: no pushing line departments' work
        down to grassroots units)."""
        chosen = self.get(unit)
        for other in assists:
            self.get(other)
        suggested = self.suggest(fields)
        if suggested is None or chosen.level is not Level.COUNTY:
            return
        meant = self.by_id.get(suggested.unit)
        if meant is not None and meant.level is Level.PROVINCE and not (
                suggested.rule is not None and suggested.rule.down):
            raise TicketFlowError(f"派单目录将此事项列为{meant.name}的职责，"
                                  f"不得派至县区单位{chosen.name}")
