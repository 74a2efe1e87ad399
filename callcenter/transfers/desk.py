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

The desk does the I/O only: commands and AMI events go to the :class:`TransferBoard` (pure:
:mod:`~callcenter.transfers.board`, phases and transitions in
:mod:`~callcenter.transfers.state`); the effects it returns become AMI actions
(:mod:`~callcenter.transfers.ami_actions`), timers, and log lines, store rows and ticket-bus
messages (:mod:`~callcenter.transfers.journal`).
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from callcenter.ami import actions
from callcenter.ami import events as ev
from callcenter.ami.client import ActionSender
from callcenter.ami.effects import send_logged
from callcenter.calls.state import CallTracker, LiveCall, channel_uniqueid
from callcenter.clock import log_time
from callcenter.config.models import HotlinesConfig
from callcenter.effects import EffectRunner
from callcenter.errors import AmiActionFailed, AmiNotConnected, TransferConflict, TransferError
from callcenter.tasks import TaskSet
from callcenter.transfers import ami_actions
from callcenter.transfers.board import TransferBoard
from callcenter.transfers.destinations import resolve
from callcenter.transfers.journal import TransferJournal
from callcenter.transfers.model import Phase, Transfer, TransferMode
from callcenter.transfers.outcomes import (
    AmiWork,
    AwaitDialReason,
    CallerReleased,
    CallerToQueue,
    Closed,
    Effect,
    HandOver,
    HangUp,
    LeaveRoom,
    MoveToRoom,
    PhaseChanged,
    RecordHandoff,
    Regroup,
    Rejoin,
    Watch,
)
from callcenter.transfers.records import TransferRecords
from callcenter.transfers.state import handover

