"""Transfers to sub-centers and expert seats on the real Asterisk: a sipp caller, a pyVoIP
agent, a pyVoIP sub-center seat registered as the sub-center's endpoint."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from callcenter.ami import actions
from callcenter.app import Engine
from callcenter.calllog.privacy import mask_number
from callcenter.config.loader import agent_endpoint
from callcenter.errors import TransferError
from callcenter.paths import PROJECT_ROOT
from callcenter.tickets.desk import TicketDesk
from callcenter.transfers.desk import TransferDesk
from callcenter.transfers.model import Transfer
from callcenter.transfers.records import TransferRecords
from lab.sipp import CallSpec, SippResult, place_calls
from lab.softphone import Softphone, SoftphoneSettings
from tests.integration.conftest import SILENT_SUBCENTER, UNREGISTERED_SUBCENTER, Lab

SUBCENTER = UNREGISTERED_SUBCENTER  # 12313: its seat registers in these tests only
AGENT = "1001"


def _phone(lab: Lab, endpoint: str, port: int, *, answer: bool = True,
           talk_s: float = 60.0) -> Softphone:
    return Softphone(SoftphoneSettings(endpoint, lab.secrets.sip_passwords[endpoint],
                                       sip_port=port, rtp_low=port * 10 - 20000,
                                       rtp_high=port * 10 - 19900, answer=answer,
                                       answer_delay_s=0.5, talk_s=talk_s))


@dataclass
class Call:
    call_id: str
    sipp: asyncio.Task[SippResult]


@pytest.fixture
async def agent(lab: Lab, engine: Engine) -> AsyncIterator[Softphone]:
    phone = _phone(lab, agent_endpoint(AGENT), 5068)
    await asyncio.to_thread(phone.start)
    await engine.agent_desk.login(AGENT)
    yield phone
    await engine.agent_desk.logout(AGENT)
    await asyncio.to_thread(phone.stop)


@pytest.fixture
async def seat(lab: Lab) -> AsyncIterator[Softphone]:
    """The sub-center 12313's seat, registered as endpoint subcenter-12313."""
    phone = _phone(lab, f"subcenter-{SUBCENTER}", 5069)
    await asyncio.to_thread(phone.start)
    yield phone
    await asyncio.to_thread(phone.stop)


async def answered_call(lab: Lab, engine: Engine, caller: str, tone: Path,
                        hold_s: float = 40, port: int = 5083) -> Call:
    """A caller dials 12345 and the agent answers; the sipp run goes on in a task."""
    masked = mask_number(caller)
    earlier = len(lab.events("call.started", caller=masked))  # the log is the session's
    sipp = asyncio.create_task(place_calls([CallSpec("12345", caller)], audio=tone,
                                           hold_ms=int(hold_s * 1000), local_port=port,
                                           media_port=port * 4))
    started = await lab.wait_for(f"a call from {masked}", lambda: lab.events(
        "call.started", caller=masked)[earlier:])
    call_id = str(started[0]["call_id"])
    await lab.wait_for("the agent to answer", lambda: any(
        c.agent == AGENT for c in engine.tracker.calls.values() if c.call_id == call_id))
    await lab.wait_for("the ticket", lambda: lab.events("ticket.created", call_id=call_id))
    return Call(call_id, sipp)


async def members(engine: Engine, room: str) -> list[str]:
    """Channels in a ConfBridge room, as Asterisk lists them (ConfbridgeList)."""
    reply = await engine.ami.send(actions.confbridge_list(room))
    if not reply.success:
        return []
    return sorted(item.get("Channel") for item in reply.items
                  if item.name == "ConfbridgeList")


async def members_when(engine: Engine, room: str,
                       settled: Callable[[list[str]], bool]) -> list[str]:
    """The room's channels once ``settled`` holds (moves take a moment), or after 6 s."""
    found: list[str] = []
    for _ in range(30):
        found = await members(engine, room)
        if settled(found):
            break
        await asyncio.sleep(0.2)
    return found


def transfer_of(engine: Engine, transfer_id: str) -> Transfer | None:
    return engine.part(TransferDesk).live.get(transfer_id)


async def finish(call: Call) -> None:
    result = await asyncio.wait_for(call.sipp, 90)
    assert result.successful + result.failed == 1


