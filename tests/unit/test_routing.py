from __future__ import annotations

from datetime import date

import pytest

from callcenter.config.catalogue import derived_prompts, dial_forms
from callcenter.config.loader import Config, load_config
from callcenter.config.models import Menu, QueueTarget
from callcenter.paths import PROJECT_ROOT
from callcenter.routing.decide import Kind, Mode, Router, route_spec

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(PROJECT_ROOT / "config")


@pytest.fixture(scope="module")
def router(config: Config) -> Router:
    return Router.of(config.hotlines, config.queues)


def test_catalogue_is_the_annex(config: Config) -> None:
    sections = [h.section.value for h in config.hotlines.hotlines]
    assert (sections.count("merged"), sections.count("dual"), sections.count("subcenter")) == (
        42, 10, 5)
    by_number = {h.number: h for h in config.hotlines.hotlines}
    assert by_number["12367"].units == ["省公安厅", "甘肃出入境边防检查总站"]
    assert by_number["0931—8646858"].name == "省林草局进入自然保护区和野生动物驯养繁殖咨询热线"
    assert by_number["12333"].remarks == ["座席并入", "设专家座席"]
    assert [h.number for h in config.hotlines.hotlines if h.experts] == [
        "12348", "12316", "12320", "12333", "12329"]


def test_dial_forms() -> None:
    assert dial_forms("0931—8929999", "0931") == ["09318929999", "8929999"]
    assert dial_forms("12345", "0931") == ["12345"]


@pytest.mark.parametrize(("dialed", "mode", "target", "prompts"), [
    ("12345", Mode.MAIN, "q12345", ("welcome",)),
    ("12396", Mode.MERGED, "q12345", ("transition-12396",)),
    ("8929999", Mode.MERGED, "q12345", ("transition-09318929999",)),
    ("09318929999", Mode.MERGED, "q12345", ("transition-09318929999",)),
    ("12315", Mode.DUAL, "q12315", ("greeting-12315",)),
    ("12366", Mode.SUBCENTER, "subcenter-12366", ()),
    ("55555", Mode.UNKNOWN, "q12345", ()),
])
def test_decide(router: Router, dialed: str, mode: Mode, target: str,
                prompts: tuple[str, ...]) -> None:
    route = router.decide(dialed, TODAY)
    assert (route.mode, route.target, route.prompts) == (mode, target, prompts)


def test_merged_route_names_the_origin(router: Router) -> None:
    route = router.decide("12396", TODAY)
    assert (route.hotline, route.unit) == ("全国统一科技公益服务电话", "省科技厅")


def test_dual_overflows_to_12345(router: Router) -> None:
    route = router.decide("12348", TODAY)
    assert (route.queue, route.queue_timeout_s, route.overflow_queue) == ("q12348", 10, "q12345")


def test_after_the_transition_a_shorter_prompt(config: Config) -> None:
    merged = config.hotlines.defaults.merged.model_copy(
        update={"transition_ends": date(2026, 6, 30)})
    defaults = config.hotlines.defaults.model_copy(update={"merged": merged})
    hotlines = config.hotlines.model_copy(update={"defaults": defaults})
    router = Router.of(hotlines, config.queues)
    assert router.decide("12396", date(2026, 6, 30)).prompts == ("transition-12396",)
    assert router.decide("12396", date(2026, 7, 1)).prompts == ("transition-short",)


def test_subcenter_fallback_keeps_origin(router: Router) -> None:
    first = router.decide("12367", TODAY)
    assert (first.kind, first.destination, first.dial_timeout_s) == (
        Kind.SUBCENTER, "PJSIP/subcenter-12367", 20)
    fallback = router.subcenter_failed(first, "NOANSWER")
    assert (fallback.kind, fallback.queue, fallback.reason) == (
        Kind.QUEUE, "q12345", "subcenter noanswer")
    assert (fallback.mode, fallback.unit) == (Mode.SUBCENTER, "省公安厅、甘肃出入境边防检查总站")


def test_static_route_takes_the_menu_default(router: Router) -> None:
    menu = Menu(prompt="welcome", options={"1": QueueTarget(queue="q12329")},
                default=QueueTarget(queue="q12333"))
    route = router.decide("12333", TODAY)
    from dataclasses import replace
    with_menu = replace(route, menu=menu)
    chosen = router.menu_choice(with_menu, menu.options["1"], TODAY)
    assert (chosen.queue, chosen.menu, chosen.prompts) == ("q12329", None, ())


def test_route_spec(router: Router) -> None:
    spec = route_spec(router.decide("12315", TODAY), lambda p: f"/p/{p}")
    assert spec == "queue,dual,12315,/p/greeting-12315,q12315,10,q12345,,"
    sub = route_spec(router.decide("12366", TODAY), lambda p: p)
    assert sub == "subcenter,subcenter,12366,,,,,PJSIP/subcenter-12366,20"


def test_every_prompt_the_catalogue_names_is_declared(config: Config) -> None:
    prompts = derived_prompts(config.hotlines)
    assert prompts["transition-12396"].text == (
        "您拨打的全国统一科技公益服务电话已并入12345政务服务便民热线，正在为您转接。")
    assert len([p for p in prompts if p.startswith("transition-")]) == 43  # 42 + short
    assert len([p for p in prompts if p.startswith("greeting-")]) == 10
