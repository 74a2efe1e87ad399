"""Last of the integration suite (by name): the whole session's call log holds no caller's
number unmasked, after calls that were answered, transcribed (speech forks: ChanSpy),
transferred, abandoned and given a callback request; and none of the digits callers
pressed."""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.conftest import Lab

# a Chinese mobile number in any format: 13812345678, +86 138 1234 5678, 86-138-1234-5678,
# 013812345678 — not a part of a longer digit run, and not already masked (138****5678)
MOBILE = re.compile(r"(?<![\d*])(?:\+?86[ -]?|0)?1[3-9]\d(?:[ -]?\d){8}(?![\d*])")
# Asterisk's bridge and channel ids: hex digits in dashed groups, not a phone number; a
# device name drops the last group ("AudioSocket/127.0.0.1:4674-14911818-557a-4b2e-8a01")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}(?:-[0-9a-f]{12})?\b", re.I)

# the engine's transfer and monitoring ids: 12 hex digits ("xfer-a13812345678")
HEX_ID = re.compile(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{12}\b")


def numbers_in(line: str) -> list[str]:
    return MOBILE.findall(HEX_ID.sub("<id>", UUID.sub("<uuid>", line)))


def test_mobile_pattern_finds_every_format() -> None:
    for text in ("13812345678", "+86 138 1234 5678", "86-138-1234-5678", "013812345678",
                 "Local/13812345678@ctx", '"DestConnectedLineNum": "13912345678"'):
        assert MOBILE.search(text), text
    for text in ("138****5678", "1764518400.123", "09318929999", "12345",
                 "13077161-3829-4bd2-9e5a-4c2f07a6b1de", "BridgeUniqueid: 13077161-382e-4bd2-"
                 "9e5a-4c2f07a6b1de",
                 '"Device": "AudioSocket/127.0.0.1:4674-14911818-557a-4b2e-8a01"',
                 "Local/xfer-a13812345678@cc-xfer;1", '"session": "13812345678f"'):
        assert not numbers_in(text), text
    assert numbers_in("13077161-3829-4bd2-9e5a-4c2f07a6b1de 13812345678") == ["13812345678"]


def test_the_session_log_holds_no_callers_number(lab: Lab) -> None:
    lines = lab.call_log.read_text(encoding="utf-8").splitlines() \
        if lab.call_log.exists() else []
    records = [json.loads(line) for line in lines]
    events = {r["event"] for r in records}
    frames = {r["frame"].get("Event") for r in records if isinstance(r.get("frame"), dict)}
    covered = {
        "answered": "queue.answered" in events, "abandoned": "queue.abandoned" in events,
        "speech fork": "ChanSpyStart" in frames, "transfer": "transfer.answered" in events,
        "callback": "callback.requested" in events, "agent called": "AgentCalled" in frames}
    missing = [what for what, seen in covered.items() if not seen]
    if len(missing) == len(covered):
        pytest.skip("run with the whole integration suite: this scans the calls it made")
    assert not missing, f"the suite made no call of these kinds: {missing}"
    leaks = [(number, line[:160]) for line in lines for number in numbers_in(line)]
    assert not leaks, f"{len(leaks)} unmasked caller numbers, e.g. {leaks[:3]}"
    # what callers say stays in the ticket store (privacy.log_transcripts is off)
    said = [r for r in records if r["event"] in ("asr.final", "asr.partial")]
    assert said and not any("text" in r for r in said)
    # the digits callers press (the 12333 menu) never leave Asterisk: only supervisors' legs
    # send DTMF to the engine (their monitoring mode keys)
    assert "menu.choice" in events
    digits = [r["frame"] for r in records if isinstance(r.get("frame"), dict)
              and r["frame"].get("Event", "").startswith("DTMF")]
    assert all(f["Event"] == "DTMFEnd" and f["Channel"].startswith("PJSIP/supervisor-")
               for f in digits), digits[:3]
