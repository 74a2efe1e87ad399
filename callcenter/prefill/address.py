"""The place's detail as a ticket wants it: the street, road, estate, village, town or landmark
where the matter is, as the caller says it (雁滩路289号, 银光小区, 梅川镇, 中山桥) — after the
county or city named, or said alone (住在正宁路那边, 在连霍高速永昌那一段).

A name is the characters right before an address word (路, 街, 小区, 镇 …): the recognizer's
word that ends with the address word (``正宁路``), or the word before an address word of its
own (``银光 小区``); in text without spaces, the characters back to one no name has (在, 的,
我们 …). Descriptions are not addresses (一个老家属院, 那条路, 我们小区, 路口, 93路), nor
generic institutions (人民医院, 一中)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# what ends an address: the last of these within the clause ends the detail
ADDRESS_END = re.compile(
    r"(街道|大道|大街|号院|号楼|小区|家园|花园|家属院|新村|社区|单元|大厦|广场|市场|门口|附近|对面|"
    r"旁边|停车场|高速|水库|湿地|安置点|十字|什字|大桥|公园|路|街|巷|号|村|镇|乡|楼|室|院|苑|园|组|"
    r"队|墩|湾|坪|堡|庄)")
# the address words a name said alone ends with
NAMED = re.compile(
    r"(街道|大道|大街|小区|家园|花园|家属院|新村|社区|广场|公园|高速|水库|湿地|安置点|十字|什字|"
    r"大桥|路|街|巷|村|镇|乡|桥|关|墩|湾|坪|堡|庄|滩)")
_OWN_WORD = 2  # an address word this long can be a word of its own (银光 小区)
# characters no name has (words of the sentence around it)
_NOT_NAME = set("的了我你他她们这那个是在有都没不也就还要把被给和跟到去来说啥咋么呢吧啊呀吗嘛喂很"
                "太几每各哪谁让叫从往向对离住边面一找问看买卖报办走迷")
_WHERE = set("在到是的去于往从住")  # a name said alone follows one of these, in text without spaces
_FUNCTION = re.compile(r"^(如果|要是|因为|所以|但是|可是|就是|然后|现在|刚才|今天|昨天|或者|还是)+")
# a name of these alone is a description, not an address (老小区, 隔壁村, 菜市场)
_GENERIC = {"马", "公", "道", "大", "小", "土", "山", "水泥", "柏油", "老", "新", "老旧", "隔壁",
            "对面", "旁边", "附近", "整", "全", "菜", "农贸", "早", "夜", "城", "县", "乡", "村",
            "镇", "街", "本", "后", "前", "路", "高", "条", "河", "沙", "草", "农", "饭", "军",
            "海"}
_NUMERAL = set("零〇一二三四五六七八九十百两幺0123456789")  # 93路, 二路: a bus line
_LOCATIVE = ("", "上", "边", "那边", "这边", "附近", "旁边", "对面", "一带", "那一段", "这一段")
_DIRECTION = set("东西南北中")  # 北街, 南关: a one-character name
_FILLERS = ("这边", "那边", "那个", "这个", "刚才", "今天", "昨天", "现在", "已经", "一直",
            "的", "是", "在", "了")
_POINTING = ("那条", "这条", "那片", "这片", "一条", "那", "这")  # 那条高速: said, not named
_STOP = re.compile(r"[，。,.;；！!？?、]")
# words of a description, not of an address: the detail ends before them
_DESCRIPTION = re.compile(r"了|那么|这几|个|都|没|我")
_INSTITUTION = re.compile(
    r"(医院|卫生院|学校|中学|小学|一中|二中|大学|幼儿园|大厅|图书馆|政府|派出所)"
    r"(门口|附近|对面|旁边)?$")
DETAIL_MAX = 40
DETAIL_MIN = 3  # 公园路, 古浪镇: a name and an address word
NAME_MAX = 4  # characters of a name before its address word, in text without spaces
WORD_LENGTH = (1.5, 3.5)  # a line whose words are this long on average is the recognizer's


@dataclass(frozen=True, slots=True)
class Line:
    """One utterance without spaces, and where its words began (the recognizer's words)."""

    text: str
    starts: tuple[int, ...]
    spaced: bool

    @classmethod
    def of(cls, utterance: str) -> Line:
        words = unicodedata.normalize("NFKC", utterance).split()
        starts, at = [], 0
        for word in words:
            starts.append(at)
            at += len(word)
        shortest, longest = WORD_LENGTH  # (one character a word: spaces say nothing)
        spaced = len(words) > 2 and shortest <= at / len(words) <= longest
        return cls("".join(words), tuple(starts), spaced)

    def word_at(self, index: int) -> tuple[int, int]:
        """(start, end) of the recognizer's word around ``index``."""
        start = max(s for s in self.starts if s <= index)
        end = min((s for s in self.starts if s > index), default=len(self.text))
        return start, end


def detail_after(after: str) -> str | None:
    """The address words at the start of ``after`` (the text right after a place named): up
    to the last address word of the clause, before any description word; a name must come
    first (小区的楼 is none)."""
    clause = _STOP.split(after, 1)[0][:DETAIL_MAX]
    changed = True
    while changed:
        changed = False
        for filler in _FILLERS:
            if clause.startswith(filler):
                clause, changed = clause[len(filler):], True
    if clause.startswith(_POINTING):
        return None
    described = _DESCRIPTION.search(clause)
    if described is not None:
        clause = clause[:described.start()]
    ends = list(ADDRESS_END.finditer(clause))
    if not ends:
        return None
    detail = clause[:ends[-1].end()]
    bare = ends[0].start() == 0 and (len(ends) == 1 or ends[1].start() > ends[0].end())
    if bare or _INSTITUTION.search(detail):  # 小区的楼: no name; 公园路 is one
        return None
    short = len(detail) == 2 and detail[0] in _DIRECTION and detail[1] in "街路关"  # 北街
    return detail if len(detail) >= DETAIL_MIN or short else None


def named_anywhere(line: Line) -> str | None:
    """The first address with a name in ``line``, wherever it is said (住在正宁路那边)."""
    text = line.text
    for match in NAMED.finditer(text):
        if text.startswith("口", match.end()):  # 路口: a crossing, not a road's name
            continue
        start = _name_start(line, match)
        if start is None:
            continue
        name = _FUNCTION.sub("", text[start:match.start()])
        start = match.start() - len(name)
        if text[:start].endswith("个"):  # 建一个文化广场: a description
            continue
        if _named(name, match.group()):
            found = detail_after(text[start:]) or text[start:match.end()]
            return None if _INSTITUTION.search(found) else found
    return None


def _named(name: str, word: str) -> bool:
    """Whether ``name`` before the address word ``word`` is a name (雁滩, 北 of 北街)."""
    if not name or not all("\u4e00" <= c <= "\u9fff" for c in name):
        return False
    if _NOT_NAME & set(name) or name in _GENERIC or set(name) <= _NUMERAL:
        return False
    if set(name) & set("区县市州上里"):  # 麦积区桥南: a county; 村里, 山上: where
        return False
    if word == "关":  # 西关, 北关: a quarter named by its direction
        return name in _DIRECTION
    return len(name) >= 2 or (name in _DIRECTION and word in ("街", "路"))


def _name_start(line: Line, match: re.Match[str]) -> int | None:
    """Where the name before the address word ``match`` begins, or None."""
    if not line.spaced:  # back to a word no name has, which must say where (在, 到 …)
        start = match.start()
        while (start > 0 and match.start() - start < NAME_MAX
               and line.text[start - 1] not in _NOT_NAME):
            start -= 1
        if start in (0, match.start()) or line.text[start - 1] not in _WHERE:
            return None
        return start
    start, end = line.word_at(match.start())
    if line.text[match.end():end] not in _LOCATIVE:
        return None  # 路口, 村上: the address word begins another word
    if start < match.start():
        return start  # 正宁路: the word ends with it
    if len(match.group()) < _OWN_WORD or start == 0:
        return None
    return line.word_at(start - 1)[0]  # 银光 小区: the word before