async def test_conference_then_agent_leaves_caller_and_subcenter_talk(
        lab: Lab, engine: Engine, agent: Softphone, seat: Softphone, caller_tone: Path) -> None:
    call = await answered_call(lab, engine, "13766667101", caller_tone)
    result = await engine.part(TransferDesk).start(AGENT, SUBCENTER, "conference")
    assert result["phase"] == "answered", result
    room = f"xfer-{result['transfer']}"
    three = await members(engine, room)
    assert len(three) == 3, three
    assert any(c.startswith("PJSIP/carrier-") for c in three)
    assert any(c.startswith(f"PJSIP/{agent_endpoint(AGENT)}-") for c in three)
    assert any(c.startswith("Local/dial@cc-xfer-dest-") for c in three)

    left = await engine.part(TransferDesk).complete(AGENT)
    assert left["outcome"] == "completed"
    await lab.wait_for("the agent to leave", lambda: lab.events(
        "transfer.completed", call_id=call.call_id))
    completed_at = time.time()
    remaining = await members_when(engine, room, lambda found: len(found) == 2)
    assert len(remaining) == 2 and not any(c.startswith("PJSIP/agent-") for c in remaining)
    await lab.wait_for("the sub-center to hear the caller after the agent left", lambda: (
        seat.answered and (seat.answered[0].last_heard_at or 0) > completed_at + 1.0))
    assert agent.answered[0].ended_at is not None  # the agent's phone was hung up

    ticket_id = lab.events("ticket.created", call_id=call.call_id)[0]["ticket"]
    for name in ("transfer.started", "transfer.answered", "transfer.completed"):
        assert lab.events(name, call_id=call.call_id), name
    await finish(call)
    assert engine.store is not None and engine.part(TicketDesk).tickets is not None
    ticket = await engine.part(TicketDesk).tickets.get(ticket_id)
    (record,) = ticket["transfers"]
    assert record["destination"] == SUBCENTER and record["mode"] == "conference"
    assert record["outcome"] == "completed" and record["answered_at"] and record["started_at"]
    (handoff,) = await TransferRecords(engine.store).handoffs(ticket_id=ticket_id)
    content = handoff["record"]
    assert content["ticket"] == ticket_id and content["caller"] == "13766667101"
    assert content["origin_hotline"]["number"] == "12345"
    assert content["destination"]["number"] == SUBCENTER
    assert "prefill" in content and content["mode"] == "conference"


async def test_attended_cancel_then_complete(lab: Lab, engine: Engine, agent: Softphone,
                                             seat: Softphone, caller_tone: Path) -> None:
    call = await answered_call(lab, engine, "13766667102", caller_tone, port=5084)
    desk = engine.part(TransferDesk)
    first = await desk.start(AGENT, SUBCENTER, "attended")
    assert first["phase"] == "answered", first
    room, consult = f"xfer-{first['transfer']}", f"xfer-{first['transfer']}-consult"
    # the caller waits alone (hold music) while the agent consults the sub-center
    assert [c.startswith("PJSIP/carrier-") for c in await members(engine, room)] == [True]
    assert len(await members(engine, consult)) == 2
    cancelled = await desk.cancel(AGENT)
    assert cancelled["outcome"] == "cancelled"
    await lab.wait_for("the agent back with the caller", lambda: lab.events(
        "transfer.cancelled", call_id=call.call_id))
    together = await members_when(engine, room, lambda found: len(found) == 2)
    assert sorted(c.split("/")[1].split("-")[0] for c in together) == ["agent", "carrier"]
    await lab.wait_for("the seat's first call to end", lambda: seat.answered
                       and seat.answered[0].ended_at is not None)

    second = await desk.start(AGENT, SUBCENTER, "attended")
    assert second["phase"] == "answered", second
    done = await desk.complete(AGENT)
    assert done["outcome"] == "completed"
    room2 = f"xfer-{second['transfer']}"
    handed = await members_when(engine, room2, lambda found: len(found) == 2 and not any(
        "agent-" in c for c in found))
    assert sorted(c.split("/")[0] for c in handed) == ["Local", "PJSIP"], handed
    completed_at = time.time()
    await lab.wait_for("the sub-center to hear the caller", lambda: len(seat.answered) == 2
                       and (seat.answered[1].last_heard_at or 0) > completed_at + 1.0)
    await finish(call)
    ticket_id = lab.events("ticket.created", call_id=call.call_id)[0]["ticket"]
    assert engine.part(TicketDesk).tickets is not None
    ticket = await engine.part(TicketDesk).tickets.get(ticket_id)
    assert [(t["mode"], t["outcome"]) for t in ticket["transfers"]] == [
        ("attended", "cancelled"), ("attended", "completed")]


