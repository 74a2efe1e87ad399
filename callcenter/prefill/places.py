"""Places in Gansu: 市州 and 县区 from the shipped gazetteer, and the street-level text after
them (雁滩路289号, 东岗街道某某小区3号楼)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from ruamel.yaml import YAML

from callcenter.prefill.address import Line, detail_after, named_anywhere
from callcenter.prefill.lexicon import Lexicon

GAZETTEER = Path(__file__).parent / "data" / "gansu.yaml"

# a place name followed by one of these names a street (敦煌路, 张掖路) or a town (古浪镇)
_STREET = re.compile(r"路|街|巷|大道|广场|镇|乡")
_LANDMARK = re.compile(r"山")  # 麦积山, 崆峒山: a sight, not the place a call is about
_ROUTE = re.compile(r"到|往|至|去")  # 兰州到临夏: a road between two places
_CORRECTION = re.compile(r"不对|说错|应该是|更正")


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
        the first city; the detail is the address words right after the last place named,
        else the first street, estate or landmark named anywhere (:mod:`address`). A name
        that begins a street's or town's name (敦煌路, 古浪镇) is not a place named: the
        detail starts with it; the two ends of a road (兰州到临夏的高速) are not the call's
        place; a place corrected (在古浪，不对，是天祝) is replaced. ``lines``: the utterances
        as the recognizer gave them (its spaces tell where a name begins)."""
        city = county = detail = None
        parsed = [Line.of(u) for u in lines]
        for line in parsed:
            text = line.text
            found: list[tuple[int, int, _Name]] = []
            for start, end, name in self._places(text):
                if _STREET.match(text, end):
                    detail = detail or detail_after(text[start:])
                    continue
                if found and _CORRECTION.search(text, found[-1][1], start):
                    city = county = detail = None
                found.append((start, end, name))
                if name.county is not None and county is None:
                    city, county = name.city, name.county
                elif city is None:
                    city = name.city
            if found and detail is None:
                detail = detail_after(text[found[-1][1]:])
        if detail is None:
            detail = next((d for d in map(named_anywhere, parsed) if d), None)
        return Place(city, county, detail)

    def _places(self, text: str) -> list[tuple[int, int, _Name]]:
        """The places named in ``text`` that can be the call's: not a sight's name (麦积山),
        not the ends of a road (兰州到临夏)."""
        mentions = self.mentions(text)
        starts = {start for start, _end, _name in mentions}
        route: set[int] = set()
        for (a, b, _x), (c, _d, _y) in pairwise(mentions):
            if _ROUTE.fullmatch(text, b, c):
                route |= {a, c}
        return [(start, end, name) for start, end, name in mentions
                if start not in route
                and not (_LANDMARK.match(text, end) and end not in starts)]  # 张掖山丹: two
