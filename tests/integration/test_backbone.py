"""The backbone against the real Asterisk: calls, AMI outages, restarts, FastAGI failures."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess

from callcenter.app import Engine
from lab.sipp import CallSpec, place_calls
from tests.integration.conftest import Lab


def _caller(n: int) -> str:
    return f"1391234{n:04d}"


async def test_call_is_logged_with_dialed_number_and_masked_caller(lab: Lab,
                                                                   engine: Engine) -> None:
    result = await place_calls([CallSpec("12345", _caller(1)), CallSpec("12396", _caller(2))],
                               hold_ms=1500, rate=5)
    assert (result.successful, result.failed) == (2, 0), result.output[-2000:]
    for dialed, caller in (("12345", _caller(1)), ("12396", _caller(2))):
        masked = caller[:3] + "****" + caller[-4:]
        started = await lab.wait_for(f"call.started {dialed}", lambda d=dialed, m=masked:
                                     lab.events("call.started", dialed=d, caller=m))
        call_id = started[-1]["call_id"]
        ended = await lab.wait_for(f"call.ended {dialed}",
                                   lambda c=call_id: lab.events("call.ended", call_id=c))
        assert ended[0]["dialed"] == dialed and ended[0]["caller"] == masked
        assert lab.events("call.routed", call_id=call_id, dialed=dialed)
        # Asterisk itself saw the call (the raw Newchannel frame) with the same number
        assert lab.frames("Newchannel", Linkedid=call_id, Exten=dialed)
    assert _caller(1) not in lab.call_log.read_text()


async def _call_in_progress(lab: Lab, engine: Engine, dialed: str, caller: str,
                            hold_ms: int) -> tuple[asyncio.Task, str]:  # type: ignore[type-arg]
    sipp = asyncio.create_task(place_calls([CallSpec(dialed, caller)], hold_ms=hold_ms,
                                           local_port=5071, media_port=16100))
    call_id = await lab.wait_for(
        "the call in the live table",
        lambda: next((c.call_id for c in engine.tracker.calls.values()
                      if c.caller_num == caller and c.answered_at), None))
    return sipp, call_id


async def test_ami_connection_killed_while_a_call_is_up(lab: Lab, engine: Engine) -> None:
    sipp, call_id = await _call_in_progress(lab, engine, "12315", _caller(3), 8000)
    connects = engine.ami.status.connects
    # Kill the TCP connection from outside, as a network fault would.
    await asyncio.to_thread(subprocess.run, ["ss", "-K", "dst", "127.0.0.1", "dport", "=",
                                             f":{lab.config.engine.asterisk.ami_port}"],
                            capture_output=True, check=False)
    await lab.wait_for("reconnect", lambda: engine.ami.status.connects > connects
                       and engine.ami.connected)
    await lab.wait_for("resync", lambda: engine.resyncs >= 2)
    assert call_id in engine.tracker.calls
    assert not engine.tracker.calls[call_id].recovered  # kept, not re-created
    assert call_id in {c["call_id"] for c in engine.snapshot()["calls"]}
    assert lab.events("ami.disconnected") and lab.events("ami.resynced")
    result = await sipp
    assert result.successful == 1
    await lab.wait_for("call.ended", lambda: lab.events("call.ended", call_id=call_id))


async def test_call_that_ends_during_an_outage_is_closed_by_the_resync(lab: Lab,
                                                                       engine: Engine) -> None:
    sipp, call_id = await _call_in_progress(lab, engine, "12301", _caller(4), 1500)
    # The engine waits 4 s before reconnecting; the call ends in that gap.
    engine.ami.settings = dataclasses.replace(engine.ami.settings, backoff_initial=4.0)
    resyncs = engine.resyncs
    engine.ami.abort_connection()
    await sipp
    assert not engine.ami.connected and call_id in engine.tracker.calls
    await lab.wait_for("resync", lambda: engine.resyncs > resyncs)
    ended = await lab.wait_for("call.ended", lambda: lab.events("call.ended", call_id=call_id))
    assert call_id not in engine.tracker.calls
    assert ended[0]["reason"] == "gone during AMI outage"


async def test_engine_reconnects_by_itself_when_asterisk_restarts(lab: Lab,
                                                                  engine: Engine) -> None:
    connects = engine.ami.status.connects
    await asyncio.to_thread(lab.asterisk.down)
    await lab.wait_for("disconnect", lambda: not engine.ami.connected)
    await asyncio.to_thread(lab.asterisk.up)
    await lab.wait_for("reconnect", lambda: engine.ami.connected
                       and engine.ami.status.connects > connects, timeout=30)
    result = await place_calls([CallSpec("12345", _caller(5))], hold_ms=1000)
    assert result.successful == 1
    masked = _caller(5)[:3] + "****" + _caller(5)[-4:]
    await lab.wait_for("call after restart", lambda: lab.events("call.ended", caller=masked))


async def test_unknown_agi_script_falls_back_and_is_logged(lab: Lab, engine: Engine) -> None:
    result = await place_calls([CallSpec("9901", _caller(6))], hold_ms=1500)
    assert result.successful == 1  # the caller was answered by the fallback, not dropped
    diag = await lab.wait_for("CcDiag", lambda: lab.frames("UserEvent", UserEvent="CcDiag",
                                                            Check="unknown-script"))
    assert diag[-1]["CcStatus"] == "UNKNOWN_SCRIPT"
    assert lab.events("agi.unknown_script", script="no-such-script")
    assert lab.frames("UserEvent", UserEvent="CcFallback", Dialed="9901")


async def test_caller_hanging_up_mid_script(lab: Lab, engine: Engine) -> None:
    before = engine.agi.counts["hangup"]
    result = await place_calls([CallSpec("9902", _caller(7))], hold_ms=1500)
    assert result.successful == 1
    await lab.wait_for("agi.caller_hung_up", lambda: engine.agi.counts["hangup"] > before)
    assert lab.events("agi.caller_hung_up", script="diag-wait-digit")
    # the server keeps serving
    again = await place_calls([CallSpec("12345", _caller(8))], hold_ms=1000)
    assert again.successful == 1
    masked = _caller(8)[:3] + "****" + _caller(8)[-4:]
    started = await lab.wait_for("call.started", lambda: lab.events("call.started",
                                                                   caller=masked))
    await lab.wait_for("call.routed", lambda: lab.events("call.routed",
                                                       call_id=started[-1]["call_id"]))


async def test_malformed_agi_request_is_refused_and_server_keeps_serving(
        lab: Lab, engine: Engine) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", lab.config.engine.agi.port)
    writer.write(b"GET / HTTP/1.0\r\n\r\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    assert lab.events("agi.request_malformed")
    result = await place_calls([CallSpec("12345", _caller(9))], hold_ms=1000)
    assert result.successful == 1
    assert engine.agi.counts["ok"] >= 1


async def test_engine_down_calls_take_the_static_route(lab: Lab, engine: Engine) -> None:
    await engine.agi.stop()
    result = await place_calls([CallSpec("12345", _caller(10))], hold_ms=1500)
    assert result.successful == 1  # answered and held: not dropped
    fallback = await lab.wait_for("CcFallback", lambda: lab.frames(
        "UserEvent", UserEvent="CcFallback", Dialed="12345", AgiStatus="FAILURE"))
    assert fallback
