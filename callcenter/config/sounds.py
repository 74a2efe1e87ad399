"""The Chinese sounds Asterisk itself plays: queue announcements and spoken numbers.

Callers' channels have ``language = zh``; Asterisk then looks for ``sounds/zh/<name>``. Its
queue application says a caller's position and the estimated wait with the ``queue-*`` sounds
below, and says numbers with the Chinese rules in its ``say.c`` (ones, tens as ``digits/20``,
``digits/hundred``, ``digits/thousand``, ``digits/wan``, ``digits/yi``). Without these files
Asterisk falls back to its English recordings, mid-sentence.

Words follow Asterisk's order: ``queue-thereare`` N ``queue-callswaiting`` is "您目前排在第
N 位…", ``queue-holdtime`` N ``queue-minutes`` is "预计等待时间约为 N 分钟". Administrators
replace a text under ``asterisk_sounds:`` in prompts.yaml, or drop a recording as
``ivr_prompts/zh/<name>.wav``.
"""

from __future__ import annotations

LANGUAGE = "zh"

QUEUE_SOUNDS: dict[str, str] = {
    "queue-youarenext": "您的来电已排在第一位，请稍候，马上为您接通。",
    "queue-thereare": "您目前排在第",
    "queue-callswaiting": "位，请您耐心等待。",
    "queue-holdtime": "预计等待时间约为",
    "queue-less-than": "不到",
    "queue-minute": "分钟。",
    "queue-minutes": "分钟。",
    "queue-seconds": "秒。",
    "queue-thankyou": "感谢您的耐心等待。",
    "queue-reporthold": "该来电已等待",
    "queue-periodic-announce": "话务员正在忙，请不要挂机，我们将尽快为您服务。",
    "queue-quantity1": "您前面等待的来电超过",
    "queue-quantity2": "位。",
}

_ONES = "零一二三四五六七八九"

NUMBER_SOUNDS: dict[str, str] = {
    **{f"digits/{n}": _ONES[n] for n in range(10)},
    **{f"digits/{n * 10}": ("" if n == 1 else _ONES[n]) + "十" for n in range(1, 10)},
    "digits/hundred": "百",
    "digits/thousand": "千",
    "digits/wan": "万",
    "digits/yi": "亿",
    "digits/minus": "负",
}

DEFAULT_SOUNDS: dict[str, str] = {**QUEUE_SOUNDS, **NUMBER_SOUNDS}

