from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.cli import main
from callcenter.config.loader import load_config
from callcenter.config.prefill.text import DIGIT_CHARS, SPOKEN_DIGITS, normalize
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import extract, mask_sensitive
from callcenter.prefill.evaluate import evaluate, load_cases
from callcenter.prefill.phones import extract_phones
from callcenter.prefill.places import Gazetteer

RULES = load_config(PROJECT_ROOT / "config").prefill
CUES_ONLY = RULES.model_copy(update={"request_model": False})  # the cues decide the type
DATA = PROJECT_ROOT / "tests/data/prefill"


def phones(text: str) -> list[str]:
    return extract_phones(normalize(text))


def test_spoken_and_written_phone_numbers() -> None:
    assert phones("电话 幺 三 八 幺 二 三 四 五 六 七 八") == ["13812345678"]
    assert phones("一八九两零九三零零六六") == ["18920930066"]
    assert phones("138 1234 5678 或者 0931-8123456") == ["13812345678", "09318123456"]
    assert phones("零九三一 八八六六一二三") == ["09318866123"]
    assert phones("座机八八六六一二三") == ["8866123"]  # a local number after 座机
    assert phones("我家三口人，住了八八六六一二三天") == []  # digits without a phone word
    assert phones("电话13812345678二号楼") == ["13812345678"]
    assert phones("身份证620102199001011234") == []
    assert phones("12345热线") == []


def test_gazetteer_covers_gansu() -> None:
    gazetteer = Gazetteer.shipped()
    # 14 市州, and 兰州新区, which callers name like one
    assert len(gazetteer.cities) == 15
    # 86 county-level units, plus 嘉峪关's three districts callers name
    assert len(gazetteer.counties) == 89
    assert gazetteer.counties["张家川回族自治县"] == "天水市"


def test_places_longest_name_wins_and_short_forms() -> None:
    place = extract(["我在正宁县"], RULES).place
    assert (place.city, place.county) == ("庆阳市", "正宁县")
    place = extract(["东乡 县 锁南镇 的"], RULES).place
    assert (place.city, place.county, place.detail) == ("临夏回族自治州", "东乡族自治县", "锁南镇")
    place = extract(["我 在 兰州 上班", "住 在 七里河 西站 附近"], RULES).place
    assert (place.city, place.county, place.detail) == ("兰州市", "七里河区", "西站附近")
    assert extract(["我想问一下护照"], RULES).place.city is None


def test_negation_is_not_a_mention() -> None:
    calm = extract(["刚才车祸，没有人受伤，不着急"], RULES)
    assert calm.emergency_referral == ("122",)  # a crash now; nobody hurt: no ambulance
    hurt = extract(["车祸 有 人 受伤 了 在 流血"], RULES)
    assert hurt.urgent and hurt.emergency_referral == ("120", "122")
    assert not extract(["我们这边没停水，想问水费怎么交"], RULES).urgent


def test_request_type_topic_and_flags() -> None:
    found = extract(["我 要 举报 有 人 卖 假烟"], RULES)
    assert (found.request_type, found.topic, found.unit, found.hotline) == (
        "举报", "烟草", "省烟草专卖局", "12313")
    assert extract(["劳动仲裁怎么申请"], RULES).out_of_scope == "仲裁"
    assert extract(["你好"], RULES).request_type == "咨询"
    assert extract(["楼下着火了怎么办"], RULES).request_type == "求助"


def request_type(text: str) -> str:
    """The type the cues of prefill.yaml give (the shipped model is tested apart)."""
    return extract([text], CUES_ONLY).request_type


def test_cue_syntax() -> None:
    from callcenter.config.prefill.cues import compile_cue, cue_found, parse_cue

    classes = {"一直": ["一直", "到现在"], "办": ["办", "处理"]}

    def found(cue: str, text: str, gap: int = 2) -> bool:
        return cue_found(text, compile_cue(cue, classes, gap))

    assert found("态度|服务…差", "服务很差") and found("态度|服务…差", "态度也很差")
    assert not found("态度|服务…差", "态度也是特别差")  # more than 2 characters between
    assert found("没人+管", "没人管") and not found("没人+管", "没人来管")
    assert found("{一直}…没+{办}", "到现在还没处理") and not found("{一直}…没+{办}", "一直没想")
    assert found("希望……增加", "希望在我们小区门口增加") and not found("希望……增加", "希望。增加")
    assert not found("困难", "家里没有困难")  # negated
    assert [p.gap for p in parse_cue("A…B+C……D", 4)] == [0, 4, 0, None]
    for bad in ("…差", "态度…", "态度||差", "态度..差", "{一直", "a+"):
        with pytest.raises(ValueError):
            parse_cue(bad)


