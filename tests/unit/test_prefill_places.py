"""The place of the call (issue #25, round two): a street, estate, village, town or landmark
said with or without the county, not descriptions; the ends of a road, a brand and a place
passed through are not the call's place; a corrected place replaces the first."""

from __future__ import annotations

import pytest

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import extract

RULES = load_config(PROJECT_ROOT / "config").prefill


def place(*lines: str) -> tuple[str | None, str | None, str | None]:
    found = extract(list(lines), RULES).place
    return found.city, found.county, found.detail


@pytest.mark.parametrize(("lines", "detail"), [
    (["住 在 正宁路 那边 的 一 个 老 小区 下水道 堵 了"], "正宁路"),  # a street said alone
    (["我家在东岗西路，楼下那个饭馆天天把泔水倒在下水道里"], "东岗西路"),
    (["电梯 卡 住 了", "在 白银区 银光 小区 三 号 楼"], "银光小区三号楼"),
    (["刚 才 在 学校 门口 撞 了", "在 庆阳 西峰区 北街"], "北街"),  # a direction and 街
    (["喂 高速 上 两 个 车 碰 上 了", "在 连霍 高速 永昌 那 一段"], "连霍高速"),  # before
    (["我家在城关区酒泉路旁边的一个巷子里"], "酒泉路旁边"),  # cut before the description
    (["我们 在 天水 秦州区 七里墩"], "七里墩"),
])
def test_the_detail_is_where_the_matter_is(lines: list[str], detail: str) -> None:
    assert place(*lines)[2] == detail


@pytest.mark.parametrize("lines", [
    ["我的座机是八二三五六七一", "我们 在 平凉 崆峒区 小区 的 楼道 灯 全 坏 了"],  # no name
    ["我 在 张掖 甘州区 刚才 路口 发生 了 车祸"],  # a crossing
    ["九十三路公交车老是不来，在兰州安宁区"],  # a bus line
    ["兰州到临夏的那条高速上服务区的厕所脏得很"],  # pointing, not naming
    ["建议在我们村里建一个文化广场"],  # a wish, not a place
    ["我想问一下农村的宅基地能不能卖给外村的人"],
])
def test_descriptions_are_no_detail(lines: list[str]) -> None:
    assert place(*lines)[2] is None, lines


def test_the_ends_of_a_road_a_brand_and_a_place_passed_through() -> None:
    assert place("兰州到临夏的那条高速上服务区的厕所脏得很")[:2] == (None, None)
    assert place("车是从临洮到定西的，司机一路打电话")[:2] == (None, None)
    assert place("我抽的那个兰州烟，这一条里有两包是假的")[0] is None
    assert place("我上个月去敦煌玩了一趟，回来发现村里的路灯全坏了，我们在临泽县")[:2] == (
        "张掖市", "临泽县")


def test_a_corrected_place_replaces_the_first() -> None:
    assert place("我们在武威古浪不对不对是天祝打柴沟镇，村里的路灯全坏了") == (
        "武威市", "天祝藏族自治县", "打柴沟镇")
    assert place("我们在古浪", "不对，说错了，是天祝的")[:2] == ("武威市", "天祝藏族自治县")
