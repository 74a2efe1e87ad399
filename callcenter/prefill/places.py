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
_PASSING = re.compile(r"去|到|来|从|回")  # 去敦煌玩, 从定西回来: passed through
_BRAND = re.compile(r"烟|拉面|牛肉面|牌")  # 兰州烟, 兰州拉面: no place


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
        detail starts with it; the two ends of a road (兰州到临夏的高速) and a brand (兰州烟,
        兰州拉面) are not the call's place; a place passed through (去敦煌玩了一趟, 从定西
        回来) counts only when no other is named; a place corrected (在古浪，不对，是天祝)
        is replaced. ``lines``: the utterances as the recognizer gave them (their spaces tell
        where a name begins)."""
        parsed = [Line.of(u) for u in lines]
        detail: str | None = None
        named: list[tuple[_Name, bool]] = []  # (place, passed through)
        last: tuple[int, int] | None = None  # (line, end) of the last place named
        for index, line in enumerate(parsed):
            text = line.text
            ends = []
            for start, end, name in self._places(text):
                if _STREET.match(text, end):
                    detail = detail or detail_after(text[start:])
                    continue
                if last is not None and _CORRECTION.search(_between(parsed, last, index, start)):
                    named, detail = [], None
                named.append((name, _PASSING.search(text, max(0, start - 2), start) is not None))
                last = (index, end)
                ends.append(end)
            if ends and detail is None:
                detail = detail_after(text[ends[-1]:])
        if detail is None:
            detail = next((d for d in map(named_anywhere, parsed) if d), None)
        city, county = _choose([n for n, passing in named if not passing]
                               or [n for n, _passing in named])
        return Place(city, county, detail)

    def _places(self, text: str) -> list[tuple[int, int, _Name]]:
        """The places named in ``text`` that can be the call's: not a sight's name (麦积山),
        not a brand (兰州烟), not the ends of a road (兰州到临夏)."""
        mentions = self.mentions(text)
        starts = {start for start, _end, _name in mentions}
        route: set[int] = set()
        for (a, b, _x), (c, _d, _y) in pairwise(mentions):
            if _ROUTE.fullmatch(text, b, c):
                route |= {a, c}
        return [(start, end, name) for start, end, name in mentions
                if start not in route and not _BRAND.match(text, end)
                and not (_LANDMARK.match(text, end) and end not in starts)]  # 张掖山丹: two


def _between(lines: list[Line], last: tuple[int, int], index: int, start: int) -> str:
    """What was said from the end of the last place named to ``start`` of line ``index``."""
    line, end = last
    if line == index:
        return lines[index].text[end:start]
    return lines[line].text[end:] + "".join(x.text for x in lines[line + 1:index]) + \
        lines[index].text[:start]


def _choose(named: list[_Name]) -> tuple[str | None, str | None]:
    """(city, county): the first county named and its city, else the first city."""
    county = next((n for n in named if n.county is not None), None)
    if county is not None:
        return county.city, county.county
    return (named[0].city, None) if named else (None, None)
