"""The ticket loop at a province's volume: a store of 5 million tickets (three years) with
their history, and the loop's reads and steps on it.

    python bench/tickets_scale.py [--tickets 5000000] [--db PATH] [--baseline 50000]

The store is built with the engine's schema (``bench/ticket_fill.py``; minutes at 5 M) in a
temporary directory, or at ``--db PATH`` and kept there: a later run with the same ``--db``
reuses it, its clock on where the last run left it, plus an hour. Everything is measured
through the loop's own code (``TicketLoop``, ``FlowStore``) on the shipped configuration:

- the pages' lists (``TicketLoop.listing``, as the pages ask for them, 100 at most): a
  unit's 待办 (the tickets it leads and those it assists), 已办结 and overdue ones (random
  units); the back office's 待派单, 待审核, 督办, 延期申请, 待评价 — p50/p95/max;
- a ticket's timeline (random tickets) — p50/p95/max;
- the overdue scan (``TicketLoop.scan``): after the engine was down an hour, at once again
  (nothing new), minute by minute for half an hour (p50/p95/max), after ``limits.yaml``'s
  yellow share changed and back (every ticket not reminded yet looked at again), after the
  engine was down a weekend (60 h);
- steps in a row (``TicketLoop.act``: sign, then reply, of dispatched tickets): per second.

The same on a small store (``--baseline`` tickets) built in the same run, and the ratio.
Targets (issue #24): inbox and timeline p95 ≤ 50 ms, the overdue scan ≤ 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ticket_fill import Plan, fill
from callcenter.paths import PROJECT_ROOT
from callcenter.store.db import Store
from callcenter.ticketflow.files import LoopConfig, read_loop_config
from callcenter.ticketflow.lists import FlowLists, Wanted
from callcenter.ticketflow.loop import TicketLoop
from callcenter.ticketflow.schema import MIGRATIONS
from callcenter.ticketflow.state import Side, Step, Who
from callcenter.ticketflow.store import FlowStore
from callcenter.tickets.store import Tickets

NOW = datetime(2026, 11, 30, 10, 0).timestamp()  # a Monday morning
DOWN_S = 3600.0  # the engine's last scan before a run: an hour earlier
WEEKEND_S = 60 * 3600.0  # then down from Friday evening to Monday morning
RUN_S = DOWN_S + 30 * 60 + WEEKEND_S  # the store's clock moves on this much a run
Figures = dict[str, Any]


def spread(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, max, in ms."""
    ordered = sorted(samples)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return at(0.5) * 1000, at(0.95) * 1000, ordered[-1] * 1000


