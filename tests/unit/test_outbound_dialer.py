"""The dialer's limits and its reading of AMI (#26), on a real store and stand-ins for
Asterisk and the agents: it calls only when an agent of the task's queue is free beyond the
callers already waiting (outbound never starves inbound), within the channel limit and the
attempts per second, never in quiet hours; an Originate's end and the leg's hang-up cause
become the attempt's outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from callcenter.agents.state import AgentStatus
from callcenter.ami import events as ev
from callcenter.ami.actions import AmiAction
from callcenter.ami.client import AmiResponse
from callcenter.calls.facts import CallFact
from callcenter.calls.state import CallTracker, LiveCall
from callcenter.config.loader import load_config
from callcenter.config.models import OutboundSettings
from callcenter.core import CallCenterCore
from callcenter.errors import OutboundError
from callcenter.outbound import ami_actions
from callcenter.outbound import state as s
from callcenter.outbound.dialer import Dialer
from callcenter.outbound.state import Rules
from callcenter.outbound.store import MIGRATIONS, TaskStore
from callcenter.paths import PROJECT_ROOT
from callcenter.queues.watch import QueueFigures
from callcenter.routing.decide import Router
from callcenter.store.db import Store

NOON = datetime(2026, 12, 7, 12, 0).timestamp()
CONFIG = load_config(PROJECT_ROOT / "config")


def agent(agent_id: str, queue: str = "q12345", *, busy: bool = False) -> AgentStatus:
    interface = f"PJSIP/agent-{agent_id}"
    return AgentStatus(agent_id, {queue}, interface, on_call_with="x" if busy else "",
                       devices={interface: ev.DeviceState.NOT_INUSE})


@dataclass
class Rig:
    store: Store
    tasks: TaskStore
    dialer: Dialer
    sent: list[AmiAction]
    facts: list[CallFact]
    agents: dict[str, AgentStatus]
    waiting: dict[str, float]
    settings: list[OutboundSettings]
    spawned: list[asyncio.Task[Any]] = field(default_factory=list)
    core: Any = None
    routed: list[tuple[str, str, str]] = field(default_factory=list)

    async def settle(self) -> None:
        while self.spawned:
            await self.spawned.pop(0)

    async def task(self, caller: str, at: float = NOON) -> int:
        task = await self.tasks.add(f"c-{caller}", caller, "12345", "12345热线", "q12345",
                                    "abandoned", "2026-12-07T04:00:00.000Z")
        await self.tasks.step(task, *s.missed(task, at, Rules.of(self.settings[0]), False))
        return task.id


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    tasks = TaskStore(await store.own_connection())
    sent: list[AmiAction] = []
    facts: list[CallFact] = []
    agents: dict[str, AgentStatus] = {}
    waiting: dict[str, float] = {}
    settings = [OutboundSettings(max_channels=2, attempts_per_second=1.0)]

    async def send(action: AmiAction) -> AmiResponse:
        sent.append(action)
        return AmiResponse(action.name, True, "Originate successfully queued", {})

    routed: list[tuple[str, str, str]] = []
    core = SimpleNamespace(
        agent_desk=SimpleNamespace(board=SimpleNamespace(agents=agents)),
        queue_watch=SimpleNamespace(figures={"q12345": QueueFigures(waiting=waiting)}),
        tracker=CallTracker(), router=Router.of(CONFIG.hotlines, CONFIG.queues),
        route_decided=lambda call_id, route, _ts, source: routed.append(
            (call_id, route.hotline, source)))
    spawned: list[asyncio.Task[Any]] = []

    def spawn(work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        running = asyncio.ensure_future(work)
        spawned.append(running)
        return running

    dialer = Dialer(lambda: settings[0], send, cast(CallCenterCore, core),
                    lambda fact, _ts: facts.append(fact), lambda: None, spawn)
    dialer.tasks = tasks
    rig = Rig(store, tasks, dialer, sent, facts, agents, waiting, settings, spawned)
    rig.core, rig.routed = core, routed
    try:
        yield rig
    finally:
        await rig.settle()
        await tasks.close()
        await store.close()


async def test_a_free_agent_and_the_citizen_is_called_with_the_centres_number(
        rig: Rig) -> None:
    task = await rig.task("13812345678")
    await rig.dialer.work(NOON)
    assert rig.sent == []  # no agent: nobody is called
    rig.agents["1001"] = agent("1001")
    await rig.dialer.work(NOON + 1)
    (originate,) = rig.sent
    fields = dict(originate.fields)
    assert (originate.name, fields["Channel"], fields["CallerID"], fields["ChannelId"],
            fields["Context"], fields["Timeout"]) == (
        "Originate", "PJSIP/13812345678@outbound-trunk", '"12345" <12345>', f"callback-{task}-1",
        "cc-outbound", "30000")
    assert ("Variable", "CC_QUEUE=q12345") in originate.fields
    assert (await rig.tasks.need(task)).state is s.TaskState.DIALING


async def test_an_inbound_caller_waiting_keeps_the_free_agent(rig: Rig) -> None:
    await rig.task("13812345678")
    rig.agents["1001"] = agent("1001")
    rig.waiting["caller-uid"] = NOON - 5
    await rig.dialer.work(NOON)
    assert rig.sent == []
    rig.agents["1002"] = agent("1002")  # a second free agent: one beyond the waiting caller
    await rig.dialer.work(NOON)
    assert len(rig.sent) == 1
    rig.agents["1003"] = agent("1003", busy=True)  # busy agents count for nothing
    await rig.task("13900001111")
    await rig.dialer.work(NOON + 5)
    assert len(rig.sent) == 1  # 2 free = 1 waiting + 1 callback not yet with an agent


async def test_the_channel_limit_and_the_attempt_rate(rig: Rig) -> None:
    rig.settings[0] = OutboundSettings(max_channels=1, attempts_per_second=2.0)
    for n in range(3):
        rig.agents[f"10{n}"] = agent(f"10{n}")
        await rig.task(f"1380000000{n}")
    await rig.dialer.work(NOON)
    await rig.dialer.work(NOON + 1)
    assert len(rig.sent) == 1  # one channel at most
    rig.settings[0] = OutboundSettings(max_channels=5, attempts_per_second=2.0)
    await rig.dialer.work(NOON + 1.2)
    await rig.dialer.work(NOON + 1.4)  # 0.2 s later: not yet (2 per second)
    assert len(rig.sent) == 2
    await rig.dialer.work(NOON + 1.7)
    assert len(rig.sent) == 3


async def test_busy_by_its_cause_then_the_next_attempt_after_spacing(rig: Rig) -> None:
    task = await rig.task("13812345678")
    rig.agents["1001"] = agent("1001")
    await rig.dialer.work(NOON)
    channel = f"callback-{task}-1"
    rig.dialer.on_event(ev.Hangup("PJSIP/outbound-trunk-1", channel, channel, 17, "Busy"),
                        NOON + 2)
    rig.dialer.on_event(ev.OriginateResponse("PJSIP/outbound-trunk-1", channel, channel,
                                             False, 1), NOON + 2)
    await rig.settle()
    assert rig.dialer.legs == {}  # the channel is free again
    kept = await rig.tasks.need(task)
    assert (kept.state, kept.attempts, kept.next_at) == (s.TaskState.WAITING, 1, NOON + 602)
    [row] = await rig.tasks.listing()
    assert [(a["outcome"], a["cause"]) for a in row["attempts"]] == [("busy", 17)]
    await rig.dialer.work(NOON + 601)
    assert len(rig.sent) == 1
    await rig.dialer.work(NOON + 602)
    assert len(rig.sent) == 2 and dict(rig.sent[1].fields)["ChannelId"] == f"callback-{task}-2"


async def test_busy_by_its_cause_when_the_hangup_comes_after_the_originates_end(
        rig: Rig) -> None:
    first = await rig.task("13812345678")
    second = await rig.task("13900001111")
    rig.agents["1001"], rig.agents["1002"] = agent("1001"), agent("1002")
    await rig.dialer.work(NOON)
    await rig.dialer.work(NOON + 1)
    for task in (first, second):  # a reason that says little: the cause is awaited
        channel = f"callback-{task}-1"
        rig.dialer.on_event(ev.OriginateResponse("PJSIP/outbound-trunk-1", channel, channel,
                                                 False, 0), NOON + 2)
    channel = f"callback-{first}-1"
    rig.dialer.on_event(ev.Hangup("PJSIP/outbound-trunk-1", channel, channel, 17, "Busy"),
                        NOON + 2)
    await rig.settle()
    await rig.dialer.work(NOON + 4.5)  # no hang-up for the second within 2 s: failed
    await rig.settle()
    rows = {r["id"]: r for r in await rig.tasks.listing()}
    assert [(a["outcome"], a["cause"]) for a in rows[first]["attempts"]] == [("busy", 17)]
    assert [(a["outcome"], a["cause"]) for a in rows[second]["attempts"]] == [("failed", None)]
    assert rig.dialer.legs == {}


async def test_answered_holds_its_channel_until_it_hangs_up(rig: Rig) -> None:
    task = await rig.task("13812345678")
    rig.agents["1001"] = agent("1001")
    await rig.dialer.work(NOON)
    channel = f"callback-{task}-1"
    call = rig.core.tracker.calls[channel] = LiveCall(channel, NOON, "s", "12345")
    rig.dialer.on_event(ev.OriginateResponse("PJSIP/outbound-trunk-1", channel, channel,
                                             True, 4), NOON + 3)
    await rig.settle()
    assert (await rig.tasks.need(task)).state is s.TaskState.REACHED
    assert channel in rig.dialer.legs
    # the agent's call card: the citizen's number, the route of the number they had dialed
    assert (call.caller_num, call.dialed) == ("13812345678", "12345")
    assert rig.routed == [(channel, "12345政务服务便民热线", "outbound")]
    rig.dialer.on_event(ev.Hangup("PJSIP/outbound-trunk-1", channel, channel, 16, "Normal"),
                        NOON + 60)
    assert rig.dialer.legs == {}
    assert [f.line for f in rig.facts] == ["outbound.dialed", "outbound.ended"]


async def test_quiet_hours_defer_a_due_task_to_the_morning(rig: Rig) -> None:
    task = await rig.task("13812345678")
    rig.agents["1001"] = agent("1001")
    ten_pm = datetime(2026, 12, 7, 22, 0).timestamp()
    await rig.dialer.work(ten_pm)
    assert rig.sent == []
    assert (await rig.tasks.need(task)).next_at == datetime(2026, 12, 8, 8, 0).timestamp()
    assert [f.line for f in rig.facts] == ["outbound.deferred"]


async def test_a_task_left_dialing_by_a_stopped_engine_failed(rig: Rig) -> None:
    task = await rig.task("13812345678")
    rig.agents["1001"] = agent("1001")
    await rig.dialer.work(NOON)
    fresh = Dialer(lambda: rig.settings[0], lambda _a: asyncio.sleep(0),  # type: ignore[arg-type]
                   cast(CallCenterCore, SimpleNamespace()), lambda _f, _t: None,
                   lambda: None, lambda _w: None)
    fresh.tasks = rig.tasks
    await fresh.recover(NOON + 100)
    kept = await rig.tasks.need(task)
    assert (kept.state, kept.attempts) == (s.TaskState.WAITING, 1)
    [row] = await rig.tasks.listing()
    assert row["attempts"][0]["outcome"] == "failed"


async def test_a_stopping_engine_hangs_up_a_ringing_phone_and_cancels_the_attempt(
        rig: Rig) -> None:
    ringing, answered = await rig.task("13812345678"), await rig.task("13900001111")
    rig.agents["1001"], rig.agents["1002"] = agent("1001"), agent("1002")
    await rig.dialer.work(NOON)
    await rig.dialer.work(NOON + 1)
    channel = f"callback-{answered}-1"
    rig.dialer.on_event(ev.OriginateResponse("PJSIP/outbound-trunk-2", channel, channel,
                                             True, 4), NOON + 3)
    await rig.settle()
    await rig.dialer.stop(NOON + 4)
    hangups = [dict(a.fields)["Channel"] for a in rig.sent if a.name == "Hangup"]
    assert hangups == [f"callback-{ringing}-1"]  # not the answered citizen's
    rows = {r["id"]: r for r in await rig.tasks.listing()}
    assert [a["outcome"] for a in rows[ringing]["attempts"]] == ["cancelled"]
    assert rows[ringing]["state"] == "waiting"  # the next attempt after the spacing
    assert [a["outcome"] for a in rows[answered]["attempts"]] == ["reached"]


@pytest.mark.parametrize("number", ["", "12", "138 1234 5678", "1381234567８",
                                    "13812345678@evil", "13812345678\r\nAction: Hangup",
                                    "＋8613812345678", "13812345678,1"])
def test_only_a_phone_number_is_dialed(number: str) -> None:
    with pytest.raises(OutboundError):
        ami_actions.call_citizen(number, task=1, attempt=1, queue="q12345", caller_id="12345",
                                 ring_s=30, queue_wait_s=60)


def test_the_dialer_hangs_up_only_its_own_calls() -> None:
    assert dict(ami_actions.hang_up("callback-12-3").fields)["Channel"] == "callback-12-3"
    for other in ("PJSIP/agent-1001-00000001", "callback-1-1&x", "1796681302.0"):
        with pytest.raises(OutboundError):
            ami_actions.hang_up(other)
    with pytest.raises(OutboundError):
        ami_actions.call_citizen("13812345678", task=1, attempt=1, queue="q1,x",
                                 caller_id="12345", ring_s=30, queue_wait_s=60)


async def test_legs_gone_while_ami_was_away_free_their_channels(rig: Rig) -> None:
    ringing, answered = await rig.task("13812345678"), await rig.task("13900001111")
    rig.agents["1001"], rig.agents["1002"] = agent("1001"), agent("1002")
    await rig.dialer.work(NOON)
    await rig.dialer.work(NOON + 1)
    channel = f"callback-{answered}-1"
    rig.dialer.on_event(ev.OriginateResponse("PJSIP/outbound-trunk-2", channel, channel,
                                             True, 4), NOON + 3)
    rig.dialer.resynced(["1796681302.0", "1796681302.1"], NOON + 30)  # neither is listed
    await rig.settle()
    assert rig.dialer.legs == {}
    rows = {r["id"]: r for r in await rig.tasks.listing()}
    assert [a["outcome"] for a in rows[ringing]["attempts"]] == ["failed"]
    assert [a["outcome"] for a in rows[answered]["attempts"]] == ["reached"]
    rig.dialer.resynced([], NOON + 31)  # nothing left to free


def test_a_number_the_dialer_calls_is_masked_in_the_frames_that_follow() -> None:
    """The CI's privacy scan found the citizen's number whole in the outbound leg's
    DialBegin (DialString) and a failed Originate's OriginateResponse (Channel): no caller-
    number header had shown it before, so the masker did not know it."""
    from callcenter.calllog.privacy import FrameMasker

    def frames() -> list[dict[str, str]]:
        return [{"Event": "DialBegin", "DestChannel": "PJSIP/outbound-trunk-0000001f",
                 "DialString": "13788880032@outbound-trunk"},
                {"Event": "OriginateResponse", "Response": "Failure",
                 "Channel": "PJSIP/13788880032@outbound-trunk", "Reason": "5"}]

    masker = FrameMasker()
    before = frames()
    for frame in before:
        masker.mask(frame)
    assert "13788880032" in str(before)  # as it was
    masker.remember("13788880032")
    after = frames()
    for frame in after:
        masker.mask(frame)
    assert "13788880032" not in str(after)
    assert after[0]["DestChannel"] == "PJSIP/outbound-trunk-0000001f"  # a channel's id stays
