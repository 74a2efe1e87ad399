"""Routing by the number dialed, against the real Asterisk, checked from AMI frames."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from callcenter.app import Engine
from lab.sipp import CallSpec, place_calls
from tests.integration.conftest import (
    ANSWERING_SUBCENTERS,
    MENU_HOTLINE,
    SILENT_SUBCENTER,
    UNREGISTERED_SUBCENTER,
    Lab,
)


def _catalogue(lab: Lab) -> list[tuple[str, str, str]]:
    """(digits dialed, section, expected first target) for 12345 and every annex entry,
    read straight from hotlines.yaml (not from the engine's own routing code)."""
    rows = [("12345", "main", "q12345")]
    for h in lab.config.hotlines.hotlines:
        digits = "".join(c for c in h.number if c.isdigit())
        if h.section.value == "merged":
            rows.append((digits, "merged", "q12345"))
        elif h.section.value == "dual":
            rows.append((digits, "dual", f"q{digits}"))
        else:
            rows.append((digits, "subcenter", f"subcenter-{digits}"))
    return rows


def _joined(lab: Lab, call_id: str) -> list[str]:
    return [f["Queue"] for f in lab.frames("QueueCallerJoin", Linkedid=call_id)]


async def test_every_catalogue_number_reaches_its_destination(
        lab: Lab, engine: Engine, seats: None, agents_waiting: None) -> None:
    rows = _catalogue(lab)
    assert len(rows) == 58
    rows.append(("8929999", "merged", "q12345"))  # 0931—8929999 without the area code
    calls = [CallSpec(dialed, f"1370000{i:04d}") for i, (dialed, _, _) in enumerate(rows)]
    # long enough for the longest announcement, and for the lab menu of 12333 to time out
    result = await place_calls(calls, hold_ms=25000, rate=30)
    assert (result.successful, result.failed) == (len(calls), 0), result.output[-3000:]
    failures: list[str] = []
    for (dialed, section, target), call in zip(rows, calls, strict=True):
        call_id = await lab.call_id(call.caller)
        routed = lab.events("call.routed", call_id=call_id)
        if not routed or (routed[0]["mode"], routed[0]["target"]) != (
                "main" if section == "main" else section, target):
            failures.append(f"{dialed}: call.routed {routed}")
            continue
        # the engine's FastAGI decided (the static dialplan route would also reach the
        # queue: it must not count here; test_engine_stopped_… tests it on its own)
        if any(r["source"] != "engine" for r in routed) or lab.frames(
                "UserEvent", Linkedid=call_id, UserEvent="CcFallback"):
            failures.append(f"{dialed}: not routed by the engine: {routed}")
            continue
        if section != "main" and not routed[0]["unit"]:
            failures.append(f"{dialed}: no responsible unit in {routed[0]}")
        if section != "subcenter":
            if target not in _joined(lab, call_id):
                failures.append(f"{dialed}: AMI shows queues {_joined(lab, call_id)}")
            continue
        dests = [f.get("DestChannel", "") for f in lab.frames("DialEnd", Linkedid=call_id)]
        statuses = [f.get("DialStatus") for f in lab.frames("DialEnd", Linkedid=call_id)]
        if dialed in ANSWERING_SUBCENTERS:
            ok = any(d.startswith(f"PJSIP/{target}-") for d in dests) and "ANSWER" in statuses
        elif dialed == SILENT_SUBCENTER:
            ok = "NOANSWER" in statuses and "q12345" in _joined(lab, call_id) and \
                routed[-1]["target"] == "q12345" and routed[-1]["reason"] == "subcenter noanswer"
        else:
            assert dialed == UNREGISTERED_SUBCENTER
            ok = routed[0]["target"] == target and "q12345" in _joined(lab, call_id) and \
                routed[-1]["reason"] == "subcenter chanunavail"
        if not ok:
            failures.append(f"{dialed}: dial ends {list(zip(dests, statuses, strict=True))}, "
                            f"queues {_joined(lab, call_id)}, routed {routed}")
    assert not failures, "\n".join(failures)


async def test_engine_stopped_calls_still_reach_a_queue(lab: Lab, engine: Engine,
                                                       agents_waiting: None) -> None:
    await engine.agi.stop()
    cases = [("12345", "q12345"), ("12396", "q12345"), ("09318929999", "q12345"),
             ("12315", "q12315")]
    calls = [CallSpec(d, f"1371111{i:04d}") for i, (d, _) in enumerate(cases)]
    result = await place_calls(calls, hold_ms=17000, rate=10)
    assert result.successful == len(calls)
    for (dialed, queue), call in zip(cases, calls, strict=True):
        call_id = await lab.call_id(call.caller)
        assert queue in _joined(lab, call_id), (dialed, _joined(lab, call_id))
        assert lab.frames("UserEvent", Linkedid=call_id, UserEvent="CcFallback")
        routed = lab.events("call.routed", call_id=call_id)
        assert routed and routed[0]["source"] == "dialplan" and routed[0]["target"] == queue


async def _menu_call(lab: Lab, caller: str, dtmf: list[tuple[int, str]],
                     hold_ms: int) -> tuple[str, list[dict[str, Any]]]:
    result = await place_calls([CallSpec(MENU_HOTLINE, caller)], hold_ms=hold_ms, dtmf=dtmf,
                               local_port=5072, media_port=16200)
    assert result.successful == 1, result.output[-2000:]
    call_id = await lab.call_id(caller)
    routed = await lab.wait_for("call.routed", lambda: lab.events("call.routed",
                                                                  call_id=call_id))
    return call_id, routed


# The greeting of 12333 plays before the menu (~14 s): digits are sent after it.
GREETING_MS = 16000


@pytest.mark.parametrize(("digits", "queue", "menu_events"), [
    (["9"], "q12329", ["menu.choice"]),
    (["3", "9"], "q12329", ["menu.invalid", "menu.choice"]),
    ([], "q12333", ["menu.timeout"]),
])
async def test_dtmf_menu(lab: Lab, engine: Engine, agents_waiting: None, digits: list[str],
                         queue: str, menu_events: list[str]) -> None:
    caller = f"13722220{len(digits)}{digits[0] if digits else 0}{len(menu_events)}"[:11]
    dtmf = [(GREETING_MS if i == 0 else 1500, d) for i, d in enumerate(digits)]
    call_id, routed = await _menu_call(lab, caller, dtmf, hold_ms=GREETING_MS + 9000)
    assert routed[0]["target"] == queue
    assert queue in _joined(lab, call_id)
    seen = [r["event"] for r in lab.log_lines() if r.get("call_id") == call_id
            and r["event"].startswith("menu.")]
    assert seen == menu_events


async def test_caller_hanging_up_mid_menu_is_clean(lab: Lab, engine: Engine) -> None:
    before = engine.agi.counts["hangup"]
    result = await place_calls([CallSpec(MENU_HOTLINE, "13733330001")], hold_ms=3000,
                               local_port=5073, media_port=16300)
    assert result.successful == 1
    await lab.wait_for("agi hang-up", lambda: engine.agi.counts["hangup"] > before)
    await asyncio.sleep(0.2)
    call_id = await lab.call_id("13733330001")
    assert lab.events("call.ended", call_id=call_id)
    assert not lab.events("agi.handler_failed", call_id=call_id)
