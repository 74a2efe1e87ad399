"""The tickets capability: a ticket opened for each answered call, pre-filled from what the
caller says, closed at the hang-up (the ticket desk); the ticket commands and routes."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from callcenter.ami import events as ev
from callcenter.calls.state import AgentAnswered, CallEnded, LiveCall
from callcenter.capability import Capability, Context, Routes
from callcenter.ports import TICKETS, TRANSCRIPTION, TRANSFER_LEGS, Heard
from callcenter.store.db import Store
from callcenter.tickets.commands import ticket_handlers
from callcenter.tickets.desk import TicketDesk
from callcenter.tickets.http import TicketEvents, add_routes
from callcenter.tickets.store import Tickets
from callcenter.web.request import Json, Runner


def routes(events: TicketEvents | None) -> Routes:
    def add(app: web.Application, run: Runner, json: Json) -> None:
        add_routes(app, run, json, events)

    return add


def load(context: Context) -> Capability:
    config = context.config()
    e = config.engine
    desk = TicketDesk(context.router, config.prefill, context.core.tracker.calls.get,
                      partial_every_s=e.asr.partial_every_s,
                      mask_log=not e.privacy.log_full_numbers,
                      log_text=e.privacy.log_transcripts)
    desk.publish = context.publish
    parts = context.parts

    def start_transcription(call_id: str, channels: dict[str, str]) -> None:
        speech = parts.find(TRANSCRIPTION)
        if speech is not None:
            speech.start_call(call_id, channels)

    def is_transfer_leg(linkedid: str) -> bool:
        legs = parts.find(TRANSFER_LEGS)
        return legs is not None and legs.is_transfer_leg(linkedid)

    desk.start_transcription = start_transcription
    desk.ignore_call = is_transfer_leg
    parts.provide(desk, TICKETS)

    async def opened(store: Store) -> None:
        desk.tickets = Tickets(store)

    async def resynced(_channels: Iterable[ev.CoreShowChannel], calls: Iterable[LiveCall],
                       now: float) -> None:
        for call in calls:  # calls an agent was on before the engine saw them
            if call.recovered:
                desk.resume(call, now)

    def heard(event: Heard, _ts: float) -> None:
        desk.on_speech(event.call_id, event.speaker, event.result)

    return Capability(
        "tickets",
        events=[(desk.on_answered, (AgentAnswered,)), (desk.on_call_ended, (CallEnded,)),
                (heard, (Heard,))],
        commands=ticket_handlers(lambda: desk.tickets), routes=routes(desk.bus),
        opened=opened, resynced=resynced, reconfigure=desk.reconfigure)
