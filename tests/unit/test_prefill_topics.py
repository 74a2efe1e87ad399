"""Topics by what the caller needs (issue #25, round two): words of the matter weigh more than
words of where it happens, a word inside a longer one or in a street's name is not a word of
the matter, matters outside the table and pure emergencies have none — as heldout3.md's
labellers mark them."""

from __future__ import annotations

import pytest

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import extract

RULES = load_config(PROJECT_ROOT / "config").prefill


def topic(*lines: str) -> str | None:
    return extract(list(lines), RULES).topic


@pytest.mark.parametrize(("text", "expected"), [
    ("学校门口的小卖部卖烟给学生，老师也不管", "烟草"),  # 学校, 学生: where, not what
    ("小区里流浪狗越来越多，晚上成群地叫", "城市管理"),  # 流浪 inside 流浪狗
    ("我在饭馆吃饭要发票，老板说要开得加税点。在兰州城关区农民巷", "税务"),  # a street's name
    ("有人在河里电鱼，好几个晚上了", "农业农村"),  # the labellers' choices
    ("我家房子被征收了，补偿款到现在还没给", "城市管理"),
    ("广场上天天晚上跳广场舞，音响开得特别大，吵得睡不着", "生态环境"),
    ("我想问一下开个小卖部办营业执照要啥材料", "市场监管"),
])
def test_the_matter_decides(text: str, expected: str) -> None:
    assert topic(text) == expected


@pytest.mark.parametrize("text", [
    "银行说我贷款逾期了，上了征信，我根本没逾期",  # banks
    "我收到一个违章短信，说我在高速上超速，罚两百扣三分",  # traffic fines
    "我要反映镇上一个干部收了人家的钱给人家批宅基地，这是受贿",  # corruption: 纪检监察
    "楼下小卖部门口的煤气罐着火了，老板腿上烧伤了",  # a fire, whatever burns
    "电梯卡在七楼和八楼中间了，里面有个老人和一个娃娃",  # people trapped
])
def test_no_topic_outside_the_table_or_in_a_pure_emergency(text: str) -> None:
    assert topic(text) is None, text


def test_a_gas_leak_keeps_its_topic() -> None:
    found = extract(["我们单元楼道里天然气管子那块漏气，一股味道"], RULES)
    assert found.emergency_referral == ("119",) and found.topic == "水电气热"
