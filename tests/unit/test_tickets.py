from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.config.models import Speaker
from callcenter.store.db import Store, StoreError
from callcenter.tickets.store import TicketOpen, Tickets, Utterance

OPEN = TicketOpen(call_id="1764316800.12", caller="13812345678", dialed="12315",
                  hotline="12315", hotline_name="12315市场监管投诉举报热线", unit="省市场监管局",
                  queue="q12315", agent="2006", opened_at="2026-11-28T08:00:00.000Z")


@pytest.fixture
async def tickets(tmp_path: Path) -> AsyncIterator[Tickets]:
    store = await Store.open(tmp_path / "cc.sqlite3")
    yield Tickets(store)
    await store.close()


async def test_one_ticket_per_answered_call(tickets: Tickets) -> None:
    first = await tickets.open(OPEN)
    assert await tickets.open(OPEN) == first  # a repeated AgentConnect
    ticket = await tickets.get(first)
    assert ticket["caller"] == "13812345678"  # full number: the ticket is where it lives
    assert (ticket["unit"], ticket["agent"], ticket["closed_at"]) == ("省市场监管局", "2006", None)
    await tickets.close(OPEN.call_id, "2026-11-28T08:03:00.000Z")
    assert (await tickets.get(first))["closed_at"] == "2026-11-28T08:03:00.000Z"


async def test_transcript_in_order_and_cards_masked(tickets: Tickets) -> None:
    ticket_id = await tickets.open(OPEN)
    at = "2026-11-28T08:00:10.000Z"
    await tickets.add_utterance(ticket_id, Utterance(Speaker.AGENT, 0.5, 2.0, "您好请讲", at))
    await tickets.add_utterance(ticket_id, Utterance(
        Speaker.CALLER, 6.0, 9.5, "我的身份证是620102199001011234", at))
    await tickets.add_utterance(ticket_id, Utterance(Speaker.CALLER, 2.5, 5.0, "我要投诉", at))
    transcript = (await tickets.get(ticket_id))["transcript"]
    assert [u["text"] for u in transcript] == [
        "您好请讲", "我要投诉", "我的身份证是6201**********1234"]
    with pytest.raises(StoreError, match="unknown speaker"):
        await tickets.add_utterance(ticket_id, Utterance("robot", 0, 1, "x", at))


async def test_prefill_is_masked_but_confirmed_fields_are_kept(tickets: Tickets) -> None:
    ticket_id = await tickets.open(OPEN)
    await tickets.set_prefill(ticket_id, {"detail": "卡号6222021234567890123", "urgent": False})
    await tickets.confirm(ticket_id, {"id_card": "620102199001011234"})
    await tickets.confirm(ticket_id, {"phone": "13812345678"})
    ticket = await tickets.get(ticket_id)
    assert ticket["prefill"] == {"detail": "卡号6222***********0123", "urgent": False}
    assert ticket["confirmed"] == {"id_card": "620102199001011234", "phone": "13812345678"}
    with pytest.raises(StoreError, match="no ticket 999"):
        await tickets.get(999)
