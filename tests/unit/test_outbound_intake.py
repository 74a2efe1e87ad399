"""Missed calls become callback tasks (#26): a caller who hung up in the queue after waiting
long enough, one who hung up during the greeting or menu; not an answered call, a call the
dialplan already recorded, a sub-center's call, the centre's own callbacks; a duplicate is
closed at once; a number answered again closes its waiting tasks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import pytest

from callcenter.calls.facts import CallbackRequested, CallFact, QueueJoined
from callcenter.calls.state import AgentAnswered, CallEnded, CallTracker, LiveCall
from callcenter.config.models import OutboundSettings
from callcenter.outbound.intake import Intake
from callcenter.outbound.store import MIGRATIONS, TaskStore
from callcenter.ports import CallbacksChanged
from callcenter.routing.decide import Kind, Mode, Route
from callcenter.store.db import Store

T0 = 1_790_000_000.0
QUEUED = Route("12345", Mode.MAIN, "12345热线", "12345", "", Kind.QUEUE, queue="q12345")
SEATS = Route("12366", Mode.SUBCENTER, "分中心", "12366", "", Kind.SUBCENTER)


class Rig:
    def __init__(self, tasks: TaskStore) -> None:
        self.tracker = CallTracker()
        self.facts: list[CallFact] = []
        self.published: list[object] = []
        self.spawned: list[asyncio.Future[Any]] = []
        self.intake = Intake(lambda: OutboundSettings(abandoned_after_s=5), self.tracker,
                             lambda fact, _ts: self.facts.append(fact), self._spawn,
                             lambda event, _ts: self.published.append(event))
        self.intake.tasks = tasks
        self.tasks = tasks

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        self.spawned.append(asyncio.ensure_future(work))

    async def settle(self) -> None:
        while self.spawned:
            await self.spawned.pop(0)

    def call(self, call_id: str, caller: str, route: Route | None = QUEUED) -> LiveCall:
        call = LiveCall(call_id, T0, dialed="12345", caller_num=caller, route=route)
        self.tracker.calls[call_id] = call
        return call

    async def end(self, call: LiveCall, at: float) -> None:
        del self.tracker.calls[call.call_id]
        self.intake.on_ended(CallEnded(call, at, 16, "Normal", "hangup"), at)
        await self.settle()

    def joined(self, call: LiveCall, at: float) -> None:
        call.queue = "q12345"
        self.intake.on_fact(QueueJoined(call.call_id, "q12345", 1, 1), at)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    tasks = TaskStore(await store.own_connection())
    try:
        yield Rig(tasks)
    finally:
        await tasks.close()
        await store.close()


async def _listed(rig: Rig) -> list[tuple[str, str, str]]:
    return [(t["reason"], t["state"], t["closed_reason"]) for t in
            reversed(await rig.tasks.listing())]


async def test_abandoned_after_waiting_long_enough(rig: Rig) -> None:
    short, waited = rig.call("1.1", "13800000001"), rig.call("1.2", "13800000002")
    rig.joined(short, T0 + 7)
    rig.joined(waited, T0 + 7)
    await rig.end(short, T0 + 11)  # 4 s in the queue: under abandoned_after_s
    await rig.end(waited, T0 + 12)  # 5 s
    assert await _listed(rig) == [("abandoned", "waiting", "")]
    (opened,) = rig.facts
    assert (opened.line, opened.call_id, opened.fields()["caller"]) == (
        "outbound.task", "1.2", "13800000002")  # (the call log masks it as it writes)
    assert rig.published == [CallbacksChanged("q12345")]


async def test_hung_up_during_the_greeting_or_menu(rig: Rig) -> None:
    await rig.end(rig.call("2.1", "13800000003"), T0 + 3)
    assert await _listed(rig) == [("greeting", "waiting", "")]


async def test_not_missed(rig: Rig) -> None:
    answered = rig.call("3.1", "13800000004")
    rig.joined(answered, T0 + 7)
    answered.agent = "1001"
    await rig.end(answered, T0 + 60)
    recorded = rig.call("3.2", "13800000005")  # the dialplan's own callback request
    rig.intake.on_fact(CallbackRequested("3.2", "13800000005", "12345", "12345热线",
                                         "q12345", "joinempty"), T0 + 7)
    await rig.end(recorded, T0 + 15)
    await rig.end(rig.call("3.3", "13800000006", SEATS), T0 + 3)  # a sub-center's
    await rig.end(rig.call("callback-7-1", "12345"), T0 + 3)  # the centre's own
    await rig.end(rig.call("3.4", "anonymous"), T0 + 3)  # no number to call
    assert await _listed(rig) == []


async def test_a_second_missed_call_of_a_number_is_a_duplicate(rig: Rig) -> None:
    await rig.end(rig.call("4.1", "13800000007"), T0 + 3)
    await rig.end(rig.call("4.2", "13800000007"), T0 + 30)
    assert await _listed(rig) == [("greeting", "waiting", ""),
                                  ("greeting", "closed", "duplicate")]


async def test_a_number_answered_again_closes_its_waiting_tasks(rig: Rig) -> None:
    await rig.end(rig.call("5.1", "13800000008"), T0 + 3)
    again = rig.call("5.2", "13800000008")
    rig.intake.on_answered(AgentAnswered("5.2", again, "1001", "1001", "q12345",
                                         "PJSIP/carrier-1", "PJSIP/agent-1001-1", T0 + 90),
                           T0 + 90)
    await rig.settle()
    assert await _listed(rig) == [("greeting", "closed", "answered")]
    assert [f.line for f in rig.facts] == ["outbound.task", "outbound.closed"]