async def test_blind_transfer_reaches_the_subcenter(lab: Lab, engine: Engine, agent: Softphone,
                                                   seat: Softphone, caller_tone: Path) -> None:
    call = await answered_call(lab, engine, "13766667103", caller_tone, hold_s=20, port=5085)
    result = await engine.part(TransferDesk).start(AGENT, SUBCENTER, "blind")
    assert result["outcome"] == "completed", result
    await lab.wait_for("the agent's leg to end", lambda: agent.answered[0].ended_at)
    started = time.time()
    await lab.wait_for("the seat to hear the caller", lambda: seat.answered and (
        seat.answered[0].last_heard_at or 0) > started + 1.0)
    ends = lab.frames("DialEnd", Linkedid=call.call_id, DialStatus="ANSWER")
    assert any(f["DestChannel"].startswith(f"PJSIP/subcenter-{SUBCENTER}-") for f in ends)
    await finish(call)


async def forget_stale_seat(lab: Lab) -> None:
    """A seat softphone of an earlier test may have gone without deregistering (pyVoIP does
    not always manage): Asterisk keeps such a contact (in astdb) until it expires. Remove
    it, so that 12313 is truly "not registered"."""
    stored = await asyncio.to_thread(lab.asterisk.cli, "database show registrar/contact")
    for key in re.findall(rf"/registrar/contact/(subcenter-{UNREGISTERED_SUBCENTER};@\w+)",
                          stored):
        await asyncio.to_thread(lab.asterisk.cli, f"database del registrar/contact {key}")
    contacts = await asyncio.to_thread(lab.asterisk.cli, "pjsip show contacts")
    assert f"subcenter-{UNREGISTERED_SUBCENTER}/" not in contacts


async def test_failed_transfers_never_drop_the_caller(lab: Lab, engine: Engine,
                                                     agent: Softphone, seats: None,
                                                     caller_tone: Path) -> None:
    """12313 with no seat registered, 12305 ringing past its 3 s: caller and agent together
    again every time; blind: the caller is back at the head of the queue."""
    await forget_stale_seat(lab)
    call = await answered_call(lab, engine, "13766667104", caller_tone, hold_s=45, port=5086)
    desk = engine.part(TransferDesk)
    unregistered = await desk.start(AGENT, UNREGISTERED_SUBCENTER, "conference")
    assert (unregistered["outcome"], unregistered["reason"]) == ("failed", "unavailable")
    room = f"xfer-{unregistered['transfer']}"
    assert len(await members(engine, room)) == 2  # caller and agent, still together

    silent = await desk.start(AGENT, SILENT_SUBCENTER, "attended")
    assert silent["outcome"] == "failed" and silent["reason"] in ("no_answer", "timeout")
    room2 = f"xfer-{silent['transfer']}"
    together = await members_when(engine, room2, lambda found: len(found) == 2)
    assert sorted(c.split("/")[1].split("-")[0] for c in together) == ["agent", "carrier"]
    failed = lab.events("transfer.failed", call_id=call.call_id)
    assert [f["reason"] for f in failed] == ["unavailable", silent["reason"]]
    assert all(f["reason_text"] for f in failed)

    blind = await desk.start(AGENT, SILENT_SUBCENTER, "blind")
    assert blind["outcome"] == "failed"
    # the caller goes back to the queue, at its head, and the agent answers again
    await lab.wait_for("the caller back in the queue", lambda: [
        f for f in lab.frames("QueueCallerJoin", Linkedid=call.call_id)], timeout=20)
    await lab.wait_for("the agent to take the caller again", lambda: len(agent.answered) >= 2,
                       timeout=30)
    joins = lab.frames("QueueCallerJoin", Linkedid=call.call_id)
    assert joins[-1]["Position"] == "1"
    await finish(call)


@pytest.mark.parametrize(("mode", "ending", "port"), [
    ("conference", "failed", 5087), ("attended", "failed", 5088),
    ("conference", "cancelled", 5089), ("attended", "cancelled", 5092)])
