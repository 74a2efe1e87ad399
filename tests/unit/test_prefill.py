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
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import extract, mask_sensitive
from callcenter.prefill.evaluate import evaluate, load_cases
from callcenter.prefill.phones import extract_phones
from callcenter.prefill.places import Gazetteer
from callcenter.prefill.text import DIGIT_CHARS, SPOKEN_DIGITS, normalize

RULES = load_config(PROJECT_ROOT / "config").prefill
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
    assert len(gazetteer.cities) == 14
    # 86 county-level units, plus 兰州新区 and 嘉峪关's three districts callers name
    assert len(gazetteer.counties) == 90
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
    assert calm.emergency_referral == "122"
    hurt = extract(["车祸 有 人 受伤 了 在 流血"], RULES)
    assert hurt.urgent and hurt.emergency_referral == "122"
    assert not extract(["我们这边没停水，想问水费怎么交"], RULES).urgent


def test_request_type_topic_and_flags() -> None:
    found = extract(["我 要 举报 有 人 卖 假烟"], RULES)
    assert (found.request_type, found.topic, found.unit, found.hotline) == (
        "举报", "烟草", "省烟草专卖局", "12313")
    assert extract(["劳动仲裁怎么申请"], RULES).out_of_scope == "仲裁"
    assert extract(["你好"], RULES).request_type == "咨询"
    assert extract(["楼下着火了怎么办"], RULES).request_type == "求助"


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