log = structlog.get_logger("transfers")

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
        self.board = TransferBoard(tracker.calls.get)
        self._tasks = TaskSet("transfer-desk")
        self.effects = EffectRunner[Effect](AmiWork, self._act, self._note, self._tasks)
        # (due, order, what happens then): driven by tick() — the engine's timer task, and
        # every event — not by sleeping tasks, so that a replay decides them the same
        self._timers: list[tuple[float, int, Callable[[float], list[Effect]]]] = []
        self._timer_seq = itertools.count()
        self.journal = TransferJournal(records, ticket_content, publish, self._spawn)

    # -- queries -------------------------------------------------------------------------

    @property
    def live(self) -> dict[str, Transfer]:
        """The transfers not over yet, by id."""
        return self.board.live

    @property
    def busy(self) -> bool:
        """Work started (AMI actions, moves) that has not finished yet."""
        return len(self._tasks) > 0

    def is_transfer_leg(self, linkedid: str) -> bool:
        """A channel tree we originated to reach a destination: not a call of its own."""
        return self.board.is_leg(linkedid)

    def of_agent(self, agent_id: str) -> Transfer | None:
        return self.board.of_agent(agent_id)

    def snapshot(self) -> list[dict[str, object]]:
        return [t.describe() for t in self.live.values()]

    # -- commands ------------------------------------------------------------------------

    def _agent_call(self, agent_id: str) -> LiveCall:
        for call in self.tracker.calls.values():
            if (call.agent == agent_id and call.agent_channel
                    and channel_uniqueid(call, call.agent_channel) is not None
                    and channel_uniqueid(call, call.inbound_channel) is not None):
                return call
        raise TransferConflict(f"工号 {agent_id} 当前没有可转接的通话：请在通话中再转接")

    async def start(self, agent_id: str, wanted: str, mode: str = "conference", *,
                    wait: bool = True, transfer_id: str | None = None) -> dict[str, object]:
        """Start a transfer; with ``wait`` return once it is answered or has failed.
        ``transfer_id``: the id a replay gives (the recorded one); new otherwise."""
        transfer_id = transfer_id or uuid.uuid4().hex[:12]
        # one reading of the clock, as logged: the replay has only the request's line, so
        # the transfer must start at its time (a second reading was 3 ms later under load)
        now = log_time(self.clock())
        self._requested("start", agent_id, now, destination=wanted, mode=mode,
                        transfer=transfer_id)
        try:
            transfer_mode = TransferMode(mode)
        except ValueError:
            raise TransferError(f"转接方式 {mode!r} 无效：请选择三方通话（conference）、"
                                "咨询转接（attended）或直接转接（blind）") from None
        destination = resolve(self.hotlines(), wanted)
        call = self._agent_call(agent_id)
        if self.of_agent(agent_id) is not None:
            raise TransferConflict(f"工号 {agent_id} 正在转接这通电话：请先完成或取消当前转接")
        caller_uid = channel_uniqueid(call, call.inbound_channel) or call.call_id
        t = Transfer(
            id=transfer_id, call_id=call.call_id, agent=agent_id,
            destination=destination, mode=transfer_mode, caller_channel=call.inbound_channel,
            caller_uid=caller_uid, agent_channel=call.agent_channel, started_at=now)
        if self.ticket_of is not None:
            t.ticket_id = await self.ticket_of(call.call_id)
        self.board.add(t)
        await self.journal.started(t)
        try:
            if transfer_mode is TransferMode.BLIND:
                await self._start_blind(t)
            else:
                await self._start_joined(t)
        except (AmiActionFailed, AmiNotConnected) as exc:
            self.effects.run(self.board.redirect_failed(t, self.clock(), str(exc)))
        self.effects.run(self.board.dialing(t))
        if wait:
            await t.settled.wait()  # answered or over
        return t.describe()

    async def _start_joined(self, t: Transfer) -> None:
        *variables, redirect = ami_actions.joined_moves(t)
        for action in variables:
            await self._must(action)  # refused or unanswered: nobody was moved yet
        try:
            reply = await self.send(redirect)
        except (AmiActionFailed, AmiNotConnected) as exc:  # perhaps done, perhaps not
            self.effects.run(self.board.moves_unknown(t, self.clock(), str(exc)))
            return
        if not reply.success:
            raise AmiActionFailed(f"系统未能转移通话（{redirect.name}：{reply.message}）："
                                  "通话未变动，请稍后再试")
        self.board.leg_ordered(t)  # from here the caller is in a room: failures rejoin
        try:
            reply = await self.send(ami_actions.destination_leg(t, self._caller_number(t)))
        except (AmiActionFailed, AmiNotConnected) as exc:
            self.effects.run(self.board.originate_unanswered(t, self.clock(), f": {exc}"))
            return
        if not reply.success:
            self.effects.run(self.board.originate_failed(t, self.clock(), f": {reply.message}"))

    async def _start_blind(self, t: Transfer) -> None:
        call = self.tracker.calls.get(t.call_id)
        back = call.queue if call is not None and call.queue else ""
        for action in ami_actions.blind_moves(t, back):
            await self._must(action)

    async def complete(self, agent_id: str) -> dict[str, object]:
        """Hand the caller over: the agent leaves, caller and destination stay together."""
        self._requested("complete", agent_id)
        t = self.board.to_complete(agent_id)
        t.completing = True  # the agent leaving the room now is this completion, not a hang-up
        try:
            await self.effects.perform(handover(t))
        finally:
            t.completing = False
        self.effects.run(self.board.completed_by_agent(t, self.clock()))
        return t.describe()

    async def cancel(self, agent_id: str) -> dict[str, object]:
        """Drop the destination (ringing or answered): the agent stays with the caller."""
        self._requested("cancel", agent_id)
        t = self.board.to_cancel(agent_id)
        await self.effects.perform(self.board.cancelled_by_agent(t, self.clock()))
        return t.describe()

    # -- events --------------------------------------------------------------------------

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        self.tick(ts)  # timers due before this event first (as the agent desk does)
        self.effects.run(self.board.apply(event, ts))

    def tick(self, now: float) -> None:
        """Run the timers due by ``now`` (watchdogs, waits for the dialplan's reason), each
        judged at its due time — the same whenever it is looked at, live or in a replay."""
        while self._timers and self._timers[0][0] <= now:
            due, _, fire = heapq.heappop(self._timers)
            self.effects.run(fire(due))

    def _after(self, delay_s: float, fire: Callable[[float], list[Effect]]) -> None:
        heapq.heappush(self._timers, (self.clock() + delay_s, next(self._timer_seq), fire))

    def _requested(self, action: str, agent_id: str, ts: float | None = None,
                   **fields: str) -> None:
        """The request, as an input of the call log (the replay runs it again there)."""
        log.info("transfer.requested", ts=self.clock() if ts is None else ts, action=action,
                 agent=agent_id, **fields)

    # -- effects -------------------------------------------------------------------------

    def _note(self, effect: Effect) -> None:
        if isinstance(effect, PhaseChanged):
            self.journal.changed(effect)
            if effect.phase is not Phase.COMPLETED:  # answered or over
                effect.transfer.settled.set()
        elif isinstance(effect, Closed):
            self.journal.closed(effect.transfer, effect.ts)
        elif isinstance(effect, RecordHandoff):
            self.journal.handoff(effect.transfer, effect.ts)
        elif isinstance(effect, CallerReleased):
            self.journal.caller_released(effect.call_id, effect.ts)
        elif isinstance(effect, HandOver):
            self._spawn(self._hand_over(effect))
        elif isinstance(effect, Watch):
            t = effect.transfer
            self._after(effect.after_s, lambda due: self.board.watchdog_expired(t, due))
        elif isinstance(effect, AwaitDialReason):
            wait = effect
            self._after(wait.after_s, lambda due: self.board.originate_failed(
                wait.transfer, due, wait.detail))

    async def _act(self, effect: AmiWork, _required: bool) -> None:
        if isinstance(effect, HangUp):
            await self._send(actions.hangup(effect.channel))
        elif isinstance(effect, MoveToRoom):
            send = self._must if effect.required else self._send
            for action in ami_actions.into_room(effect.channel, effect.room):
                await send(action)
        elif isinstance(effect, LeaveRoom):
            await self._send(actions.confbridge_kick(effect.room, effect.channel))
        elif isinstance(effect, CallerToQueue):
            await self._send(ami_actions.back_to_queue(effect.channel))
        elif isinstance(effect, Rejoin):
            await self._rejoin(effect.transfer, effect.regroup)
        elif isinstance(effect, Regroup):
            for action in ami_actions.joined_moves(effect.transfer, together=True):
                await self._send(action)

    async def _rejoin(self, t: Transfer, regroup: bool) -> None:
        """Which of caller and agent is still there decides: looked at now, not earlier."""
        call = self.tracker.calls.get(t.call_id)

        def up(channel: str) -> bool:
            return call is not None and channel_uniqueid(call, channel) is not None

        await self.effects.perform(self.board.rejoin(t, caller_up=up(t.caller_channel),
                                              agent_up=up(t.agent_channel), regroup=regroup))

    async def _hand_over(self, h: HandOver) -> None:
        await self.effects.perform(list(h.moves))
        self.effects.run(self.board.completed_by_agent(h.transfer, h.ts, h.by))

    # -- plumbing ------------------------------------------------------------------------

    def _caller_number(self, t: Transfer) -> str:
        call = self.tracker.calls.get(t.call_id)
        return call.caller_num if call is not None and call.caller_num else "12345"

    async def _must(self, action: actions.AmiAction) -> None:
        reply = await self.send(action)
        if not reply.success:
            raise AmiActionFailed(f"系统未能执行转接（{action.name}：{reply.message}）："
                                  "通话未变动，请稍后再试")

    async def _send(self, action: actions.AmiAction) -> None:
        await send_logged(self.send, action, "transfer.action_failed")

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(coro)
