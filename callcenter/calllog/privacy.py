"""Caller-number masking for everything that is written to the call log.

AMI frames are masked by header *family*: every header whose name ends in ``CallerIDNum``,
``ConnectedLineNum``, ``CallerIDName`` or ``ConnectedLineName`` whatever its prefix
(``DestConnectedLineNum`` of AgentCalled/DialEnd, ``SpyeeCallerIDNum`` of ChanSpyStart, and
any prefix Asterisk adds later). The numbers found there are remembered for a while
(:class:`FrameMasker`), and any other header of a later frame that carries one of them (a
channel name, a variable's value) is masked too. A name in a ``…Name`` header (what the
caller's phone or carrier sends as the display name: the caller's own name, often) keeps
its first character only.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import Any

from callcenter.ami.wire import MALFORMED

# Event-dict keys that hold a caller's (or callback) number.
NUMBER_KEYS = frozenset({"caller", "caller_num", "callback_number", "connected_num",
                         "destination"})  # a transfer destination as an agent typed it
# AMI frame headers that hold one: these names, with any prefix (Dest…, Spyee…, Orig…).
FRAME_NUMBER_SUFFIXES = ("CallerIDNum", "ConnectedLineNum", "CallerIDName", "ConnectedLineName")
# FastAGI request headers that hold one.
AGI_NUMBER_HEADERS = ("agi_callerid", "agi_calleridname", "agi_rdnis")


# a number written any way: digits with the separators people and carriers put between them
_NUMBER_SHAPED = re.compile(r"[+(]*\d[\d ()+./-]*")
# the numbers inside other text ("13812345678;ext=1", "tel:+8613812345678")
_NUMBER_INSIDE = re.compile(r"\+?\d(?:[\d ()./-]*\d)?")
SHORT_DIGITS = 6  # internal numbers (agents, hotlines: 1001, 12345) stay readable


@lru_cache(maxsize=8192)
def mask_number(number: str) -> str:
    """``13812345678`` → ``138****5678``; short internal numbers (≤ 6 digits) stay readable.

    Only the digits are masked, so ``+86 138…`` and ``(0931)8123456`` keep their shape; in
    other text (``13812345678;ext=1``, a caller name) every number of 7 or more digits is
    masked where it stands.
    """
    if _NUMBER_SHAPED.fullmatch(number):
        return _masked_digits(number)
    return _NUMBER_INSIDE.sub(lambda m: _masked_digits(m.group(0)), number)


def _masked_digits(number: str) -> str:
    count = sum(c.isdigit() for c in number)
    if count <= SHORT_DIGITS:
        return number
    keep_head = 3 if count >= 10 else 2
    keep_tail = 4 if count >= 10 else 2
    out: list[str] = []
    index = 0
    for c in number:
        if c.isdigit():
            out.append(c if index < keep_head or index >= count - keep_tail else "*")
            index += 1
        else:
            out.append(c)
    return "".join(out)


NAME_SUFFIXES = ("CallerIDName", "ConnectedLineName")
UNNAMED = frozenset({"", "<unknown>"})


@lru_cache(maxsize=8192)
def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``; a number is masked as a number, ``<unknown>`` stays."""
    if name in UNNAMED or _NUMBER_SHAPED.fullmatch(name):
        return mask_number(name)
    return name[0] + "*" * min(len(name) - 1, 8)


