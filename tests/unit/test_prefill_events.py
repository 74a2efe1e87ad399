"""Emergencies and urgency from events, their tense and who is at risk (issue #25 item 1):
the same emergency sentence said now, in the past, as a question, as a hypothesis or denied
gives a referral only when it is happening now."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import extract

RULES = load_config(PROJECT_ROOT / "config").prefill

# (said now, the same with 没有 in front of the event, the referral now)
EMERGENCIES = [
    ("楼下饭馆着火了烟很大", "楼下饭馆没有着火", ("119",)),
    ("路口两个车撞了有人受伤了在流血", "路口两个车撞了没有人受伤", None),
    ("有人在小区门口打架拿着刀", "小区门口没有人打架", ("110",)),
    ("我家娃娃掉到河里了", "我家娃娃没有掉到河里", ("110",)),
    ("我爸晕倒了叫不醒", "我爸没有晕倒", ("120",)),
    ("单元里天然气泄漏了一股味道", "单元里天然气没有泄漏", ("119",)),
    ("我们三个人困在电梯里了", "电梯里没有被困的人", ("119",)),
    ("我孙子走丢了到现在没找着", "我孙子没有走丢", ("110",)),
]
NOT_NOW = ["去年", "前年冬天", "上次", "如果", "万一", "要是", "我想咨询一下如果",
           "我在电视上看到", "我们单位搞消防演练说", "我想问一下假如"]


def referral(text: str) -> tuple[str, ...] | None:
    return extract([text], RULES).emergency_referral


def test_each_emergency_now_is_referred() -> None:
    assert referral("楼下饭馆着火了烟很大") == ("119",)
    assert referral("路口两个车撞了有人受伤了在流血") == ("120", "122")
    for now, _denied, lines in EMERGENCIES:
        if lines is not None:
            assert referral(now) == lines, now


@given(st.sampled_from(EMERGENCIES), st.sampled_from(NOT_NOW))
def test_past_asked_or_hypothetical_flips_the_referral(case: tuple[str, str, object],
                                                       before: str) -> None:
    now, _denied, _lines = case
    assert referral(now)
    found = extract([before + now], RULES)
    assert found.emergency_referral is None, before + now
    assert not found.urgent, before + now


@given(st.sampled_from(EMERGENCIES))
def test_denied_flips_the_referral(case: tuple[str, str, object]) -> None:
    now, denied, _lines = case
    assert referral(now)
    if "车" in denied:  # a crash now with nobody hurt: the traffic police only
        assert referral(denied) == ("122",)
    else:
        assert referral(denied) is None, denied


@pytest.mark.parametrize(("text", "lines"), [
    ("路口小轿车把骑电动车的老汉撞了，老汉躺在地上起不来，头上在流血", ("120", "122")),
    ("厨房油锅着火了，我老公手上烧伤了", ("119", "120")),
    ("楼下三四个人围着一个打，那个人头上在流血", ("110", "120")),
    ("有个娃娃掉到黄河里了在水里扑腾", ("110",)),
    ("有个男的站在楼顶上要往下跳", ("110", "119")),  # a jump: the police, then the rescue
    ("桥上站着一个女子哭着说不想活了", ("110", "119")),
    ("我男人喝了酒一直说不想活了", ("110",)),
    ("车子翻到沟里了，我被困在车里出不来，腿压住了", ("119", "120", "122")),
])
def test_several_referrals_most_urgent_first(text: str, lines: tuple[str, ...]) -> None:
    assert referral(text) == lines


@pytest.mark.parametrize("text", [
    "车祸已经过去了，刚才那个老汉已经送医院了",  # solved
    "昨天晚上车棚着火了，已经灭了，没有人受伤",
    "前两天我爸走丢了一回，后来派出所给送回来了",
    "我看新闻说外地有个小区电梯困人困了两个小时",
    "我男人前年出车祸走了，对方到现在不肯赔",
    "膝盖擦破点皮，不严重，想问社区医院周末开门吗",
])
def test_nothing_happening_now_is_not_referred(text: str) -> None:
    assert referral(text) is None, text


def test_urgent_without_an_emergency_line() -> None:
    heating = extract(["我们这栋楼暖气从前天就不热了，屋里只有八度，老人都冻病了"], RULES)
    assert heating.urgent and heating.emergency_referral is None
    machine = extract(["整个村停电了，我爸离不开制氧机"], RULES)
    assert machine.urgent and machine.emergency_referral is None
    assert extract(["楼上水管爆了，水往下哗哗流"], RULES).urgent
    # past, solved, planned or asked: not urgent
    assert not extract(["上个月停过两次水，现在已经恢复了，想问水费涨了没有"], RULES).urgent
    assert not extract(["我想问一下下个礼拜计划停电是几点到几点"], RULES).urgent
    assert not extract(["我们这边没停水，想问水费怎么交"], RULES).urgent


def test_a_lift_is_urgent_only_with_people_in_it() -> None:
    empty = extract(["电梯坏了三天了，里面没人，就是停着不动，物业一直拖着不修"], RULES)
    assert not empty.urgent and empty.emergency_referral is None
    assert empty.topic == "城市管理"
    full = extract(["电梯卡在七楼和八楼中间了，里面关着三个人"], RULES)
    assert full.urgent and full.emergency_referral == ("119",)
    assert full.topic is None  # people trapped: a pure emergency, as labellers mark it


def test_a_pure_emergency_has_no_topic_but_a_gas_leak_is_gas() -> None:
    fire = extract(["对面楼着火了冒的黑烟好大，五楼还有人在喊"], RULES)
    assert fire.emergency_referral == ("119",) and fire.topic is None
    gas = extract(["一进单元门就闻到好大一股煤气味"], RULES)
    assert gas.emergency_referral == ("119",) and gas.topic == "水电气热"


def test_a_bystander_reports_a_crime_a_victim_asks_for_help() -> None:
    seen = extract(["有人在我们小区门口打架，三四个人围着一个打"], RULES)
    assert seen.emergency_referral == ("110",) and seen.request_type == "举报"
    hit = extract(["我老公喝了酒回来就打我，现在还拿着刀在门口"], RULES)
    assert hit.emergency_referral == ("110",) and hit.request_type == "求助"


def test_the_desktop_gets_the_referrals_as_a_list() -> None:
    fields = extract(["路口车祸有人受伤了"], RULES).as_dict()
    assert fields["emergency_referral"] == ["120", "122"]
    assert extract(["我想问一下医保怎么交"], RULES).as_dict()["emergency_referral"] is None


@pytest.mark.parametrize(("text", "urgent"), [
    ("我们整栋楼从前天就停水了", True),  # many households
    ("我们养老院停电了，有几个老人用制氧机", True),  # someone who cannot wait
    ("我们这一条街的自来水从早上停了，饭馆都开不了门", True),
    ("我家停电了，邻居家都有电，是不是欠费了", False),  # the caller's home alone
    ("我家暖气不太热", False),
])
def test_an_outage_is_urgent_when_many_or_the_frail_are_without(text: str, urgent: bool) -> None:
    found = extract([text], RULES)
    assert found.urgent is urgent and found.emergency_referral is None


def test_a_state_begun_today_is_going_on_an_event_is_not() -> None:
    assert extract(["我们幼儿园今天早上天然气没了，娃娃们的午饭做不了"], RULES).urgent
    assert referral("昨天晚上车棚着火了") is None


def test_a_marker_far_before_the_event_says_nothing_of_it() -> None:
    text = "我打电话是想问一下孩子上幼儿园有没有补助哎先别说这个了我家楼下着火了"
    assert referral(text) == ("119",)
    assert extract([text], RULES).request_type == "求助"


@pytest.mark.parametrize("text", [
    "我家老汉心脏病犯了已经让救护车拉到县医院了，我想问问急救费能不能报",  # handled
    "楼下两个人打架，警察已经来了把人带走了",
    "我儿子掉到河里淹死了，那是三年前的事了，河边到现在也没个护栏",  # told as past
    "这个小区晚上老有人喝醉闹事",  # habitual
    "没有着火，是楼下烧烤摊子的烟太大了，我还以为着火了",  # mistaken
    "刚才楼道里有股煤气味，燃气公司来人查了说没事",
])
def test_handled_past_habitual_or_mistaken_is_not_referred(text: str) -> None:
    assert referral(text) is None, text


@pytest.mark.parametrize(("text", "lines"), [
    ("我婆婆在院子里滑倒了后脑勺着地，现在叫她也不答应", ("120",)),
    ("骑摩托的跟拉砖的车撞上了，人压在车底下拉不出来", ("119", "120", "122")),
    ("我家娃娃把硬币咽下去了，卡在嗓子里喘不上来气", ("120",)),
    ("对门门缝里一直往外冒烟，敲门也没人应", ("119",)),
    ("我家女子昨天晚上出去到现在没回家，电话关机", ("110",)),
])
def test_emergencies_said_without_alarm_words(text: str, lines: tuple[str, ...]) -> None:
    assert referral(text) == lines, text


@pytest.mark.parametrize(("text", "kind"), [
    ("我们村后山着起来了，火往林子里烧", "求助"),  # a fire: help, whoever calls
    ("有个喝醉的开着车在街上乱窜，刚把路边的摊子撞翻了", "举报"),  # someone else's offence
    ("我刚才被人骗了，说是老师让我转了三千块钱补课费", "求助"),  # the caller's own loss
])
def test_an_emergency_is_help_unless_a_bystander_reports_an_offence(text: str,
                                                                    kind: str) -> None:
    found = extract([text], RULES)
    assert found.emergency_referral and found.request_type == kind, text