async def test_agent_hanging_up_after_a_transfer_ends_the_callers_call(
        lab: Lab, engine: Engine, agent: Softphone, seats: None, caller_tone: Path,
        mode: str, ending: str, port: int) -> None:
    """After a failed or cancelled transfer caller and agent talk on in the room; when the
    agent hangs up, the caller's call ends as an ordinary call would — the caller is never
    left alone in the room with hold music."""
    await forget_stale_seat(lab)
    caller = f"1376666{port}"
    call = await answered_call(lab, engine, caller, caller_tone, hold_s=45, port=port)
    desk = engine.part(TransferDesk)
    if ending == "failed":  # 12313 has no seat registered
        result = await desk.start(AGENT, UNREGISTERED_SUBCENTER, mode)
        assert result["outcome"] == "failed", result
    else:  # 12305's seat rings without answering; the agent cancels
        result = await desk.start(AGENT, SILENT_SUBCENTER, mode, wait=False)
        await asyncio.sleep(1.0)
        assert (await desk.cancel(AGENT))["outcome"] == "cancelled"
    room = f"xfer-{result['transfer']}"
    together = await members_when(engine, room, lambda found: len(found) == 2)
    assert sorted(c.split("/")[1].split("-")[0] for c in together) == ["agent", "carrier"]

    live = engine.tracker.calls[call.call_id]
    hung_up_at = time.time()
    await engine.ami.send(actions.hangup(live.agent_channel))  # the agent hangs up
    ended = await lab.wait_for("the caller's call to end", lambda: lab.events(
        "call.ended", call_id=call.call_id), timeout=10)
    assert ended[0]["duration_s"] < 40  # long before the caller would have given up (45 s)
    assert time.time() - hung_up_at < 8
    assert lab.events("transfer.caller_released", call_id=call.call_id)
    assert await members(engine, room) == []
    await finish(call)


