"""Callback phone numbers in what a caller says: 13812345678, 一三八 幺二三四 五六七八,
0931-8123456, 零九三一 八八一二三四五六, 400 numbers, or a local number after 电话/座机 (given
the area code of the city the call is about). What a valid Chinese number is — area codes,
lengths, mobile prefixes — is ``phonenumbers``' (Google's libphonenumber) to say; spoken
digits are read by :func:`callcenter.config.prefill.text.to_digits` (cn2an).

A number the caller corrects (不对, 说错了 …) is replaced by the correction: a whole new
number, or its last digits (最后是零九)."""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
from phonenumbers import PhoneNumberType

from callcenter.config.prefill.text import DIGIT_CHARS, to_digits

REGION = "CN"
_RUN = re.compile(f"[{DIGIT_CHARS}][{DIGIT_CHARS}\\-—－]*")
_PHONE_WORDS = ("电话", "座机", "号码", "手机", "打这个", "联系我", "回电")
_CORRECTION = re.compile(r"不对|说错|错了|更正|纠正|重新说|应该是|我再说一遍")
_TAIL = re.compile(r"最后|后面|尾号|末尾|后几位|后两位|后三位|后四位|最后两位|最后一位")
_KINDS = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE,
          PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.TOLL_FREE,
          PhoneNumberType.SHARED_COST, PhoneNumberType.UAN}
MOBILE_LENGTH = 11
CARD_FROM = 15  # ID-card and bank-card numbers are not phones
CORRECTION_WINDOW = 20  # a correction is said right before the corrected number
# 甘肃 市州 → 长途区号 (a local number said without it gets the one of the city named)
AREA_CODES = {
    "兰州市": "931", "兰州新区": "931", "嘉峪关市": "937", "金昌市": "935", "白银市": "943",
    "天水市": "938", "武威市": "935", "张掖市": "936", "平凉市": "933", "酒泉市": "937",
    "庆阳市": "934", "定西市": "932", "陇南市": "939", "临夏回族自治州": "930",
    "甘南藏族自治州": "941",
}


@cache
def valid(digits: str) -> str | None:
    """``digits`` as the number a callback dials ('13812345678', '09318123456',
    '4008123456') when it is a valid Chinese mobile, landline (with its area code) or
    400/800 number, else None."""
    if not 7 <= len(digits) < CARD_FROM:
        return None
    try:
        number = phonenumbers.parse(digits, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or \
            phonenumbers.number_type(number) not in _KINDS:
        return None
    national = str(number.national_number)
    return national if digits.startswith(national) else "0" + national


def _phone(digits: str, before: str, area: str | None) -> str | None:
    phone = valid(digits)
    if phone is not None:
        return phone
    # "电话是13812345678二号楼": a mobile number followed by one or two more digit words
    if digits.startswith("1") and 0 < len(digits) - MOBILE_LENGTH <= 2:
        return valid(digits[:MOBILE_LENGTH])
    if 7 <= len(digits) <= 8 and any(word in before for word in _PHONE_WORDS):
        if area is None:
            return digits if digits[0] in "23456789" else None
        return valid("0" + area + digits)
    return None


def extract_phones(text: str, city: str | None = None) -> list[str]:
    """The phone numbers in ``text`` (normalized), in order, without repeats, corrections
    applied; a local number gets the area code of ``city``."""
    area = AREA_CODES.get(city or "")
    found: list[str] = []
    last_end = 0
    for match in _RUN.finditer(text):
        digits = to_digits(match.group())
        between = text[max(last_end, match.start() - CORRECTION_WINDOW):match.start()]
        corrected = bool(found) and _CORRECTION.search(between) is not None
        if corrected and len(digits) < 7 and _TAIL.search(between):
            tail = valid(found[-1][:len(found[-1]) - len(digits)] + digits)
            if tail is not None:
                found[-1] = tail
                last_end = match.end()
            continue
        phone = _phone(digits, text[max(0, match.start() - 8):match.start()], area)
        if phone is None:
            continue
        if corrected:
            found.pop()
        if phone not in found:
            found.append(phone)
        last_end = match.end()
    return found
