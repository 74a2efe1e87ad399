"""Caller-number masking for everything that is written to the call log."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import Any

# Event-dict keys that hold a caller's (or callback) number.
NUMBER_KEYS = frozenset({"caller", "caller_num", "callback_number", "connected_num"})
# AMI frame headers that hold one.
FRAME_NUMBER_HEADERS = ("CallerIDNum", "ConnectedLineNum", "CallerIDName", "ConnectedLineName")
# FastAGI request headers that hold one.
AGI_NUMBER_HEADERS = ("agi_callerid", "agi_calleridname", "agi_rdnis")


@lru_cache(maxsize=8192)
def mask_number(number: str) -> str:
    """``13812345678`` → ``138****5678``; short internal numbers (≤ 6 digits) stay readable.

    Only the digits count: ``+86 138…`` keeps its shape, and text that is not a number
    (a caller name) is returned as it is.
    """
    if len(number) <= 6 or number[0] not in "+0123456789":
        return number
    digits = [c for c in number if c.isdigit()]
    if len(digits) <= 6 or len(digits) < len(number.replace("+", "").replace(" ", "")
                                                 .replace("-", "")):
        return number
    keep_head = 3 if len(digits) >= 10 else 2
    keep_tail = 4 if len(digits) >= 10 else 2
    out: list[str] = []
    index = 0
    for c in number:
        if c.isdigit():
            out.append(c if index < keep_head or index >= len(digits) - keep_tail else "*")
            index += 1
        else:
            out.append(c)
    return "".join(out)


def mask_event_dict(event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in NUMBER_KEYS:
        value = event_dict.get(key)
        if isinstance(value, str):
            event_dict[key] = mask_number(value)
    return event_dict


def mask_in_place(headers: MutableMapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = headers.get(key)
        if isinstance(value, str):
            headers[key] = mask_number(value)


def mask_headers(headers: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    out = dict(headers)
    mask_in_place(out, keys)
    return out
