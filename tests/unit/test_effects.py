"""The one effect runner: an event's effects noted at once and their AMI work as tasks; a
command's effects in order before it returns, ``required`` handed to the work."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from callcenter.effects import EffectRunner
from callcenter.tasks import TaskSet


@dataclass(frozen=True)
class Hang:
    channel: str


@dataclass(frozen=True)
class Move:
    channel: str


@dataclass(frozen=True)
class Said:
    text: str


async def test_work_as_tasks_for_an_event_and_in_order_for_a_command() -> None:
    done: list[tuple[str, object]] = []

    async def act(effect: Hang | Move, required: bool) -> None:
        await asyncio.sleep(0.01 if isinstance(effect, Hang) else 0)
        done.append(("act", (effect, required)))

    runner = EffectRunner[Hang | Move | Said](Hang | Move, act,
                                              lambda e: done.append(("note", e)),
                                              TaskSet("test"))
    runner.run([Hang("a"), Said("x"), Move("b")])
    assert done == [("note", Said("x"))]  # the work is not done yet: tasks
    await asyncio.sleep(0.05)
    assert {d[1] for d in done[1:]} == {(Hang("a"), False), (Move("b"), False)}
    done.clear()
    await runner.perform([Hang("c"), Said("y"), Move("d")], required=True)
    assert done == [("act", (Hang("c"), True)), ("note", Said("y")), ("act", (Move("d"), True))]
