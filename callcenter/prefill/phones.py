"""Callback phone numbers in what a caller says: 13812345678, 一三八 幺二三四 五六七八,
0931-8123456, 零九三一 八八一二三四五六, or a local number after 电话/座机."""

from __future__ import annotations

import re

from callcenter.prefill.text import DIGIT_CHARS, to_digits

_RUN = re.compile(f"[{DIGIT_CHARS}][{DIGIT_CHARS}\\-—－]*")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}[2-9]\d{6,7}")
_LOCAL = re.compile(r"[2-9]\d{6,7}")
_PHONE_WORDS = ("电话", "座机", "号码", "手机", "打这个", "联系我", "回电")


def extract_phones(text: str) -> list[str]:
    """Digit strings of the phone numbers in ``text`` (normalized: no spaces), in order,
    without repeats. ID-card and bank-card numbers (15 digits and more) are not phones."""
    found: list[str] = []
    for match in _RUN.finditer(text):
        digits = to_digits(match.group())
        phone = _phone(digits, text[max(0, match.start() - 8):match.start()])
        if phone and phone not in found:
            found.append(phone)
    return found


def _phone(digits: str, before: str) -> str | None:
    if len(digits) >= 15:
        return None
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    # "电话是13812345678二号楼": a mobile number followed by one or two more digit words
    mobile = _MOBILE.match(digits)
    if mobile and len(digits) - 11 <= 2:
        return mobile.group()
    if _LOCAL.fullmatch(digits) and any(word in before for word in _PHONE_WORDS):
        return digits
    return None
