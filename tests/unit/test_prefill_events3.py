"""Round three of issue #25: danger told without alarm words, who an event happens to, denied
reports, kinds of cases named in general, and the order of lines when someone took pills
(sentences written for these tests, not taken from the corpora)."""

from __future__ import annotations

import pytest

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import extract

RULES = load_config(PROJECT_ROOT / "config").prefill


def referral(*said: str) -> tuple[str, ...] | None:
    return extract(list(said), RULES).emergency_referral


@pytest.mark.parametrize(("said", "lines"), [
    ("我奶奶坐在沙发上突然歪过去了，喊她也不应", ("120",)),  # called, does not answer
    ("我爸刚才说话舌头硬了，嘴里含含糊糊的", ("120",)),  # a stroke
    ("工人从脚手架上摔下来了，躺在那喊腿疼", ("120",)),
    ("他手上划了个口子，流了一大摊的血", ("120",)),
    ("楼下那个男的拎着一把斧头在追人", ("110",)),  # a weapon in hand
    ("墙倒了，压着两个小孩", ("119", "120")),  # people pinned
    ("一辆货车把路边放的羊撞死了两只，司机跑了", ("122",)),  # a vehicle hit something
    ("我们屋里烧着炉子，我和我妈都头疼想吐", ("119", "120")),  # carbon monoxide
    ("商场门口有个小孩一个人在哭，找不到大人", ("110",)),  # a child alone
])
def test_danger_without_alarm_words_is_referred(said: str, lines: tuple[str, ...]) -> None:
    assert referral(said) == lines


@pytest.mark.parametrize("said", [
    "我家孩子的学生证丢了，补办要多长时间",  # the child's card is lost, not the child
    "我的身份证丢了，我要给我儿子办转学",  # the card, not the son
    "我儿子的自行车不见了，停在楼下的",
])
def test_a_missing_person_is_the_one_gone_not_the_owner(said: str) -> None:
    found = extract([said], RULES)
    assert found.emergency_referral is None and not found.urgent


def test_a_child_gone_is_still_missing() -> None:
    """(A guard: the subject rule keeps the person who is gone.)"""
    assert referral("我儿子不见了，到处都找不到") == ("110",)
    assert referral("联系不上我儿子了，一天一夜没回家") == ("110",)


@pytest.mark.parametrize("said", [
    "我没有说有人打架，我是说他们喝酒划拳声音大",
    "我不是说着火了，是烧烤摊的烟太大",
])
def test_a_denied_report_denies_what_it_reports(said: str) -> None:
    assert referral(said) is None


def test_a_kind_of_case_named_in_general_is_not_one_going_on() -> None:
    assert referral("我们这一到冬天都有煤气中毒的，能不能发个报警器") is None
    assert referral("我们这今天有人煤气中毒了") == ("119", "120")


def test_a_hurt_person_recovered_needs_no_ambulance() -> None:
    assert referral("我妈刚才胸口疼，吃了药现在已经好了，想问问挂什么科") is None


def test_pills_taken_after_a_suicide_threat_the_ambulance_leads() -> None:
    assert referral("我朋友说不想活了，刚才吃了一整板药") == ("120", "110")
    assert referral("我朋友说不想活了，一直在哭") == ("110",)


def test_a_verb_and_its_object_split_by_an_aspect_particle() -> None:
    assert referral("我师傅在车间里中了毒，刚才一直吐") == ("120",)  # 中毒 said as 中了毒
    assert referral("去年我师傅在车间里中了毒") is None  # and still read in its tense