async def test_refused_transfers_change_nothing(lab: Lab, engine: Engine, agent: Softphone,
                                               caller_tone: Path) -> None:
    desk = engine.part(TransferDesk)
    with pytest.raises(TransferError, match="没有可转接的通话"):
        await desk.start(AGENT, SUBCENTER)
    call = await answered_call(lab, engine, "13766667105", caller_tone, hold_s=16, port=5096)
    with pytest.raises(TransferError, match="没有转接目标"):
        await desk.start(AGENT, "99999")
    with pytest.raises(TransferError, match="已整体并入"):
        await desk.start(AGENT, "12396")  # merged into 12345: no seats of its own
    with pytest.raises(TransferError, match="转接方式"):
        await desk.start(AGENT, SUBCENTER, "teleport")
    # the same through the command line, asking the running engine
    cli = await asyncio.create_subprocess_exec(
        sys.executable, str(PROJECT_ROOT / "run.py"), "transfer", AGENT, "99999",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await cli.communicate()
    assert cli.returncode == 1 and "没有转接目标" in err.decode(), (out, err)
    assert not lab.events("transfer.started", call_id=call.call_id)
    live = engine.tracker.calls[call.call_id]
    assert live.agent == AGENT and not any(
        c.startswith("ConfBridge") for c in (i.name for i in live.channels.values()))
    await finish(call)
    await lab.wait_for("the call to end normally", lambda: agent.answered[0].ended_at)


async def test_conference_with_an_expert_seat_of_a_dual_hotline(
        lab: Lab, engine: Engine, agent: Softphone, caller_tone: Path) -> None:
    """12333's expert seats are a queue inside 12345 (q12333): the expert answers from it."""
    expert = _phone(lab, agent_endpoint("2004"), 5071)
    await asyncio.to_thread(expert.start)
    try:
        await engine.agent_desk.login("2004")
        await engine.agent_desk.pause("2004", "会议")  # the caller goes to 1001 first
        call = await answered_call(lab, engine, "13766667106", caller_tone, hold_s=25,
                                   port=5088)
        await engine.agent_desk.unpause("2004")
        result = await engine.part(TransferDesk).start(AGENT, "12333", "conference")
        assert result["phase"] == "answered", result
        assert len(await members(engine, f"xfer-{result['transfer']}")) == 3
        await engine.part(TransferDesk).complete(AGENT)
        started = time.time()
        await lab.wait_for("the expert to hear the caller", lambda: expert.answered and (
            expert.answered[0].last_heard_at or 0) > started + 1.0)
        await finish(call)
    finally:
        await engine.agent_desk.logout("2004")
        await asyncio.to_thread(expert.stop)
    # one ticket: the expert's leg is part of the caller's call, not a call of its own
    assert len(lab.events("ticket.created", call_id=call.call_id)) == 1
    legs = [e for e in lab.events("ticket.created") if e["call_id"].startswith("xfer-")]
    assert legs == []
    (handoff,) = [h for h in lab.events("transfer.handoff", call_id=call.call_id)]
    assert handoff["destination"] == "12333"


@pytest.fixture(scope="module", autouse=True)
def module_log_start(lab: Lab) -> int:
    """Where this module's part of the session's call log begins."""
    return lab.call_log.stat().st_size if lab.call_log.exists() else 0


INJECTED_USER = ("13766667109%0D%0AAction%3A%20Originate%0D%0AChannel%3A%20Local%2FEVILMARK"
                 "%40x")  # the escapes a SIP URI allows in its user part
INJECTED_NAME = "EVILMARK\u2028Action: Hangup\u0085Channel: PJSIP/carrier"
CONTROL = ("\r", "\n", "\x00")


async def test_an_injected_caller_id_reaches_no_ami_action(
        lab: Lab, engine: Engine, agent: Softphone, seat: Softphone, caller_tone: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller ID from the carrier with escaped line breaks and AMI headers in the From
    user, and Unicode line separators in the display name: the dialplan keeps the number's
    digits; no action the engine sends carries the rest (the transfer's Originate shows the
    caller's number to the sub-center)."""
    sent: list[actions.AmiAction] = []
    send_on = engine.ami._send_on

    async def recording(proto: object, action: actions.AmiAction, timeout: float | None) -> object:
        sent.append(action)
        return await send_on(proto, action, timeout)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.ami, "_send_on", recording)
    earlier = len(lab.events("call.started"))
    sipp = asyncio.create_task(place_calls(
        [CallSpec("12345", INJECTED_USER, display=INJECTED_NAME)], audio=caller_tone,
        hold_ms=30000, local_port=5084, media_port=5084 * 4))
    try:
        (started,) = await lab.wait_for("the injected call", lambda: lab.events(
            "call.started")[earlier:])
    except AssertionError:
        sipp.cancel()
        raise
    call_id = str(started["call_id"])
    try:
        await lab.wait_for("the agent to answer", lambda: any(
            c.agent == AGENT for c in engine.tracker.calls.values() if c.call_id == call_id))
    except AssertionError:
        sipp.cancel()
        raise
    (created,) = await lab.wait_for("the ticket", lambda: lab.events(
        "ticket.created", call_id=call_id))
    result = await engine.part(TransferDesk).start(AGENT, SUBCENTER, "conference")
    assert result["phase"] == "answered", result
    await engine.part(TransferDesk).complete(AGENT)
    await finish(Call(call_id, sipp))

    assert engine.part(TicketDesk).tickets is not None
    caller = (await engine.part(TicketDesk).tickets.get(created["ticket"]))["caller"]
    assert re.fullmatch(r"\+?[0-9]+", caller) and caller.startswith("13766667109"), caller
    originates = [a for a in sent if a.name == "Originate"]
    assert originates, [a.name for a in sent]
    for action in sent:
        for key, value in action.fields:
            assert not any(c in value for c in CONTROL), (action.name, key, value)
            assert "EVILMARK" not in value.upper() and "Action:" not in value, (key, value)
    shown = [dict(a.fields).get("CallerID", "") for a in originates]
    assert any(f"<{caller}>" in text for text in shown), shown
    for line in lab.log_lines():  # nor does the log carry the name's separators unmasked
        assert not any(c in str(line) for c in ("\u2028", "\u0085")), line


async def test_the_transfers_replay_without_divergence(lab: Lab, module_log_start: int,
                                                       tmp_path: Path) -> None:
    """Every transfer above, replayed from the call log: the requests (transfer.requested,
    an input) run again through the same transfer desk on the recorded frames, and every
    transfer decision comes out the same."""
    from callcenter.config.loader import config_hash
    from callcenter.replay.runner import Replayer

    part = tmp_path / "transfers.jsonl"
    with lab.call_log.open("rb") as whole:
        whole.seek(module_log_start)
        part.write_bytes(whole.read())
    text = part.read_text(encoding="utf-8")
    result = await Replayer(lab.config, config_hash(lab.config.directory)).run_file(part)
    assert [d.describe() for d in result.divergences] == []
    events = Counter(json.loads(line)["event"] for line in text.splitlines())
    recorded = sum(events[f"transfer.{name}"] for name in (
        "started", "answered", "completed", "failed", "cancelled", "caller_released"))
    assert recorded >= 20 and events["transfer.requested"] >= recorded // 3
    assert result.recorded_decisions == result.replayed_decisions
