"""Places in Gansu: 市州 and 县区 from the shipped gazetteer, and the street-level text after
them (雁滩路289号, 东岗街道某某小区3号楼)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ruamel.yaml import YAML

from callcenter.prefill.lexicon import Lexicon

GAZETTEER = Path(__file__).parent / "data" / "gansu.yaml"

# What ends an address: the last of these within the words after the place ends the detail.
_ADDRESS_END = re.compile(
    r"(街道|大道|号院|号楼|小区|家属院|新村|社区|单元|大厦|广场|市场|门口|附近|对面|旁边|停车场|高速|"
    r"路|街|巷|号|村|镇|乡|楼|室|院|苑|园|组|队)")
_FILLERS = ("这边", "那边", "那个", "这个", "刚才", "今天", "昨天", "现在", "已经", "一直",
            "的", "是", "在", "了")
_STOP = re.compile(r"[，。,.;；！!？?、]")
DETAIL_MAX = 40
DETAIL_MIN = 3  # 公园路, 古浪镇: a name and an address word
# words of a description, not of an address (一个老家属院, 这几年新盖了那么多小区)
_NOT_ADDRESS = re.compile(r"了|那么|这几|一个|都|没|我")
# a place name followed by one of these names a street (敦煌路, 张掖路) or a town (古浪镇)
_STREET = re.compile(r"路|街|巷|大道|广场|镇|乡")
_LANDMARK = re.compile(r"山")  # 麦积山, 崆峒山: a sight, not the place a call is about


@dataclass(frozen=True, slots=True)
class Place:
    city: str | None = None
    county: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"city": self.city, "county": self.county, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class _Name:
    city: str
    county: str | None


class Gazetteer:
    def __init__(self, data: dict[str, list[str]]) -> None:
        self.names: dict[str, _Name] = {}
        self.cities: list[str] = []
        self.counties: dict[str, str] = {}
        for city_key, counties in data.items():
            city, *city_aliases = city_key.split("|")
            self.cities.append(city)
            for alias in (city, *city_aliases):
                self.names[alias] = _Name(city, None)
            for county_key in counties:
                county, *aliases = county_key.split("|")
                self.counties[county] = city
                for alias in (county, *aliases):
                    self.names[alias] = _Name(city, county)
        self._lexicon = Lexicon((name, ("place", name)) for name in self.names)

    @classmethod
    @cache
    def shipped(cls) -> Gazetteer:
        return cls(YAML(typ="safe").load(GAZETTEER.read_text(encoding="utf-8")))

    def mentions(self, text: str) -> list[tuple[int, int, _Name]]:
        """(start, end, name) of every place named, the longest name where names overlap
        (临夏县 inside 临夏回族自治州 is not a place of its own) — one pass (Aho-Corasick)."""
        return [(hit.start, hit.end, self.names[hit.word]) for hit in self._lexicon.longest(text)]

    def find(self, lines: list[str]) -> Place:
        """The most specific place named: the first county (its city follows from it), else
        the first city; the detail is the address words right after the last place named.
        A name that begins a street's or town's name (敦煌路, 古浪镇) is not a place named:
        the detail starts with it."""
        city = county = detail = None
        for line in lines:
            found = []
            for start, end, name in self.mentions(line):
                if _LANDMARK.match(line, end):
                    continue
                if _STREET.match(line, end):
                    if detail is None:
                        detail = _detail(line[start:])
                    continue
                found.append((start, end, name))
            for _start, _end, name in found:
                if name.county is not None and county is None:
                    city, county = name.city, name.county
                elif city is None:
                    city = name.city
            if found and detail is None:
                detail = _detail(line[found[-1][1]:])
        return Place(city, county, detail)


def _detail(after: str) -> str | None:
    """The address words at the start of ``after``: up to the last address word (路, 号,
    小区 …) of the clause, when a name (two characters or more) comes before the first."""
    clause = _STOP.split(after, 1)[0][:DETAIL_MAX]
    changed = True
    while changed:
        changed = False
        for filler in _FILLERS:
            if clause.startswith(filler):
                clause, changed = clause[len(filler):], True
    ends = list(_ADDRESS_END.finditer(clause))
    if not ends or ends[-1].end() < DETAIL_MIN:
        return None
    detail = clause[:ends[-1].end()]
    return None if _NOT_ADDRESS.search(detail) else detail
