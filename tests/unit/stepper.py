"""Takes steps in a store until it is killed (test_ticketflow_killed.py): each of 城关区's
tickets waiting to be signed is signed, then replied to, through the loop's own code; a line
on stdout once each step is kept. ``python -m tests.unit.stepper DB [N]``: with N, it kills
itself (SIGKILL) in the middle of its N-th step — the ticket's row changed, its history line
not yet written, nothing committed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

import structlog

from callcenter.paths import PROJECT_ROOT
from callcenter.store.db import Store
from callcenter.ticketflow.files import read_loop_config
from callcenter.ticketflow.lists import FlowLists, Wanted
from callcenter.ticketflow.loop import TicketLoop
from callcenter.ticketflow.schema import MIGRATIONS
from callcenter.ticketflow.state import Side, Step, Who
from callcenter.ticketflow.store import FlowStore
from callcenter.tickets.store import Tickets

UNIT = Who("li", Side.UNIT, "城关区")
MONDAY = datetime(2026, 9, 28, 11, 0).timestamp()


async def stepping(path: Path, die_at: int) -> None:
    config = read_loop_config(PROJECT_ROOT / "config")[0]
    store = await Store.open(path, MIGRATIONS)
    db = await store.own_connection()
    histories = [0]

    def traced(sql: str) -> None:
        if sql.startswith("INSERT INTO ticket_event"):
            histories[0] += 1
            if histories[0] == die_at:
                os.kill(os.getpid(), signal.SIGKILL)

    await db.set_trace_callback(traced)
    loop = TicketLoop(lambda: config, lambda: MONDAY, lambda _event, _ts: None)
    loop.flows, loop.tickets = FlowStore(db, loop.limits), Tickets(store)
    lists = FlowLists(await store.own_connection())
    waiting = await lists.find(Wanted(unit="城关区", steps=(Step.DISPATCHED,), limit=10_000))
    await lists.close()
    for flow in (listed.flow for listed in waiting):
        await loop.act(flow.ticket, UNIT, "sign")
        print(f"sign {flow.ticket}", flush=True)
        await loop.act(flow.ticket, UNIT, "reply", text="已处理")
        print(f"reply {flow.ticket}", flush=True)
    await store.close()


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout: steps
    asyncio.run(stepping(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0))
