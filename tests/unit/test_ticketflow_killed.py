"""A step is all or nothing when the engine is killed (SIGKILL, no chance to tidy up) in the
middle of it, or anywhere in a stream of steps: afterwards every ticket's place in the loop
and its history agree — as many history lines as steps, the last one saying where it is —
and every step reported done is kept."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from callcenter.store.db import Store
from callcenter.ticketflow.files import read_loop_config
from callcenter.ticketflow.loop import TicketLoop
from callcenter.ticketflow.schema import MIGRATIONS
from callcenter.ticketflow.state import Side, Step, Who
from callcenter.ticketflow.store import FlowStore
from callcenter.tickets.store import TicketOpen, Tickets
from tests.unit.stepper import MONDAY

ROOT = Path(__file__).resolve().parents[2]
CONFIG = read_loop_config(ROOT / "config")[0]
LEAK = {"request_type": "求助", "topic": "水电气热", "place": {"city": "兰州市",
                                                             "county": "城关区"}}


async def with_loop(path: Path) -> tuple[Store, TicketLoop]:
    store = await Store.open(path, MIGRATIONS)
    loop = TicketLoop(lambda: CONFIG, lambda: MONDAY - 3600, lambda _event, _ts: None)
    loop.flows, loop.tickets = FlowStore(await store.own_connection(), loop.limits), \
        Tickets(store)
    return store, loop


async def dispatched(path: Path, count: int) -> list[int]:
    store, loop = await with_loop(path)
    made = []
    try:
        for k in range(count):
            t = await Tickets(store).open(TicketOpen(
                f"k.{k}", "13812345678", "12345", "12345", "12345热线", "", "q12345", "1001",
                "2026-09-28T02:00:00Z"))
            await Tickets(store).set_prefill(t, LEAK)
            await loop.accept(t, Who("wang", Side.CENTRE))
            await loop.act(t, Who("wang", Side.CENTRE), "dispatch", unit="城关区", assists=())
            made.append(t)
    finally:
        await store.close()
    return made


async def places(path: Path, tickets: list[int]) -> dict[int, tuple[str, int]]:
    """Each ticket's step and how many steps it took — checked against its history."""
    store, loop = await with_loop(path)
    found = {}
    try:
        async with store.db.execute("PRAGMA integrity_check") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [("ok",)]
        for t in tickets:
            flow, history = await loop.flow(t), await loop.timeline(t)
            assert history[-1]["after"] == flow.step.value
            assert len(history) == flow.version + 1  # 受理, then one line a step
            found[t] = (flow.step.value, flow.version)
    finally:
        await store.close()
    return found


def stepper(path: Path, *more: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.unit.stepper", str(path), *more],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)


async def test_killed_in_the_middle_of_a_step_nothing_of_it_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "cc.sqlite3"
    tickets = await dispatched(path, 5)
    child = stepper(path, "7")  # the 7th step: the fourth ticket's signing
    out, _ = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert out.split("\n")[-2] == f"reply {tickets[2]}"  # six steps reported done
    assert await places(path, tickets) == {
        tickets[0]: ("replied", 3), tickets[1]: ("replied", 3), tickets[2]: ("replied", 3),
        tickets[3]: ("dispatched", 1), tickets[4]: ("dispatched", 1)}
    # what it was in the middle of can be done again, whole
    child = stepper(path)
    assert child.communicate(timeout=120)[0].split("\n")[:2] == [
        f"sign {tickets[3]}", f"reply {tickets[3]}"]
    assert set((await places(path, tickets)).values()) == {("replied", 3)}


async def test_killed_anywhere_in_a_stream_of_steps_the_store_agrees(tmp_path: Path) -> None:
    path = tmp_path / "cc.sqlite3"
    tickets = await dispatched(path, 60)
    child = stepper(path)
    assert child.stdout is not None
    done = [child.stdout.readline().split() for _ in range(25)]
    child.send_signal(signal.SIGKILL)  # while it goes on stepping
    child.wait(timeout=120)
    kept = await places(path, tickets)
    for action, t in done:  # every step reported done is kept
        assert kept[int(t)][0] in ({"replied"} if action == "reply" else {"handling",
                                                                             "replied"})
    assert {place for place, _ in kept.values()} <= {"dispatched", "handling", "replied"}
    assert Step.DISPATCHED.value in {place for place, _ in kept.values()}  # it was stopped
