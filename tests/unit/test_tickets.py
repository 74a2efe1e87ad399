from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.config.models import Speaker
from callcenter.store.db import Store, StoreError
from callcenter.tickets.store import TicketOpen, Tickets, Utterance
from tests.unit.live import answered

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
    with pytest.raises(StoreError, match="没有工单 999"):
        await tickets.get(999)


# -- a number read out across utterances (#15) ------------------------------------------------

AT = "2026-11-28T08:00:10.000Z"


async def stored_texts(tickets: Tickets) -> list[str]:
    async with tickets._db.execute("SELECT text FROM utterance ORDER BY id") as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def test_an_id_read_out_in_two_utterances_is_masked_in_both(tickets: Tickets) -> None:
    ticket_id = await tickets.open(OPEN)
    first = await tickets.add_utterance(ticket_id, Utterance(
        Speaker.CALLER, 1.0, 3.0, "身份证号 六二零一零二一九九零", AT))
    assert first.text == "身份证号 六二零一零二一九九零" and first.rewritten == ()
    await tickets.add_utterance(ticket_id, Utterance(Speaker.AGENT, 3.2, 3.5, "嗯", AT))
    second = await tickets.add_utterance(ticket_id, Utterance(
        Speaker.CALLER, 4.0, 6.0, "零一零一一二三四", AT))
    assert second.text == "****1234"
    assert second.rewritten == (Utterance(Speaker.CALLER, 1.0, 3.0, "身份证号 6201******", AT),)
    assert await stored_texts(tickets) == ["身份证号 6201******", "嗯", "****1234"]
    assert not tickets._db.in_transaction


async def test_six_six_six_and_the_other_ticket_and_speaker_untouched(tickets: Tickets) -> None:
    ticket_id = await tickets.open(OPEN)
    other = await tickets.open(dataclasses.replace(OPEN, call_id="1764316800.13"))
    await tickets.add_utterance(other, Utterance(Speaker.CALLER, 0.0, 1.0, "一二三四五六", AT))
    await tickets.add_utterance(ticket_id, Utterance(Speaker.AGENT, 0.0, 1.0, "六二零一零二", AT))
    for start, piece in enumerate(["六二零一零二", "嗯 一九九零零一", "对 零一一二三四"]):
        await tickets.add_utterance(ticket_id, Utterance(
            Speaker.CALLER, 2.0 + start, 3.0 + start, piece, AT))
    assert await stored_texts(tickets) == [
        "一二三四五六", "六二零一零二", "6201**", "嗯 ******", "对 **1234"]


async def test_a_phone_number_in_two_utterances_is_kept(tickets: Tickets) -> None:
    ticket_id = await tickets.open(OPEN)
    for start, piece in enumerate(["电话是一三九一二三四", "五六七八", "五零二室"]):
        added = await tickets.add_utterance(ticket_id, Utterance(
            Speaker.CALLER, start, start + 1.0, piece, AT))
        assert added.rewritten == ()
    assert await stored_texts(tickets) == ["电话是一三九一二三四", "五六七八", "五零二室"]


async def test_the_desk_publishes_and_prefills_masked_text(tickets: Tickets) -> None:
    import asyncio

    from callcenter.ami import events as ev
    from callcenter.asr.segmenter import AsrResult
    from callcenter.calls.state import LiveCall
    from callcenter.config.loader import load_config
    from callcenter.paths import PROJECT_ROOT
    from callcenter.routing.decide import Router
    from callcenter.tickets.desk import TicketDesk

    config = load_config(PROJECT_ROOT / "config")
    call = LiveCall("7.1", 1.0, dialed="12345", caller_num="13812345678",
                    inbound_channel="PJSIP/carrier-7")
    desk = TicketDesk(Router.of(config.hotlines, config.queues), config.prefill,
                      {"7.1": call}.get, partial_every_s=0.0)
    desk.tickets = tickets
    desk.on_answered(answered(ev.AgentConnect("PJSIP/carrier-7", "7.1", "7.1", "q12345",
                                  "PJSIP/agent-1001", "1001", "PJSIP/agent-1001-1", 3, 1)), 2.0)
    ticket_id = await desk.ticket_id("7.1")
    assert ticket_id is not None
    events = desk.bus.subscribe(ticket_id)

    def speak(speaker: str, final: bool, text: str, start_s: float) -> None:
        desk.on_speech("7.1", speaker, AsrResult(final, text, start_s, start_s + 2.0))

    # an ID beginning 13: its first piece looks like a mobile number to the pre-fill
    speak("caller", True, "我的身份证号是一三零一零二一九九零零", 0.0)
    await asyncio.sleep(0.1)
    assert (await tickets.get(ticket_id))["prefill"]["phones"] == ["13010219900"]
    speak("agent", True, "嗯 您说", 2.5)
    await asyncio.sleep(0.1)
    speak("caller", False, "一零一一二三", 5.0)
    speak("caller", True, "一零一一二三四", 5.0)
    await asyncio.sleep(0.1)
    got = []
    while not events.empty():
        got.append(events.get_nowait())
    kinds = [(e["type"], e.get("speaker")) for e in got]
    assert kinds == [("utterance", "caller"), ("prefill", None), ("utterance", "agent"),
                     ("partial", "caller"), ("correction", "caller"), ("utterance", "caller"),
                     ("prefill", None)]
    partial, correction, utterance, prefill = got[3:]
    assert partial["text"] == "**1123"  # 11 + 6 digits: masked with what came before
    assert correction == {"type": "correction", "speaker": "caller",
                          "text": "我的身份证号是1301*******", "start_s": 0.0, "end_s": 2.0}
    assert utterance["text"] == "***1234"
    assert prefill["fields"]["phones"] == []
    ticket = await tickets.get(ticket_id)
    assert ticket["prefill"]["phones"] == []
    assert [u["text"] for u in ticket["transcript"]] == [
        "我的身份证号是1301*******", "嗯 您说", "***1234"]
    await asyncio.sleep(0)