async def timed(samples: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    taken = []
    for k in range(samples):
        start = time.perf_counter()
        await call(k)
        taken.append(time.perf_counter() - start)
    return taken


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def measure(path: Path, now: float, samples: int, steps: int, seed: int) -> Figures:
    """The loop's reads and steps on the store at ``path``, at ``now``."""
    config = [read_loop_config(PROJECT_ROOT / "config")[0]]
    clock, rng, figures = Clock(now), random.Random(seed), {}
    store = await Store.open(path, MIGRATIONS)
    loop = TicketLoop(lambda: config[0], clock, lambda _event, _ts: None)
    loop.flows, loop.tickets = FlowStore(await store.own_connection(), loop.limits), \
        Tickets(store)
    loop.lists = FlowLists(await store.own_connection())  # the pages' lists
    try:
        async with store.db.execute("SELECT MAX(ticket) FROM ticket_flow") as cursor:
            row = await cursor.fetchone()
        last = int(row[0]) if row is not None else 0
        units = [u for u in config[0].units.by_id
                 if await loop.lists.find(Wanted(unit=u, limit=1))]
        pick = [rng.choice(units) for _ in range(samples)]
        todo = (Step.DISPATCHED, Step.RETURNED, Step.HANDLING)  # the unit page's 待办

        reads: dict[str, Callable[[int], Awaitable[object]]] = {
            "unit page: 待办 (led and assisted)": lambda k: loop.listing(
                Wanted(unit=pick[k], steps=todo)),
            "unit page: 已办结": lambda k: loop.listing(
                Wanted(unit=pick[k], steps=(Step.CLOSED,))),
            "unit page: overdue": lambda k: loop.listing(
                Wanted(unit=pick[k], overdue_at=clock())),
            "back office: 待派单": lambda k: loop.listing(Wanted(steps=(Step.ACCEPTED,))),
            "back office: 待审核": lambda k: loop.listing(Wanted(steps=(Step.REPLIED,))),
            "back office: 督办": lambda k: loop.listing(Wanted(supervised_at=clock())),
            "back office: 延期申请": lambda k: loop.listing(Wanted(asked=True)),
            "back office: 待评价": lambda k: loop.listing(Wanted(unrated=True)),
            "timeline of a ticket": lambda k: loop.timeline(rng.randint(1, last)),
        }
        for name, read in reads.items():
            figures[name] = spread(await timed(samples, read))
        figures["scan"] = await scans(loop, clock, config, store)
        figures["steps"] = await stepping(loop, steps)
    finally:
        await loop.flows.close()
        await loop.lists.close()
        await store.close()
    return figures


async def scans(loop: TicketLoop, clock: Clock, config: list[LoopConfig],
                store: Store) -> Figures:
    async def once() -> tuple[int, float]:
        start = time.perf_counter()
        reminded = await loop.scan()
        return reminded, time.perf_counter() - start

    figures: Figures = {"first": await once(), "again": await once()}
    minutes = []
    for _ in range(30):
        clock.now += 60
        minutes.append(await once())
    figures["minutes"] = (sum(m[0] for m in minutes), spread([m[1] for m in minutes]))
    # limits.yaml's yellow share changed (and back): every ticket not reminded yet is looked
    # at again — what a database migrated from before the moments were kept also gets
    shipped = config[0]
    async with store.db.execute("SELECT COUNT(*) FROM ticket_flow "
                                "WHERE remind_at IS NOT NULL AND reminded = ''") as cursor:
        row = await cursor.fetchone()
    looked = int(row[0]) if row is not None else 0
    for share in (0.3, shipped.rules.limits.yellow_share):
        limits = shipped.rules.limits.model_copy(update={"yellow_share": share})
        config[0] = replace(shipped, rules=replace(shipped.rules, limits=limits))
        figures[f"share {share}"] = (*await once(), looked)
    clock.now += WEEKEND_S
    figures["weekend"] = await once()
    return figures


async def stepping(loop: TicketLoop, steps: int) -> Figures:
    assert loop.flows is not None
    assert loop.lists is not None
    waiting = await loop.lists.find(Wanted(steps=(Step.DISPATCHED,), limit=steps // 2))
    start = time.perf_counter()
    for flow in (listed.flow for listed in waiting):
        who = Who(f"bench-{flow.unit}", Side.UNIT, flow.unit)
        await loop.act(flow.ticket, who, "sign")
        await loop.act(flow.ticket, who, "reply", text="已办理，已电话告知来电人")
    taken = time.perf_counter() - start
    return {"steps": 2 * len(waiting), "seconds": taken}


def built(path: Path, tickets: int, backlog: float, jobs: int) -> Figures:
    """The store at ``path``: built (its note beside it), or as an earlier run left it."""
    note = path.with_name(path.name + ".json")
    if path.exists() and note.exists():
        kept: Figures = json.loads(note.read_text())
        if kept["tickets"] != tickets:
            raise SystemExit(f"{path} holds {kept['tickets']:,} tickets, not {tickets:,}")
        kept["runs"] += 1
        note.write_text(json.dumps(kept))
        print(f"reusing {path} (built in {kept['build_s']:.0f} s; run {kept['runs']})")
        return kept
    if path.exists():
        raise SystemExit(f"{path} exists but was not built by this bench: remove it first")
    print(f"building {tickets:,} tickets in {path} …")
    start = time.monotonic()
    counts = fill(path, Plan(tickets, NOW, NOW - DOWN_S, backlog, 12345), jobs)
    kept = {**counts, "build_s": time.monotonic() - start, "runs": 0}
    note.write_text(json.dumps(kept))
    return kept


def size_of(path: Path) -> float:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal"))
               if p.exists()) / 1e9


def show(big: Figures, small: Figures | None, sizes: tuple[int, int]) -> None:
    head = f"{sizes[0]:,} tickets: p50 / p95 / max ms"
    print(f"\n{'':28}{head:>36}" + (f"{f'{sizes[1]:,} tickets':>26}   p95 ratio" if small
                                      else ""))
    for name, value in big.items():
        if name in ("scan", "steps"):
            continue
        p50, p95, top = value
        line = f"{name:28}{p50:14.2f}{p95:11.2f}{top:11.2f}"
        if small is not None:
            b50, b95, btop = small[name]
            line += f"{b50:10.2f}{b95:8.2f}{btop:8.2f}{p95 / b95:10.1f}×"
        print(line)
    for label, figures in (("", big), ("baseline ", small)):
        if figures is None:
            continue
        scan, steps = figures["scan"], figures["steps"]
        first, again, minutes = scan["first"], scan["again"], scan["minutes"]
        print(f"\n{label}overdue scan after an hour down: {first[0]:,} reminded in "
              f"{first[1]:.3f} s; at once again: {again[0]} reminded in {again[1] * 1000:.1f} ms")
        print(f"{label}overdue scan each minute for 30 min: {minutes[0]} reminded; p50 "
              f"{minutes[1][0]:.1f} / p95 {minutes[1][1]:.1f} / max {minutes[1][2]:.1f} ms")
        for key in scan:
            if key.startswith("share "):
                reminded, seconds, looked = scan[key]
                print(f"{label}overdue scan after yellow_share became {key[6:]}: {reminded:,} "
                      f"reminded in {seconds:.3f} s (the {looked:,} tickets not reminded yet "
                      "looked at again)")
        print(f"{label}overdue scan after {WEEKEND_S / 3600:.0f} h down: {scan['weekend'][0]:,} "
              f"reminded in {scan['weekend'][1]:.3f} s")
        print(f"{label}steps in a row (sign, reply): {steps['steps']:,} in {steps['seconds']:.1f}"
              f" s = {steps['steps'] / steps['seconds']:,.0f} steps/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=5_000_000)
    parser.add_argument("--db", type=Path, help="build the store here, or reuse it")
    parser.add_argument("--baseline", type=int, default=50_000, help="0: none")
    parser.add_argument("--samples", type=int, default=300, help="reads of each kind")
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--backlog", type=float, default=0.08,
                        help="share of tickets stopped at an open step (overdue)")
    parser.add_argument("--jobs", type=int, default=2, help="processes playing the tickets")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    with tempfile.TemporaryDirectory(prefix="tickets-scale-") as scratch:
        path = args.db or Path(scratch) / "big.sqlite3"
        kept = built(path, args.tickets, args.backlog, args.jobs)
        print(f"store: {kept['tickets']:,} tickets, {kept['events']:,} history lines, "
              f"{kept['open']:,} open; {size_of(path):.2f} GB; built in {kept['build_s']:.0f} s")
        now = NOW + kept["runs"] * RUN_S
        big = asyncio.run(measure(path, now, args.samples, args.steps, 1))
        small = None
        if args.baseline:
            base = built(Path(scratch) / "baseline.sqlite3", args.baseline, args.backlog,
                         args.jobs)
            small = asyncio.run(measure(Path(scratch) / "baseline.sqlite3", NOW, args.samples,
                                        args.steps, 1))
            print(f"baseline: {base['tickets']:,} tickets built in {base['build_s']:.0f} s")
    show(big, small, (args.tickets, args.baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
