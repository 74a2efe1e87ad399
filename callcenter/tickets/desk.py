"""The ticket desk: a ticket is opened when an agent answers a call (AgentAnswered), filled
from live speech recognition while they talk (transcript, pre-filled fields), and closed when
the call ends. Database work runs in tasks; a failing database is logged and never touches
the call.

The desk's work on a call's ticket (the id being opened, the transcript's finals per speaker)
hangs off the call's record (:class:`~callcenter.calls.state.LiveCall`, under :data:`TICKET`)
while the call lives; once it ended, it waits in :attr:`TicketDesk.off_record` for the last
words, until the ticket is closed (CLOSE_AFTER_S later).

Card and ID numbers are masked in everything the desk publishes and feeds the pre-fill, also
one read out across utterances (:func:`mask_across`): an ``utterance`` event carries the text
as the store holds it; a ``correction`` event (speaker, start_s, end_s, text) replaces the
text of an earlier utterance of that speaker the store has just masked further, and comes
right before the ``utterance`` event that made it so; a ``partial`` is masked with the
speaker's last final utterances as context (but corrects none: it may still change). Until
the piece that completes a number is final, the pieces before it stay on the agent's screen
as they were (each under 15 digits, and the agent has just heard them); the store and the
pre-fill never hold the number."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog

from callcenter.asr.segmenter import AsrResult
from callcenter.calls.state import AgentAnswered, Attachment, CallEnded, LiveCall
from callcenter.clock import iso_ts
from callcenter.config.loader import Config
from callcenter.config.models import Speaker
from callcenter.ports import TicketOpened
from callcenter.prefill import PrefillRules, extract
from callcenter.prefill.masking import mask_across, mask_phones
from callcenter.routing.decide import Router
from callcenter.tasks import TaskSet
from callcenter.tickets.live import TicketBus
from callcenter.tickets.store import TicketOpen, Tickets, Utterance

log = structlog.get_logger("tickets")

CLOSE_AFTER_S = 2.0


@dataclass(eq=False)
class CallTicket:
    """The desk's work on the ticket of one call."""

    opened: asyncio.Future[int]  # the ticket's id, once the store has opened (or found) it
    answered_at: float
    record: LiveCall | None  # the call's record (None: a call the tracker did not know)
    # each speaker's final utterances as the store holds them (masked), by their times
    finals: dict[str, dict[tuple[float, float], str]] = field(default_factory=dict)
    last_partial: dict[str, float] = field(default_factory=dict)

    def finals_of(self, speaker: str) -> dict[tuple[float, float], str]:
        return self.finals.setdefault(speaker, {})

    def open_as(self, ticket_id: int) -> None:
        """The ticket is open: its id for whoever waits, and on the call's record."""
        self.opened.set_result(ticket_id)
        if self.record is not None:
            self.record.ticket_id = ticket_id

    @property
    def known_id(self) -> int | None:
        opened = self.opened
        return opened.result() if opened.done() and not opened.cancelled() else None


TICKET: Attachment[CallTicket] = Attachment("the ticket desk's work on the call's ticket")


