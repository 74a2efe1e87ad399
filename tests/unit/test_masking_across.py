"""A card or ID number read out across utterances is masked in all of them (#15):
:func:`mask_across` on examples and on arbitrary splits, as the store applies it."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from callcenter.config.prefill.text import DIGIT_CHARS, SPOKEN_DIGITS
from callcenter.prefill.masking import EARLIER, mask_across, mask_sensitive

CHINESE = "零一二三四五六七八九"


def said(pieces: list[str]) -> list[str]:
    """The utterances as the store holds them after each was added in turn."""
    stored: list[str] = []
    for piece in pieces:
        earlier, text = mask_across(stored, piece)
        stored = [*earlier, text]
    return stored


def clear(texts: list[str]) -> str:
    """The digits left in clear in ``texts``, written ('X' for x)."""
    return "".join("X" if c in "Xx" else SPOKEN_DIGITS.get(c, c)
                   for c in "".join(texts) if c in DIGIT_CHARS + "Xx")


# -- examples ---------------------------------------------------------------------------------


def test_an_id_said_in_two_utterances() -> None:
    earlier, text = mask_across(["我要投诉", "身份证号 六二零一零二一九九零"], "零一零一一二三四")
    assert earlier == ["我要投诉", "身份证号 6201******"]
    assert text == "****1234"


def test_six_six_six_with_fillers_between() -> None:
    assert said(["身份证是六二零一零二", "嗯 一九九零零一", "对 零一一二三四 对吧"]) == [
        "身份证是6201**", "嗯 ******", "对 **1234 对吧"]


def test_a_card_in_groups_of_four_goes_on_being_masked() -> None:
    pieces = ["卡号六二二二", "零二一二", "三四五六", "七八九零"]
    assert said(pieces) == ["卡号6222", "****", "****", "7890"]
    # three more digits: the last four of the 19 are now others
    assert said([*pieces, "一二三"]) == ["卡号6222", "****", "****", "***0", "123"]


def test_an_id_ending_in_x_and_written_with_dashes() -> None:
    assert said(["身份证 620102-1990", "0101-123 X"]) == ["身份证 6201**-****", "****-123 X"]


def test_fillers_join_digits_within_an_utterance_too() -> None:
    assert mask_sensitive("六二零一零二一九九零 嗯 零一零一一二三四") == "6201**********1234"
    assert mask_sensitive("6222 对 0212 就是 3456 7890") == "6222********7890"
    assert mask_sensitive(mask_sensitive("卡号6222021234567890")) == "卡号6222********7890"


def test_short_runs_are_left_alone() -> None:
    phone = ["我的电话是一三九一二三四", "五六七八"]  # 11 digits
    assert said(phone) == phone
    house = [*phone, "五零二室", "下午三点二十分"]  # 11 + 3 = 14
    assert said(house) == house
    assert said(["住在三号楼二单元", "五零二", "二零二三年搬来的"]) == [
        "住在三号楼二单元", "五零二", "二零二三年搬来的"]


def test_words_between_pieces_end_the_number() -> None:
    pieces = ["身份证号 六二零一零二一九九零", "然后我的电话是", "零一零一一二三四"]
    assert said(pieces) == pieces


def test_only_the_window_of_earlier_utterances_is_read() -> None:
    unrelated = ["你好"] * 20
    earlier, text = mask_across([*unrelated, "六二零一零二一九九零"], "零一零一一二三四")
    assert earlier == [*unrelated, "6201******"] and text == "****1234"


# -- any split --------------------------------------------------------------------------------

ids = st.builds(lambda body, last: body + last, st.text("0123456789", min_size=17, max_size=17),
                st.sampled_from("0123456789X"))
cards = st.text("0123456789", min_size=16, max_size=19)


@st.composite
def read_out(draw: st.DrawFn, number: str, pieces: int) -> list[str]:
    """``number`` as a caller reads it out in ``pieces`` utterances: digits written or
    spoken (幺 for one), spaces, dashes and fillers between some of them."""
    cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), min_size=pieces - 1,
                               max_size=pieces - 1)))
    out: list[str] = []
    for start, end in zip([0, *cuts], [*cuts, len(number)], strict=True):
        text = draw(st.sampled_from(["", "嗯 ", "对", "是 "]))
        for digit in number[start:end]:
            if digit == "X":
                text += draw(st.sampled_from("Xx"))
            else:
                spoken = CHINESE[int(digit)] if digit != "1" else draw(st.sampled_from("一幺"))
                text += draw(st.sampled_from([digit, spoken]))
            text += draw(st.sampled_from(["", "", "", " ", "-", " 嗯 "]))
        out.append(text + draw(st.sampled_from(["", " 嗯", "，"])))
    out[0] = draw(st.sampled_from(["", "身份证号", "我的卡号是 "])) + out[0]
    return out


@given(st.data(), st.one_of(ids, cards), st.integers(2, 4))
def test_a_number_split_anywhere_keeps_only_its_ends(data: st.DataObject, number: str,
                                                     pieces: int) -> None:
    utterances = data.draw(read_out(number, pieces))
    stored = said(["我要反映个问题", *utterances])
    assert stored[0] == "我要反映个问题"
    assert clear(stored) == number[:4] + number[-4:], stored
    assert "".join(stored).count("*") == len(number) - 8  # none of its middle digits


@given(st.data(), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.integers(2, 3))
def test_a_phone_number_split_anywhere_is_left_alone(data: st.DataObject, phone: str,
                                                     pieces: int) -> None:
    utterances = [*data.draw(read_out(phone, pieces)), "五零二室", "下午三点二十"]
    assert said(["我的电话是", *utterances]) == ["我的电话是", *utterances]  # 11 + 3 digits


@given(st.lists(st.text(DIGIT_CHARS + "Xx -—嗯对是的号楼年*", max_size=12), max_size=EARLIER),
       st.text(DIGIT_CHARS + "Xx -—嗯对是的号楼年", max_size=20))
def test_only_digits_become_stars_and_no_long_run_stays_in_clear(earlier: list[str],
                                                                 text: str) -> None:
    masked_earlier, masked = mask_across(earlier, text)
    assert len(masked_earlier) == len(earlier)
    for before, after in zip(earlier, masked_earlier, strict=True):
        assert len(before) == len(after)
        assert all(b == a or (b in DIGIT_CHARS + "*Xx" and a in "*0123456789X")
                   for b, a in zip(before, after, strict=True)), (before, after)
    gaps_out = re.sub(r"[\s\-—嗯对是]", "", "".join([*masked_earlier, masked]))
    as_digits = "".join(SPOKEN_DIGITS.get(c, c) for c in gaps_out)
    assert not re.search(r"\d{15,}", as_digits), (earlier, text, masked_earlier, masked)


@given(st.lists(st.text(DIGIT_CHARS + " 嗯的号楼", max_size=8), max_size=5),
       st.text(DIGIT_CHARS + " 嗯的号楼", max_size=8))
def test_fewer_than_fifteen_digits_in_all_change_nothing(earlier: list[str], text: str) -> None:
    if len(clear([*earlier, text])) < 15:
        assert mask_across(earlier, text) == (earlier, text)