def mask_event_dict(event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in NUMBER_KEYS:
        value = event_dict.get(key)
        if isinstance(value, str):
            event_dict[key] = mask_number(value)
    return event_dict


@lru_cache(maxsize=1024)
def is_number_header(name: str) -> bool:
    return name.endswith(FRAME_NUMBER_SUFFIXES)


# Headers whose values Asterisk makes itself — ids, counters, enums — and that never hold
# what a caller sent: the masker does not search them (most of a frame's headers).
ASTERISK_OWN = frozenset({
    "Event", "Privilege", "Response", "ActionID", "SystemName", "Timestamp", "SequenceNumber",
    "File", "Line", "Func", "Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid",
    "BridgeUniqueid", "BridgeType", "BridgeTechnology", "BridgeCreator", "BridgeNumChannels",
    "BridgeVideoSourceMode", "ChannelState", "ChannelStateDesc", "DestChannelState",
    "DestChannelStateDesc", "Priority", "DestPriority", "Language", "DestLanguage",
    "Cause", "Status", "Paused", "InCall", "Penalty", "CallsTaken", "LastCall", "LastPause",
    "LoginTime", "Ringinuse", "StateInterface", "HoldTime", "TalkTime", "RingTime",
    "Position", "OriginalPosition", "Count", "Wrapuptime", "Weight", "Strategy", "Max",
    "Calls", "Holdtime", "Completed", "Abandoned", "ServiceLevel", "ServicelevelPerf",
    "ServicelevelPerf2", "Direction", "Level", "Duration", "DigitDuration", "Begin", "End",
})
_SAFE, _NUMBER, _NAME, _OTHER, _ANY = 0, 1, 2, 3, 4  # what a header name may hold


_KINDS: dict[str, int] = {}  # header name → kind (names are few; bounded all the same)
Shape = tuple[tuple[tuple[str, bool], ...], tuple[str, ...], tuple[str, ...]]
_SHAPES: dict[tuple[str, ...], Shape] = {}  # a frame's header names → what to look at


def _shape(keys: tuple[str, ...]) -> Shape:
    """Of a frame's headers: the caller-number family (and whether a name), those that may
    carry a number seen before, those that are not headers at all."""
    kinds = [(key, _kind(key)) for key in keys]
    shape = (tuple((k, kind == _NAME) for k, kind in kinds if kind in (_NUMBER, _NAME)),
             tuple(k for k, kind in kinds if kind == _OTHER),
             tuple(k for k, kind in kinds if kind == _ANY))
    if len(_SHAPES) < 4096:
        _SHAPES[keys] = shape
    return shape


def _kind(name: str) -> int:
    kind = _KINDS.get(name)
    if kind is None:
        if name == MALFORMED:
            kind = _ANY
        elif is_number_header(name):
            kind = _NAME if name.endswith(NAME_SUFFIXES) else _NUMBER
        else:
            kind = _SAFE if name in ASTERISK_OWN else _OTHER
        if len(_KINDS) < 4096:
            _KINDS[name] = kind
    return kind


@lru_cache(maxsize=8192)
def _caller_value(value: str, name: bool) -> tuple[str, tuple[str, ...]]:
    """A caller-number header's value masked (a name: its first character only), and the
    numbers it holds to be remembered (none when masking left it as it was)."""
    masked = mask_number(value)
    cores = _cores(value) if masked != value else ()
    return (mask_name(value) if name else masked), cores


_DIGIT_RUN = re.compile(r"\+?\d[\d -]{5,}\d")
_PLAIN_RUN = re.compile(r"\d{7,}")


def number_core(number: str) -> str:
    """The digits that identify a number whatever its format: ``+86 138-1234-5678``,
    ``8613812345678``, ``013812345678`` and ``13812345678`` all give ``13812345678``."""
    digits = "".join(c for c in number if c.isdigit())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if digits.startswith("01") and len(digits) == 12:
        digits = digits[1:]
    return digits


_run_core = lru_cache(maxsize=8192)(number_core)  # a channel's name recurs in its frames


@lru_cache(maxsize=8192)
def _cores(value: str) -> tuple[str, ...]:
    """The numbers (as :func:`number_core`) a caller-number header's value holds."""
    cores = (number_core(n) for n in _NUMBER_INSIDE.findall(value))
    return tuple(core for core in cores if len(core) > SHORT_DIGITS)


class FrameMasker:
    """Masks the caller numbers of AMI frames (by header family) and, in any other header,
    the numbers it has seen in such headers recently (at most ``remember`` of them)."""

    def __init__(self, remember: int = 20000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def remember(self, number: str) -> None:
        """A number the engine itself is about to use (a citizen it dials back): masked in
        every header of the frames that follow, though no caller-number header showed it
        (the outbound leg's dial string, a failed Originate's channel)."""
        for core in _cores(number):
            self._note(core)

    def mask(self, headers: MutableMapping[str, Any]) -> None:
        keys = tuple(headers)
        shape = _SHAPES.get(keys)  # frames of one kind have the same headers: sorted once
        if shape is None:
            shape = _shape(keys)
        callers, others, anything = shape
        for key, name in callers:
            value = headers[key]
            if type(value) is str:
                if value and value != "<unknown>":  # (most of them: nothing to mask)
                    masked, cores = _caller_value(value, name)
                    if masked is not value:
                        headers[key] = masked
                    for core in cores:
                        self._note(core)
            elif isinstance(value, list):  # a repeated header
                headers[key] = [self._masked(key, v) if isinstance(v, str) else v
                                for v in value]
        for key in anything:  # lines that were not headers
            value = headers[key]
            headers[key] = ([mask_number(v) if isinstance(v, str) else v for v in value]
                            if isinstance(value, list) else mask_number(str(value)))
        if not others or not self._seen:
            return
        values = [headers[key] for key in others]
        try:
            joined = "\x00".join(values)
        except TypeError:  # a repeated header among them
            joined = None
        if joined is not None:
            if self._holds_seen(joined):
                for key, value in zip(others, values, strict=True):
                    headers[key] = _DIGIT_RUN.sub(self._masked_if_seen, value)
            return
        for key, value in zip(others, values, strict=True):
            headers[key] = ([self._masked(key, v) if isinstance(v, str) else v for v in value]
                            if isinstance(value, list) else self._masked(key, str(value)))

    def _holds_seen(self, text: str) -> bool:
        """Whether a number seen before is in ``text``: one search of all the headers that
        could hold one (a run of digits, or a plain one inside it — side by side)."""
        seen = self._seen
        runs = _DIGIT_RUN.findall(text)
        if not runs:
            return False
        return any(_run_core(run) in seen for run in runs) or any(
            _run_core(plain) in seen for plain in _PLAIN_RUN.findall(text))

    def _masked(self, key: str, value: str) -> str:
        if key == MALFORMED:  # not a header: anything could be in it
            return mask_number(value)
        kind = _kind(key)
        if kind in (_NUMBER, _NAME):
            # a name keeps its first character only, whatever number it also holds
            masked, cores = _caller_value(value, kind == _NAME)
            for core in cores:
                self._note(core)
            return masked
        if self._seen and _DIGIT_RUN.search(value):
            return _DIGIT_RUN.sub(self._masked_if_seen, value)
        return value

    def _note(self, core: str) -> None:
        self._seen[core] = None
        self._seen.move_to_end(core)
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)

    def _masked_if_seen(self, match: re.Match[str]) -> str:
        text = match.group(0)
        if number_core(text) in self._seen:
            return mask_number(text)
        return _PLAIN_RUN.sub(self._plain_masked_if_seen, text)  # numbers side by side

    def _plain_masked_if_seen(self, match: re.Match[str]) -> str:
        text = match.group(0)
        return mask_number(text) if number_core(text) in self._seen else text


def mask_in_place(headers: MutableMapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = headers.get(key)
        if isinstance(value, str):
            headers[key] = mask_name(value) if key.endswith("name") else mask_number(value)


def mask_headers(headers: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    out = dict(headers)
    mask_in_place(out, keys)
    return out
