"""The pre-fill on well-kept libraries (issue #25 item 4): phonenumbers for what a valid
Chinese number is, cn2an for spoken numerals, pyahocorasick for the word lists — their edge
cases as callers produce them."""

from __future__ import annotations

import pytest

from callcenter.config.loader import load_config
from callcenter.config.prefill.text import normalize, spoken, to_digits
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import extract
from callcenter.prefill.lexicon import Lexicon
from callcenter.prefill.phones import extract_phones, valid

RULES = load_config(PROJECT_ROOT / "config").prefill


def phones(text: str, city: str | None = None) -> list[str]:
    return extract_phones(normalize(text), city)


@pytest.mark.parametrize(("said", "digits"), [
    ("幺三八", "138"), ("两两三四", "2234"), ("一八九两零九三零零六六", "18920930066"),
    ("零九三一", "0931"), ("洞洞七", "007"), ("么五九", "159"), ("两千三", "2300"),
    ("三十五", "35"),
])
def test_spoken_numerals(said: str, digits: str) -> None:
    assert spoken(said) == digits


def test_digits_mixed_written_and_spoken() -> None:
    assert to_digits("138幺二三四5678") == "13812345678"
    assert to_digits("0931-幺二三") == "0931123"


def test_valid_numbers_by_phonenumbers() -> None:
    assert valid("13812345678") == "13812345678"
    assert valid("09318123456") == "09318123456"  # 兰州, 7 digits after 0931
    assert valid("02012345678") == "02012345678"  # 广州, a two-digit area code
    assert valid("4008123456") == "4008123456"
    assert valid("8008123456") == "8008123456"
    assert valid("0931812345") is None  # too short for 0931
    assert valid("12812345678") is None  # no such mobile prefix
    assert valid("8123456") is None  # a local number alone: no area code


def test_mobile_numbers_read_digit_by_digit() -> None:
    assert phones("电话 幺 三 八 幺 九 三 幺 两 两 三 四") == ["13819312234"]
    assert phones("一五九两五三七八八零九") == ["15925378809"]


@pytest.mark.parametrize(("text", "city", "expected"), [
    ("座机0931-8123456", None, ["09318123456"]),
    ("座机 零 九 三 幺 八 四 六 二 七 三 五", None, ["09318462735"]),
    ("座机八八四六二七三", "兰州市", ["09318846273"]),  # the area code of the city named
    ("电话是八六二三四五六", "天水市", ["09388623456"]),
    ("座机八八六六一二三", None, ["8866123"]),  # no city: the local number as said
    ("住了八八六六一二三天", "兰州市", []),  # digits without a phone word
])
def test_landlines_with_and_without_area_code(text: str, city: str | None,
                                              expected: list[str]) -> None:
    assert phones(text, city) == expected


def test_a_local_number_gets_the_area_code_of_the_call() -> None:
    found = extract(["你帮我记一下我家座机号码八八四六二七三", "我们在兰州七里河"], RULES)
    assert found.phones == ("09318846273",)


def test_400_and_800_numbers() -> None:
    assert phones("售后电话四零零八八六五五一二") == ["4008865512"]
    assert phones("客服 800-810-8888") == ["8008108888"]


def test_corrections_keep_only_the_corrected_number() -> None:
    assert phones("我电话是一八六幺九三幺五五二零，不对，说错了，是一八六幺九三幺五五二八") == [
        "18619315528"]
    assert phones("幺五九两五三七八八零六 不对不对 最后是零九") == ["15925378809"]
    # two numbers, no correction: both
    assert phones("家里0931-2617543，没人接打我儿子135 1931 2206") == [
        "09312617543", "13519312206"]


def test_cards_are_not_phones() -> None:
    assert phones("身份证 六 二 零 五 零 三 一 九 六 四 零 五 一 二 三 四 一 七") == []
    assert phones("12345热线") == []


def test_lexicon_finds_overlapping_and_longest_words_in_one_pass() -> None:
    lexicon = Lexicon([("临夏", ("place", "a")), ("临夏县", ("place", "b")),
                       ("夏县", ("place", "c")), ("着火", ("event", "fire"))])
    assert [h.word for h in lexicon.scan("临夏县着火")] == ["临夏县", "临夏", "夏县", "着火"]
    assert [h.word for h in lexicon.longest("临夏县着火")] == ["临夏县", "着火"]
    assert Lexicon([]).scan("anything") == []


def test_places_longest_name_in_one_pass() -> None:
    place = extract(["我们是积石山的"], RULES).place
    assert place.county == "积石山保安族东乡族撒拉族自治县"
    place = extract(["在七里河区敦煌路"], RULES).place  # 敦煌路 is a street, not 敦煌市
    assert (place.city, place.county, place.detail) == ("兰州市", "七里河区", "敦煌路")