class TicketDesk:
    def __init__(self, router: Router, rules: PrefillRules,
                 call_of: Callable[[str], LiveCall | None], *, partial_every_s: float = 1.0,
                 start_transcription: Callable[[str, dict[str, str]], None] | None = None,
                 mask_log: bool = True, log_text: bool = False) -> None:
        self.router = router
        self.rules = rules
        self.call_of = call_of
        self.partial_every_s = partial_every_s
        self.start_transcription = start_transcription
        self.mask_log = mask_log  # phone numbers said in a call are masked in the call log
        self.log_text = log_text  # what is said goes to the call log at all (else: its length)
        self.tickets: Tickets | None = None  # set when the store is open
        self.bus = TicketBus()
        # tickets whose call has no live record: ended, closing once the last words are in;
        # answered before the call tracker knew the call (until a resync finds it)
        self.off_record: dict[str, CallTicket] = {}
        # calls that are not callers' calls (a transfer's leg to an expert queue)
        self.ignore_call: Callable[[str], bool] = lambda _linkedid: False
        # the hub: each ticket opened (ports.TicketOpened: the agent's desktop hears it)
        self.publish: Callable[[object, float], None] = lambda _event, _ts: None
        self._tasks = TaskSet("ticket-desk")

    def reconfigure(self, config: Config, router: Router) -> None:
        """A reloaded configuration: tickets opened from now on use its routes and rules."""
        self.router, self.rules = router, config.prefill

    # -- call events -----------------------------------------------------------------------

    def call_ticket(self, call_id: str) -> CallTicket | None:
        """The desk's work on the ticket of a call: on its record, or off it (ended)."""
        call = self.call_of(call_id)
        found = call.attached(TICKET) if call is not None else None
        return found if found is not None else self.off_record.get(call_id)

    def _begin(self, call_id: str, call: LiveCall | None, ts: float) -> CallTicket:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        ticket = CallTicket(future, ts, call)
        if call is not None:
            return call.attach(TICKET, ticket)
        self.off_record[call_id] = ticket
        return ticket

    def on_answered(self, event: AgentAnswered, ts: float) -> None:
        if self.call_ticket(event.call_id) is not None or self.tickets is None \
                or self.ignore_call(event.call_id):
            return
        call = self.call_of(event.call_id)
        ticket = self._begin(event.call_id, call, ts)
        self._spawn(self._open(event.call_id, call, event.queue,
                               event.agent_id or event.member, ts, ticket))
        if self.start_transcription is not None:
            self.start_transcription(event.call_id, {Speaker.CALLER: event.caller_channel,
                                                     Speaker.AGENT: event.agent_channel})

    def resume(self, call: LiveCall, ts: float) -> None:
        """A call an agent was talking on when the engine (re)started: its ticket goes on
        (the one the store has for the call, or a new one if the call was answered while the
        engine was away), closes at the hang-up, and the rest of the call is transcribed."""
        held = self.off_record.get(call.call_id)
        if held is not None and held.record is None:  # answered before the tracker knew it
            del self.off_record[call.call_id]
            held.record, call.ticket_id = call, held.known_id
            call.attach(TICKET, held)
        if (self.tickets is None or self.call_ticket(call.call_id) is not None
                or not call.agent_channel or self.ignore_call(call.call_id)):
            return
        ticket = self._begin(call.call_id, call, ts)
        self._spawn(self._resume(call, ticket, ts))
        if self.start_transcription is not None:
            self.start_transcription(call.call_id, {Speaker.CALLER: call.inbound_channel,
                                                    Speaker.AGENT: call.agent_channel})

    async def _resume(self, call: LiveCall, ticket: CallTicket, ts: float) -> None:
        assert self.tickets is not None
        try:
            found = await self.tickets.id_for_call(call.call_id)
            if found is not None:
                stored = await self.tickets.get(found)
        except Exception as exc:
            log.error("ticket.store_failed", call_id=call.call_id, error=repr(exc))
            ticket.opened.cancel()
            return
        if found is None:
            await self._open(call.call_id, call, call.queue, call.agent, ts, ticket)
            return
        for u in stored["transcript"]:
            ticket.finals_of(u["speaker"])[(u["start_s"], u["end_s"])] = u["text"]
        ticket.open_as(found)
        with structlog.contextvars.bound_contextvars(call_id=call.call_id):
            log.info("ticket.resumed", ts=ts, ticket=found, agent=call.agent)

    async def ticket_id(self, call_id: str) -> int | None:
        """The ticket of a live call, waiting for one being opened (None: no ticket, e.g.
        the store failed); once open, the call's record has it (``LiveCall.ticket_id``)."""
        ticket = self.call_ticket(call_id)
        if ticket is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(ticket.opened), 5)
        except (asyncio.CancelledError, TimeoutError):
            return None

    def publish_ticket(self, ticket_id: int, event: dict[str, Any]) -> None:
        """An event to whoever follows this ticket (its stream)."""
        self.bus.publish(ticket_id, event)

    def on_call_ended(self, ended: CallEnded, ts: float) -> None:
        call_id = ended.call.call_id
        ticket = ended.call.detach(TICKET) or self.off_record.get(call_id)
        if ticket is not None:  # its last words come after the hang-up: kept till closed
            self.off_record[call_id] = ticket
            self._spawn(self._close(call_id, ticket, ts))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(coro)

    async def _open(self, call_id: str, call: LiveCall | None, queue: str, agent: str,
                    ts: float, opening: CallTicket) -> None:
        assert self.tickets is not None
        dialed = call.dialed if call is not None else ""
        route = call.route if call is not None and call.route is not None else \
            self.router.decide(dialed, date.today())  # a call found by a resync
        ticket = TicketOpen(
            call_id=call_id, caller=call.caller_num if call is not None else "",
            dialed=dialed, hotline=route.number, hotline_name=route.hotline, unit=route.unit,
            queue=queue, agent=agent, opened_at=iso_ts(ts))
        with structlog.contextvars.bound_contextvars(call_id=call_id):
            try:
                ticket_id = await self.tickets.open(ticket)
            except Exception as exc:
                log.error("ticket.store_failed", error=str(exc))
                opening.opened.cancel()
                return
            opening.open_as(ticket_id)
            log.info("ticket.created", ts=ts, ticket=ticket_id, agent=ticket.agent,
                     hotline=route.number, unit=route.unit, queue=queue)
            self.publish(TicketOpened(ticket.agent, call_id, ticket_id), ts)

    async def _close(self, call_id: str, call: CallTicket, ts: float) -> None:
        assert self.tickets is not None
        await asyncio.sleep(CLOSE_AFTER_S)  # the last words come after the hang-up
        try:
            ticket_id = await call.opened
            await self.tickets.close(call_id, iso_ts(ts))
            self.bus.publish(ticket_id, {"type": "closed", "at": iso_ts(ts)})
            with structlog.contextvars.bound_contextvars(call_id=call_id):
                log.info("ticket.closed", ticket=ticket_id, ended=iso_ts(ts))
        except (asyncio.CancelledError, Exception) as exc:
            log.error("ticket.store_failed", call_id=call_id, error=repr(exc))
        self.off_record.pop(call_id, None)

    # -- speech recognition ------------------------------------------------------------------

    def on_speech(self, call_id: str, speaker: str, result: AsrResult) -> None:
        """A recognizer result for ``speaker`` of ``call_id`` (on the event loop)."""
        call = self.call_ticket(call_id)
        if call is None:
            return
        # what the log and a partial get; a final is published as the store holds it
        text = mask_across(list(call.finals_of(speaker).values()), result.text)[1]
        said = self._said(text)
        with structlog.contextvars.bound_contextvars(call_id=call_id):
            if not result.final:
                now = time.monotonic()
                if now - call.last_partial.get(speaker, 0.0) < self.partial_every_s:
                    return
                call.last_partial[speaker] = now
                log.info("asr.partial", speaker=speaker, **said, start_s=result.start_s)
                self._publish(call, {"type": "partial", "speaker": speaker, "text": text,
                                     "start_s": result.start_s, "end_s": result.end_s})
                return
            log.info("asr.final", speaker=speaker, **said, start_s=result.start_s,
                     end_s=result.end_s)
            self._spawn(self._store_final(call_id, call, speaker, result))

    def _logged_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Pre-filled fields as the call log gets them: phones masked, and the street-level
        address only with ``privacy.log_transcripts``."""
        logged = dict(fields)
        if self.mask_log:
            logged["phones"] = [mask_phones(p) for p in fields["phones"]]
        if not self.log_text and isinstance(fields.get("place"), dict):
            place = dict(fields["place"])
            if place.get("detail"):
                place["detail"] = "…"
            logged["place"] = place
        return logged

    def _said(self, text: str) -> dict[str, object]:
        """What of an utterance the call log gets: its text (phones masked unless the admin
        says otherwise) only with ``privacy.log_transcripts``, else its length."""
        if not self.log_text:
            return {"chars": len(text)}
        return {"text": mask_phones(text) if self.mask_log else text}

    def _publish(self, call: CallTicket, event: dict[str, Any]) -> None:
        ticket_id = call.known_id
        if ticket_id is not None:
            self.bus.publish(ticket_id, event)

    async def _store_final(self, call_id: str, call: CallTicket, speaker: str,
                           result: AsrResult) -> None:
        assert self.tickets is not None
        try:
            ticket_id = await call.opened
            utterance = Utterance(speaker, result.start_s, result.end_s, result.text,
                                  iso_ts(time.time()))
            added = await self.tickets.add_utterance(ticket_id, utterance)
            finals = call.finals_of(speaker)
            for earlier in added.rewritten:
                finals[(earlier.start_s, earlier.end_s)] = earlier.text
                self.bus.publish(ticket_id, {"type": "correction", "speaker": speaker,
                                             "text": earlier.text, "start_s": earlier.start_s,
                                             "end_s": earlier.end_s})
            finals[(result.start_s, result.end_s)] = added.text
            self.bus.publish(ticket_id, {"type": "utterance", "speaker": speaker,
                                         "text": added.text,
                                         "start_s": result.start_s, "end_s": result.end_s})
            if speaker != Speaker.CALLER:
                return
            # the caller's utterances as stored; extract() masks the address itself too
            fields = extract(list(finals.values()), self.rules).as_dict()
            await self.tickets.set_prefill(ticket_id, fields)
            logged = self._logged_fields(fields)
            with structlog.contextvars.bound_contextvars(call_id=call_id):
                log.info("ticket.prefilled", ticket=ticket_id, fields=logged)
            self.bus.publish(ticket_id, {"type": "prefill", "fields": fields})
        except (asyncio.CancelledError, Exception) as exc:
            log.error("ticket.store_failed", call_id=call_id, error=repr(exc))
