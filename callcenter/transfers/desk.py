"""The transfer desk: an agent brings a sub-center or an expert queue into a live call.

How it is done on Asterisk (ASTERISK-LAB.md; AMI actions only through
:mod:`callcenter.ami.actions`):

- conference / attended: caller and agent are moved by one dual ``Redirect`` into a
  ConfBridge room (attended: the caller alone with hold music, the agent in a consult room);
  the destination is originated as a Local channel into ``cc-xfer-dest``, which dials the
  sub-center (or queues for an expert) and reports why it failed (``CcTransferDial``); when it
  answers it joins the room. Complete = the agent leaves (attended: the destination is moved
  to the caller first); cancel = the destination leg is hung up.
- blind: the caller is redirected to ``cc-xfer-blind``, which dials the destination and on
  failure puts the caller back at the head of the queue — in the dialplan, so an engine
  failure cannot drop the caller.

Failure never drops the caller: whatever goes wrong, caller and agent end up together
(blind: the caller is back in the queue), the reason is logged (``transfer.failed``), stored
with the ticket and returned to the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from callcenter.ami import actions
from callcenter.ami import events as ev
from callcenter.ami.client import ActionSender
from callcenter.calllog.writer import iso_ts
from callcenter.calls.state import CallTracker, LiveCall, channel_uniqueid
from callcenter.config.models import HotlinesConfig
from callcenter.errors import AmiActionFailed, AmiNotConnected, TransferConflict, TransferError
from callcenter.tasks import TaskSet
from callcenter.transfers.destinations import Destination, DestinationKind, resolve
from callcenter.transfers.model import (
    OTHER_REASONS,
    Outcome,
    Phase,
    Transfer,
    TransferMode,
    dial_reason,
)
from callcenter.transfers.records import TransferRecords

log = structlog.get_logger("transfers")

ROOM_CONTEXT = "cc-xfer-room"
DEST_CONTEXT = "cc-xfer-dest"
BLIND_CONTEXT = "cc-xfer-blind"
BACK_CONTEXT = "cc-xfer-back"
CALLER_PROFILE = "cc_caller"
PARTY_PROFILE = "cc_party"
GRACE_S = 8.0  # beyond the destination's answer time before the engine gives up itself
DIAL_EVENT = "CcTransferDial"
REASON_WAIT_S = 1.0  # after a failed Originate, how long the dialplan's reason may take

Send = ActionSender


class TransferDesk:
    def __init__(self, hotlines: Callable[[], HotlinesConfig], send: Send,
                 tracker: CallTracker, clock: Callable[[], float], *,
                 ticket_of: Callable[[str], Awaitable[int | None]] | None = None,
                 ticket_content: Callable[[int], Awaitable[dict[str, Any]]] | None = None,
                 records: Callable[[], TransferRecords | None] = lambda: None,
                 publish: Callable[[int, dict[str, Any]], None] | None = None) -> None:
        self.hotlines = hotlines
        self.send = send
        self.tracker = tracker
        self.clock = clock
        self.ticket_of = ticket_of
        self.ticket_content = ticket_content
        self.records = records
        self.publish = publish
        self.live: dict[str, Transfer] = {}  # by transfer id, until it is over
        self._legs: set[str] = set()  # linkedids of our destination legs (not new calls)
        # agent channel → caller channel: the two left together in a room after a transfer
        # failed or was cancelled; the agent hanging up then ends the caller's call too
        self._together: dict[str, str] = {}
        self._tasks = TaskSet("transfer-desk")

    # -- queries -------------------------------------------------------------------------

    def is_transfer_leg(self, linkedid: str) -> bool:
        """A channel tree we originated to reach a destination: not a call of its own."""
        return linkedid in self._legs

    def of_agent(self, agent_id: str) -> Transfer | None:
        for transfer in self.live.values():
            if transfer.agent == agent_id and transfer.phase in (Phase.RINGING, Phase.ANSWERED):
                return transfer
        return None

    def snapshot(self) -> list[dict[str, object]]:
        return [t.describe() for t in self.live.values()]

    # -- commands ------------------------------------------------------------------------

    def _agent_call(self, agent_id: str) -> LiveCall:
        for call in self.tracker.calls.values():
            if (call.agent == agent_id and call.agent_channel
                    and channel_uniqueid(call, call.agent_channel) is not None
                    and channel_uniqueid(call, call.inbound_channel) is not None):
                return call
        raise TransferConflict(f"agent {agent_id} has no call to transfer")

    async def start(self, agent_id: str, wanted: str, mode: str = "conference", *,
                    wait: bool = True) -> dict[str, object]:
        """Start a transfer; with ``wait`` return once it is answered or has failed."""
        try:
            transfer_mode = TransferMode(mode)
        except ValueError:
            raise TransferError(f"unknown transfer mode {mode!r}: conference, attended or "
                                "blind") from None
        destination = resolve(self.hotlines(), wanted)
        call = self._agent_call(agent_id)
        if self.of_agent(agent_id) is not None:
            raise TransferConflict(f"agent {agent_id} is already transferring this call: "
                                "complete or cancel it first")
        caller_uid = channel_uniqueid(call, call.inbound_channel) or call.call_id
        transfer = Transfer(
            id=uuid.uuid4().hex[:12], call_id=call.call_id, agent=agent_id,
            destination=destination, mode=transfer_mode, caller_channel=call.inbound_channel,
            caller_uid=caller_uid, agent_channel=call.agent_channel, started_at=self.clock())
        if self.ticket_of is not None:
            transfer.ticket_id = await self.ticket_of(call.call_id)
        self._together.pop(call.agent_channel, None)  # this transfer takes over from here
        self.live[transfer.id] = transfer
        with self._bound(transfer):
            log.info("transfer.started", ts=transfer.started_at, agent=agent_id,
                     destination=destination.number, name=destination.name,
                     kind=destination.kind.value, mode=transfer_mode.value,
                     ticket=transfer.ticket_id)
        await self._store_started(transfer)
        self._publish(transfer)
        try:
            if transfer_mode is TransferMode.BLIND:
                await self._start_blind(transfer)
            else:
                await self._start_joined(transfer)
        except (AmiActionFailed, AmiNotConnected) as exc:
            self._fail(transfer, "redirect_failed", f"{OTHER_REASONS['redirect_failed']}: "
                                                    f"{exc}", restore=False)
        if transfer.phase is Phase.RINGING:
            self._spawn(self._watchdog(transfer))
            if wait:
                await transfer.settled.wait()
        return transfer.describe()

    async def _start_joined(self, t: Transfer) -> None:
        agent_room = t.consult_room if t.mode is TransferMode.ATTENDED else t.room
        await self._must(actions.set_var(t.caller_channel, "CC_XFER_ROOM", t.room))
        await self._must(actions.set_var(t.caller_channel, "CC_XFER_PROFILE", CALLER_PROFILE))
        await self._must(actions.set_var(t.agent_channel, "CC_XFER_ROOM", agent_room))
        await self._must(actions.set_var(t.agent_channel, "CC_XFER_PROFILE", PARTY_PROFILE))
        await self._must(actions.redirect(t.caller_channel, ROOM_CONTEXT, "s",
                                          extra_channel=t.agent_channel))
        t.dest_uid = f"xfer-{t.id}-dest"
        self._legs.add(t.dest_uid)
        d = t.destination
        # the ;1 side runs dialplan (not an application), so that it can be redirected later
        variables = {"CC_XFER_ID": t.id, "CC_XFER_TIMEOUT": str(d.answer_timeout_s),
                     "CC_XFER_ROOM": t.dest_room, "CC_XFER_PROFILE": PARTY_PROFILE}
        if d.kind is DestinationKind.QUEUE:
            exten, variables["CC_XFER_QUEUE"] = "queue", d.target
        else:
            exten, variables["CC_XFER_DIAL"] = "dial", d.target
        reply = await self.send(actions.originate(
            f"Local/{exten}@{DEST_CONTEXT}/n", context=ROOM_CONTEXT, exten="s",
            timeout_ms=int((d.answer_timeout_s + GRACE_S) * 1000),
            caller_id=f"12345 <{self._caller_number(t)}>", variables=variables,
            channel_id=t.dest_uid, other_channel_id=f"{t.dest_uid}-2"))
        if not reply.success:
            self._fail(t, "originate_failed", f"{OTHER_REASONS['originate_failed']}: "
                                              f"{reply.message}")

    async def _start_blind(self, t: Transfer) -> None:
        d = t.destination
        call = self.tracker.calls.get(t.call_id)
        back = call.queue if call is not None and call.queue else ""
        values = {"CC_XFER_ID": t.id, "CC_XFER_TIMEOUT": str(d.answer_timeout_s),
                  "CC_XFER_BACK": back or "q12345"}
        if d.kind is DestinationKind.QUEUE:
            exten, values["CC_XFER_QUEUE"] = "queue", d.target
        else:
            exten, values["CC_XFER_DIAL"] = "dial", d.target
        for name, value in values.items():
            await self._must(actions.set_var(t.caller_channel, name, value))
        await self._must(actions.redirect(t.caller_channel, BLIND_CONTEXT, exten))

    def _in_progress(self, agent_id: str, blind_refusal: str) -> Transfer:
        """The agent's transfer in progress, for a command that blind transfers refuse."""
        t = self.of_agent(agent_id)
        if t is None:
            raise TransferConflict(f"agent {agent_id} has no transfer in progress")
        if t.mode is TransferMode.BLIND:
            raise TransferConflict(blind_refusal)
        return t

    async def complete(self, agent_id: str) -> dict[str, object]:
        """Hand the caller over: the agent leaves, caller and destination stay together."""
        t = self._in_progress(agent_id, "a blind transfer completes by itself when the "
                                        "destination answers")
        if t.phase is not Phase.ANSWERED:
            raise TransferConflict(f"the destination has not answered yet ({t.phase.value}): "
                                "wait, or cancel")
        if t.mode is TransferMode.ATTENDED:
            await self._into_room(t.dest_channel, t.room, strict=True)
            await self._send(actions.confbridge_kick(t.consult_room, t.agent_channel))
        else:
            await self._send(actions.confbridge_kick(t.room, t.agent_channel))
        self._completed(t, self.clock())
        return t.describe()

    async def cancel(self, agent_id: str) -> dict[str, object]:
        """Drop the destination (ringing or answered): the agent stays with the caller."""
        t = self._in_progress(agent_id, "a blind transfer cannot be cancelled: the caller "
                                        "has left the agent")
        self._finish(t, Outcome.CANCELLED, "agent_cancelled")
        if t.dest_channel:
            await self._send(actions.hangup(t.dest_channel))
        await self._rejoin(t)
        return t.describe()

    # -- events --------------------------------------------------------------------------

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        if isinstance(event, ev.UserEvent) and event.name == DIAL_EVENT:
            fields = dict(event.fields)
            t = self.live.get(fields.get("Transfer", ""))
            if t is not None:
                self._dial_result(t, fields.get("DialStatus", ""), ts)
            return
        for t in list(self.live.values()):
            self._apply(t, event, ts)
        if isinstance(event, ev.Hangup):
            self._release_caller(event, ts)

    def _release_caller(self, event: ev.Hangup, ts: float) -> None:
        """After a failed or cancelled transfer caller and agent are together in a room: the
        agent hanging up ends the caller's call, as it would on an ordinary call (never a
        caller alone with hold music in an empty room)."""
        caller_channel = self._together.pop(event.channel, None)
        if caller_channel is not None:
            log.info("transfer.caller_released", ts=ts, call_id=event.linkedid,
                     reason="agent_hung_up")
            self._spawn(self._send(actions.hangup(caller_channel)))
            return
        for agent_channel, caller in list(self._together.items()):
            if caller == event.channel:  # the caller hung up first: nothing to watch
                del self._together[agent_channel]

    def _apply(self, t: Transfer, event: ev.AmiEvent, ts: float) -> None:
        if isinstance(event, ev.Newchannel) and event.uniqueid == t.dest_uid:
            t.dest_channel = event.channel
        elif isinstance(event, ev.ConfbridgeJoin):
            if event.uniqueid == t.dest_uid and event.conference == t.dest_room:
                t.dest_channel = event.channel
                if t.phase is Phase.RINGING:
                    self._answered(t, ts)
        elif isinstance(event, ev.OriginateResponse):
            if event.uniqueid == t.dest_uid and not event.success and t.phase is Phase.RINGING:
                # the dialplan's CcTransferDial (the real reason) may arrive just after this
                self._spawn(self._originate_failed(t, event.reason))
        elif isinstance(event, ev.DialEnd):
            if (t.mode is TransferMode.BLIND and event.uniqueid == t.caller_uid
                    and event.status is ev.DialStatus.ANSWER and t.phase is Phase.RINGING):
                t.dest_channel = event.dest_channel
                self._answered(t, ts)
        elif isinstance(event, ev.AgentConnect):
            if (t.mode is TransferMode.BLIND and event.uniqueid == t.caller_uid
                    and t.phase is Phase.RINGING):
                t.dest_channel = event.dest_channel
                self._answered(t, ts)
        elif isinstance(event, ev.Hangup):
            self._hangup(t, event, ts)

    async def _originate_failed(self, t: Transfer, reason: int) -> None:
        await asyncio.sleep(REASON_WAIT_S)
        self._fail(t, "originate_failed", OTHER_REASONS["originate_failed"]
                   + f" (reason {reason})")

    def _dial_result(self, t: Transfer, status: str, ts: float) -> None:
        if status == "ANSWER" or t.phase is not Phase.RINGING:
            return
        code, text = dial_reason(status)
        if t.mode is TransferMode.BLIND:
            text += "，来电已转回队列"
        self._fail(t, code, text, ts=ts)

    def _hangup(self, t: Transfer, event: ev.Hangup, ts: float) -> None:
        if event.uniqueid == t.caller_uid:
            if t.phase in (Phase.RINGING, Phase.ANSWERED):
                self._finish(t, Outcome.CANCELLED, "caller_hung_up", ts=ts)
            self._ended(t, ts)
        elif (t.dest_channel and event.channel == t.dest_channel) or (
                t.dest_uid and event.uniqueid == t.dest_uid):
            if t.phase is Phase.RINGING:
                self._fail(t, "destination_hung_up", ts=ts)
            elif t.phase is Phase.ANSWERED:
                self._finish(t, Outcome.CANCELLED, "destination_hung_up", ts=ts)
                self._spawn(self._rejoin(t))
            elif t.phase is Phase.COMPLETED and t.mode is not TransferMode.BLIND:
                # the destination ended the call: the caller must not stay alone in the room
                self._spawn(self._send(actions.hangup(t.caller_channel)))
            self._ended(t, ts)
        elif event.channel == t.agent_channel and not t.agent_gone:
            t.agent_gone = True
            if t.phase is Phase.ANSWERED:  # hanging up hands the caller over (as on a phone)
                self._spawn(self._complete_after_agent_left(t, ts))

    async def _complete_after_agent_left(self, t: Transfer, ts: float) -> None:
        if t.mode is TransferMode.ATTENDED:
            await self._into_room(t.dest_channel, t.room)
        self._completed(t, ts, by="agent_hung_up")

    # -- transitions ---------------------------------------------------------------------

    def _answered(self, t: Transfer, ts: float) -> None:
        t.phase, t.answered_at = Phase.ANSWERED, ts
        with self._bound(t):
            log.info("transfer.answered", ts=ts, agent=t.agent, destination=t.destination.number,
                     mode=t.mode.value, ring_s=round(ts - t.started_at, 3))
        self._spawn(self._store(t, answered_at=iso_ts(ts)))
        self._spawn(self._handoff(t, ts))
        t.settled.set()
        self._publish(t)
        if t.mode is TransferMode.BLIND:
            self._completed(t, ts)
        elif t.agent_gone:
            self._spawn(self._complete_after_agent_left(t, ts))

    def _completed(self, t: Transfer, ts: float, by: str = "agent") -> None:
        t.phase, t.completed_at, t.outcome = Phase.COMPLETED, ts, Outcome.COMPLETED
        with self._bound(t):
            log.info("transfer.completed", ts=ts, agent=t.agent,
                     destination=t.destination.number, mode=t.mode.value, by=by)
        self._spawn(self._store(t, completed_at=iso_ts(ts), outcome=Outcome.COMPLETED.value))
        self._publish(t)

    def _fail(self, t: Transfer, code: str, text: str = "", *, ts: float | None = None,
              restore: bool = True) -> None:
        if t.phase is not Phase.RINGING:
            return
        self._finish(t, Outcome.FAILED, code, text, ts=ts)
        if restore:
            self._spawn(self._rejoin(t))

    def _finish(self, t: Transfer, outcome: Outcome, code: str, text: str = "", *,
                ts: float | None = None) -> None:
        """``text`` for the agent: the code's standard one unless given."""
        ts = self.clock() if ts is None else ts
        text = text or OTHER_REASONS[code]
        t.outcome, t.reason, t.reason_text = outcome, code, text
        t.phase, t.completed_at = Phase.ENDED, ts
        with self._bound(t):
            emit = log.warning if outcome is Outcome.FAILED else log.info
            emit(f"transfer.{outcome.value}", ts=ts, agent=t.agent,
                 destination=t.destination.number, mode=t.mode.value, reason=code,
                 reason_text=text)
        self._spawn(self._store(t, completed_at=iso_ts(ts), outcome=outcome.value, reason=code))
        t.settled.set()
        self._publish(t)
        if t.ended_at is None and not t.dest_channel:
            self._ended(t, ts)

    def _ended(self, t: Transfer, ts: float) -> None:
        if t.ended_at is None:
            t.ended_at = ts
            self._spawn(self._store(t, ended_at=iso_ts(ts)))
        if t.phase is Phase.COMPLETED:
            t.phase = Phase.ENDED
        if t.phase is Phase.ENDED:
            self.live.pop(t.id, None)

    async def _rejoin(self, t: Transfer) -> None:
        """After a failed or cancelled transfer: the agent back with the caller — or, if the
        agent is gone, the caller back at the head of the queue."""
        call = self.tracker.calls.get(t.call_id)
        if (call is None or channel_uniqueid(call, t.caller_channel) is None
                or t.mode is TransferMode.BLIND):
            return
        if t.agent_gone or channel_uniqueid(call, t.agent_channel) is None:
            await self._send(actions.redirect(t.caller_channel, BACK_CONTEXT, "s"))
            return
        self._together[t.agent_channel] = t.caller_channel
        if t.mode is TransferMode.ATTENDED:
            await self._into_room(t.agent_channel, t.room)

    async def _watchdog(self, t: Transfer) -> None:
        await asyncio.sleep(t.destination.answer_timeout_s + GRACE_S)
        if t.phase is Phase.RINGING:
            self._fail(t, "timeout")
            if t.dest_channel:
                await self._send(actions.hangup(t.dest_channel))

    # -- records -------------------------------------------------------------------------

    async def _store_started(self, t: Transfer) -> None:
        records = self.records()
        if records is None:
            return
        try:
            await records.started({
                "id": t.id, "ticket_id": t.ticket_id, "call_id": t.call_id, "agent": t.agent,
                "destination": t.destination.number, "destination_name": t.destination.name,
                "kind": t.destination.kind.value, "mode": t.mode.value,
                "started_at": iso_ts(t.started_at)})
        except Exception as exc:  # the call log keeps the transfer if the database fails
            log.error("transfer.store_failed", transfer=t.id, error=repr(exc))

    async def _store(self, t: Transfer, **fields: Any) -> None:
        records = self.records()
        if records is None:
            return
        try:
            await records.update(t.id, **fields)
        except Exception as exc:
            log.error("transfer.store_failed", transfer=t.id, error=repr(exc))

    async def _handoff(self, t: Transfer, ts: float) -> None:
        records = self.records()
        if records is None:
            return
        d: Destination = t.destination
        record: dict[str, Any] = {
            "transfer": t.id, "ticket": t.ticket_id, "call_id": t.call_id,
            "destination": {"number": d.number, "name": d.name, "units": d.units,
                            "kind": d.kind.value},
            "mode": t.mode.value, "agent": t.agent, "handed_over_at": iso_ts(ts)}
        if t.ticket_id is not None and self.ticket_content is not None:
            try:
                ticket = await self.ticket_content(t.ticket_id)
            except Exception as exc:
                log.error("transfer.store_failed", transfer=t.id, error=repr(exc))
                ticket = {}
            record.update({
                "caller": ticket.get("caller", ""), "dialed": ticket.get("dialed", ""),
                "origin_hotline": {"number": ticket.get("hotline", ""),
                                   "name": ticket.get("hotline_name", "")},
                "unit": ticket.get("unit", ""), "prefill": ticket.get("prefill", {}),
                "confirmed": ticket.get("confirmed", {}),
                "transcript": [{"speaker": u["speaker"], "text": u["text"]}
                               for u in ticket.get("transcript", [])]})
        try:
            handoff = await records.add_handoff(t.id, t.ticket_id, d.number, iso_ts(ts), record)
        except Exception as exc:
            log.error("transfer.store_failed", transfer=t.id, error=repr(exc))
            return
        with self._bound(t):
            log.info("transfer.handoff", handoff=handoff, ticket=t.ticket_id,
                     destination=d.number)

    # -- plumbing ------------------------------------------------------------------------

    def _caller_number(self, t: Transfer) -> str:
        call = self.tracker.calls.get(t.call_id)
        return call.caller_num if call is not None and call.caller_num else "12345"

    async def _into_room(self, channel: str, room: str, *, strict: bool = False) -> None:
        """Move a party (agent or destination) into a room: its profile and room as channel
        variables, then a Redirect to ``[cc-xfer-room]``. ``strict``: a refusal raises."""
        send = self._must if strict else self._send
        await send(actions.set_var(channel, "CC_XFER_PROFILE", PARTY_PROFILE))
        await send(actions.set_var(channel, "CC_XFER_ROOM", room))
        await send(actions.redirect(channel, ROOM_CONTEXT, "s"))

    async def _must(self, action: actions.AmiAction) -> None:
        reply = await self.send(action)
        if not reply.success:
            raise AmiActionFailed(f"{action.name}: {reply.message}")

    async def _send(self, action: actions.AmiAction) -> None:
        try:
            reply = await self.send(action)
            if not reply.success:
                log.warning("transfer.action_failed", action=action.name, message=reply.message)
        except (AmiActionFailed, AmiNotConnected) as exc:
            log.warning("transfer.action_failed", action=action.name, error=str(exc))

    def _publish(self, t: Transfer) -> None:
        if self.publish is not None and t.ticket_id is not None:
            self.publish(t.ticket_id, {"type": "transfer", **t.describe()})

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(coro)

    @staticmethod
    def _bound(t: Transfer) -> contextlib.AbstractContextManager[Any]:
        return structlog.contextvars.bound_contextvars(call_id=t.call_id, transfer=t.id)