def test_request_type_from_scored_cues() -> None:
    # no type word: the pattern tells (complaint, report, help, suggestion, question)
    assert request_type("窗口工作人员态度很差") == "投诉"
    assert request_type("小区路灯坏了好几个月了一直没人修") == "投诉"
    assert request_type("单位三个月没发工资") == "投诉"
    assert request_type("商家不给退款") == "投诉"
    assert request_type("隔壁有人无证经营小诊所") == "举报"
    assert request_type("河道里有人偷偷采砂") == "举报"
    assert request_type("我家里生活困难能不能帮帮我们") == "求助"
    assert request_type("希望在我们小区门口增加一个公交站") == "意见建议"
    assert request_type("我想问一下医保怎么交") == "咨询"
    # naming a type weighs most; a question outweighs one complaint pattern, not two kinds
    assert request_type("我想问一下怎么投诉") == "投诉"
    assert request_type("我想问一下物业一直不处理怎么办") == "咨询"
    assert request_type("我想问一下物业一直不处理，态度还很差") == "投诉"
    assert request_type("我想问一下困难群众有什么补贴") == "咨询"
    # negated: not evidence
    assert request_type("我不是投诉，想问一下") == "咨询"
    # a tie goes to the type listed first: 举报 before 投诉
    assert request_type("我要反映村干部贪污") == "举报"


def test_request_types_in_the_former_list_form() -> None:
    """``投诉: [投诉, 不满意]`` is one group of weight 1: the first type listed that matches
    wins, as before."""
    from callcenter.prefill import PrefillRules

    data = RULES.model_dump(mode="json")
    data["request_types"] = {"举报": ["举报"], "投诉": ["投诉", "态度|服务…差"], "咨询": ["请问"]}
    data["request_model"] = False
    rules = PrefillRules.model_validate(data)
    assert extract(["请问我要投诉服务差"], rules).request_type == "投诉"
    assert extract(["我要举报，投诉"], rules).request_type == "举报"
    assert extract(["你好"], rules).request_type == "咨询"


def test_cue_problems_name_their_line(tmp_path: Path) -> None:
    import shutil

    from callcenter.config.loader import collect

    target = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", target)
    shutil.copytree(PROJECT_ROOT / "ivr_prompts", tmp_path / "ivr_prompts",
                    ignore=shutil.ignore_patterns("build"))
    prefill = target / "prefill.yaml"
    text = prefill.read_text(encoding="utf-8")
    assert "举报, 检举," in text and '"{一直}…{没}+{办}"' in text
    bad = text.replace("举报, 检举,", "举报, …检举,").replace('"{一直}…{没}+{办}"',
                                                          '"{一直}…{没了}+{办}"')
    prefill.write_text(bad, encoding="utf-8")
    line = text[:text.index("举报, 检举,")].count("\n") + 1
    _config, problems = collect(target)
    assert [str(p) for p in problems] == [
        f"{prefill}:{line}: request_types.举报.点明.cues[1]: Value error, '…检举': '…' and "
        "'+' go between two words"]
    # an unknown class is found once the cues' syntax is right
    prefill.write_text(text.replace('"{一直}…{没}+{办}"', '"{一直}…{没了}+{办}"'),
                       encoding="utf-8")
    line = text[:text.index('"{一直}…{没}+{办}"')].count("\n") + 1
    _config, problems = collect(target)
    assert len(problems) == 1 and str(problems[0]).startswith(
        f"{prefill}:{line}: request_types.投诉.不作为.cues[")
    assert str(problems[0]).endswith("{没了} is not a word class of word_classes")


