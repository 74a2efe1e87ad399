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
from tests.unit.live import answered

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
        desk.on_answered(answered(ev.AgentConnect("PJSIP/carrier-5", "5.1", "5.1", "q12329",
                                      "PJSIP/agent-1001", "1001", "PJSIP/agent-1001-1", 3, 1)),
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


async def test_what_is_said_stays_out_of_the_call_log_by_default(tmp_path: Path) -> None:
    from structlog.testing import capture_logs

    from callcenter.asr.segmenter import AsrResult

    router = Router.of(CONFIG.hotlines, CONFIG.queues)
    call = LiveCall("6.1", 1.0, dialed="12345", caller_num="13812345678",
                    inbound_channel="PJSIP/carrier-6")
    store = await Store.open(tmp_path / "cc.sqlite3")
    for log_text in (False, True):
        desk = TicketDesk(router, CONFIG.prefill, {"6.1": call}.get, log_text=log_text)
        desk.tickets = Tickets(store)
        desk.on_answered(answered(ev.AgentConnect("PJSIP/carrier-6", "6.1", "6.1", "q12345",
                                      "PJSIP/agent-1001", "1001", "PJSIP/agent-1001-1", 3, 1)),
                      2.0)
        ticket_id = await desk.ticket_id("6.1")
        assert ticket_id is not None
        said = "我家在城关区雁滩路二八九号楼道里一直漏水电话一三八一二三四五六七八"
        with capture_logs() as logs:
            desk.on_speech("6.1", "caller", AsrResult(True, said, 0.0, 3.0))
            for _ in range(100):  # the pre-fill runs in a task (the first loads its words)
                await asyncio.sleep(0.05)
                if any(e["event"] == "ticket.prefilled" for e in logs):
                    break
        final = next(e for e in logs if e["event"] == "asr.final")
        prefilled = next(e for e in logs if e["event"] == "ticket.prefilled")
        if log_text:
            assert "雁滩路" in final["text"]
        else:
            assert "text" not in final and final["chars"] == len(said)
            assert "雁滩路" not in str(prefilled)
            assert prefilled["fields"]["place"]["county"] == "城关区"
        ticket = await desk.tickets.get(ticket_id)
        assert any("雁滩路" in u["text"] for u in ticket["transcript"])  # the store keeps it
    await store.close()
