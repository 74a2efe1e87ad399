"""The ticket desk opens a ticket with the route the call was given (decided once)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from callcenter.ami import events as ev
from callcenter.calls.state import LiveCall
from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.routing.decide import Router
from callcenter.store.db import Store
from callcenter.tickets.desk import TicketDesk
from callcenter.tickets.store import Tickets

CONFIG = load_config(PROJECT_ROOT / "config")


async def test_the_ticket_takes_the_route_the_call_was_given(tmp_path: Path) -> None:
    router = Router.of(CONFIG.hotlines, CONFIG.queues)
    chosen = router.decide("12329", date.today())  # e.g. a menu choice on 12333
    call = LiveCall("5.1", 1.0, dialed="12333", caller_num="13812345678",
                    inbound_channel="PJSIP/carrier-5", route=chosen)
    desk = TicketDesk(router, CONFIG.prefill, {"5.1": call}.get)
    store = await Store.open(tmp_path / "cc.sqlite3")
    desk.tickets = Tickets(store)
    try:
        desk.on_event(ev.AgentConnect("PJSIP/carrier-5", "5.1", "5.1", "q12329",
                                      "PJSIP/agent-1001", "1001", "PJSIP/agent-1001-1", 3, 1),
                      2.0)
        ticket_id = await desk.ticket_id("5.1")
        assert ticket_id is not None
        ticket = await desk.tickets.get(ticket_id)
        assert (ticket["hotline"], ticket["unit"], ticket["dialed"]) == (
            chosen.number, chosen.unit, "12333")
        assert ticket["hotline"] != router.decide("12333", date.today()).number
    finally:
        await asyncio.sleep(0)
        await store.close()