def test_misses_show_the_cues_found() -> None:
    from callcenter.prefill.evaluate import Case

    case = Case(1, ["物业态度很差"], {"request_type": "咨询"})
    (miss,) = evaluate([case], RULES)["request_type"].misses
    assert miss.startswith("#1: got '投诉', expected '咨询' (投诉.态度 2: ")


def test_id_and_bank_cards_are_masked() -> None:
    assert mask_sensitive("身份证620102199001011234") == "身份证6201**********1234"
    assert mask_sensitive("身份证 62010219900101123X") == "身份证 6201**********123X"
    assert mask_sensitive("卡号 6222 0212 3456 7890 123") == "卡号 6222***********0123"
    spoken = mask_sensitive("六二零一零二一九九零零一零一一二三四")
    assert spoken == "6201**********1234"
    assert mask_sensitive("电话13812345678，三号楼") == "电话13812345678，三号楼"


@given(st.text(alphabet=DIGIT_CHARS + "Xx -—，的号楼", max_size=60))
def test_masking_never_leaves_a_card_number(text: str) -> None:
    masked = mask_sensitive(text)
    as_digits = "".join(SPOKEN_DIGITS.get(c, c) for c in masked if c not in " -—")
    assert not re.search(r"\d{15,}", as_digits), (text, masked)


def test_transcript_set_scores() -> None:
    """The shipped 64 transcripts (the tables were tuned on them): a regression guard."""
    scores = evaluate(load_cases(DATA / "transcripts.yaml"), RULES)
    for name, score in scores.items():
        assert score.precision >= 0.9 and score.recall >= 0.9, (name, score.misses)
    assert len(load_cases(DATA / "transcripts.yaml")) >= 60


def test_prefill_command(monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("我 在 岷县\n电话 幺三九 幺二三四 零零九九\n"))
    assert main(["prefill"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"phones", "place", "request_type", "topic", "unit", "urgent",
                        "emergency_referral", "out_of_scope"}
    assert out["phones"] == ["13912340099"]
    assert out["place"] == {"city": "定西市", "county": "岷县", "detail": None}
    monkeypatch.setattr("sys.stdin", io.StringIO("\n  \n"))
    assert main(["prefill"]) == 2
    assert "no transcript" in capsys.readouterr().err


def test_topic_hotline_must_be_in_the_catalogue(tmp_path: Path) -> None:
    import shutil

    from callcenter.config.loader import collect

    target = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", target)
    shutil.copytree(PROJECT_ROOT / "ivr_prompts", tmp_path / "ivr_prompts",
                    ignore=shutil.ignore_patterns("build"))
    prefill = target / "prefill.yaml"
    text = prefill.read_text(encoding="utf-8")
    prefill.write_text(text.replace('hotline: "12313"', 'hotline: "12399"'), encoding="utf-8")
    line = text[:text.index('hotline: "12313"')].count("\n") + 1
    _config, problems = collect(target)
    assert [str(p) for p in problems] == [
        f"{prefill}:{line}: topics.烟草.hotline: 12399 is not a number of hotlines.yaml"]


def test_phone_numbers_masked_for_the_call_log() -> None:
    from callcenter.prefill.masking import mask_phones

    assert mask_phones("电话13812345678") == "电话138******78"
    assert mask_phones("一三八一二三四五六七八") == "138******78"
    assert mask_phones("0931-8123456，三号楼") == "093******56，三号楼"
    assert mask_phones("620102199001011234") == "6201**********1234"


def test_the_former_urgent_and_emergency_lists_still_load() -> None:
    """A prefill.yaml written before events and tense (``urgent: [...]``, ``emergency:
    {line: [...]}``) loads: each line becomes an event referring to it, read with tense."""
    from callcenter.prefill import PrefillRules

    data = RULES.model_dump(mode="json")
    for key in ("events", "tense", "referral_order"):
        del data[key]
    data["urgent"] = ["停水"]
    data["emergency"] = {"119": ["着火"], "120": ["受伤"]}
    rules = PrefillRules.model_validate(data)
    fire = extract(["楼下着火了有人受伤"], rules)
    assert fire.emergency_referral == ("119", "120") and fire.urgent
    assert extract(["去年楼下着火了"], rules).emergency_referral is None
    assert extract(["我们小区停水了"], rules).urgent
