"""The live transfers and the rules around them. Pure and synchronous (time is passed in).

:meth:`TransferBoard.apply` reads typed AMI events as the transitions of
:mod:`callcenter.transfers.state` (which transfer, which party); the desk calls the others
(its commands, Asterisk's replies, timers). Each returns the effects to carry out; a transfer
that is over leaves :attr:`TransferBoard.live`.

The call's record (:class:`~callcenter.calls.state.LiveCall`) says which transfer is going
on for the call (``transfer``, until it is over), and keeps, under :data:`TOGETHER`, an agent
left alone with the caller in a room after a failed or cancelled transfer: that agent hanging
up ends the caller's call too, as it would on an ordinary call — never a caller alone with
hold music in an empty room.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callcenter.ami import events as ev
from callcenter.calls.state import Attachment, LiveCall
from callcenter.errors import TransferConflict
from callcenter.glossary import word
from callcenter.transfers.model import Phase, Transfer, TransferMode
from callcenter.transfers.outcomes import (
    CallerReleased,
    CallerToQueue,
    Effect,
    HangUp,
    MoveToRoom,
    Regroup,
)
from callcenter.transfers.state import is_over, state_of

DIAL_EVENT = "CcTransferDial"  # the UserEvent cc-xfer-dest / cc-xfer-blind send on failure


@dataclass(frozen=True, slots=True)
class Together:
    """The agent and the caller of a call, left together in a room after a transfer failed or
    was cancelled."""

    agent_channel: str
    caller_channel: str


TOGETHER: Attachment[Together] = Attachment("caller and agent left together by a transfer")


class TransferBoard:
    def __init__(self, call_of: Callable[[str], LiveCall | None]) -> None:
        self.call_of = call_of  # the calls' records, by call id (the call tracker's)
        self.live: dict[str, Transfer] = {}  # by transfer id, until it is over

    # -- queries and the commands' checks ------------------------------------------------

    def is_leg(self, linkedid: str) -> bool:
        """A channel tree a live transfer originated to reach its destination (completed
        too: its leg lives on with the call): not a call of its own."""
        return any(t.dest_uid == linkedid for t in self.live.values() if t.dest_uid)

    def of_agent(self, agent_id: str) -> Transfer | None:
        for transfer in self.live.values():
            if transfer.agent == agent_id and transfer.phase in (Phase.RINGING, Phase.ANSWERED):
                return transfer
        return None

    def _in_progress(self, agent_id: str, blind_refusal: str) -> Transfer:
        t = self.of_agent(agent_id)
        if t is None:
            raise TransferConflict(f"工号 {agent_id} 当前没有进行中的转接：请先发起转接")
        if t.mode is TransferMode.BLIND:
            raise TransferConflict(blind_refusal)
        return t

    def to_complete(self, agent_id: str) -> Transfer:
        """The agent's transfer that it may complete now (else TransferConflict)."""
        t = self._in_progress(agent_id, "直接转接在对方接听后自动完成，无需再点完成转接")
        if t.phase is not Phase.ANSWERED:
            raise TransferConflict(f"对方尚未接听（{word('transfer_phase', t.phase.value)}）："
                                   "请等待对方接听，或取消转接")
        return t

    def to_cancel(self, agent_id: str) -> Transfer:
        return self._in_progress(agent_id, "直接转接不能取消：来电人已转出，不在您的通话中")

    # -- what the desk did -----------------------------------------------------------------

    def add(self, t: Transfer) -> None:
        """A transfer begins, on the call's record; it takes over from an earlier one of the
        agent's."""
        self.live[t.id] = t
        call = self.call_of(t.call_id)
        if call is not None:
            call.transfer = t.id
            call.detach(TOGETHER)

    def leg_ordered(self, t: Transfer) -> str:
        """The destination leg is about to be originated: its ChannelId, known from now."""
        t.dest_uid = f"xfer-{t.id}-dest"
        return t.dest_uid

    def rejoin(self, t: Transfer, *, caller_up: bool, agent_up: bool,
               regroup: bool = False) -> list[Effect]:
        """After a failed or cancelled transfer: the agent back with the caller — or, if the
        agent is gone, the caller back at the head of the queue. ``regroup``: where they are
        is not known, both are moved into the call's room."""
        if not caller_up or t.mode is TransferMode.BLIND:
            return []
        if t.agent_gone or not agent_up:
            return [CallerToQueue(t.caller_channel)]
        call = self.call_of(t.call_id)
        if call is not None:
            call.attach(TOGETHER, Together(t.agent_channel, t.caller_channel))
        if regroup:
            return [Regroup(t)]
        return [MoveToRoom(t.agent_channel, t.room)] if t.mode is TransferMode.ATTENDED else []

    # -- transitions the desk drives -------------------------------------------------------

    def dialing(self, t: Transfer) -> list[Effect]:
        return state_of(t).dialing(t)

    def redirect_failed(self, t: Transfer, ts: float, error: str) -> list[Effect]:
        return self._kept(t, state_of(t).redirect_failed(t, ts, error))

    def moves_unknown(self, t: Transfer, ts: float, error: str) -> list[Effect]:
        return self._kept(t, state_of(t).moves_unknown(t, ts, error))

    def originate_failed(self, t: Transfer, ts: float, detail: str) -> list[Effect]:
        return self._kept(t, state_of(t).originate_failed(t, ts, detail))

    def originate_unanswered(self, t: Transfer, ts: float, detail: str) -> list[Effect]:
        return self._kept(t, state_of(t).originate_unanswered(t, ts, detail))

    def watchdog_expired(self, t: Transfer, ts: float) -> list[Effect]:
        return self._kept(t, state_of(t).watchdog_expired(t, ts))

    def completed_by_agent(self, t: Transfer, ts: float, by: str = "agent") -> list[Effect]:
        return self._kept(t, state_of(t).completed_by_agent(t, ts, by))

    def cancelled_by_agent(self, t: Transfer, ts: float) -> list[Effect]:
        return self._kept(t, state_of(t).cancelled_by_agent(t, ts))

    def _kept(self, t: Transfer, effects: list[Effect]) -> list[Effect]:
        if is_over(t):
            self.live.pop(t.id, None)
            call = self.call_of(t.call_id)
            if call is not None and call.transfer == t.id:
                call.transfer = ""
        return effects

    # -- AMI events ------------------------------------------------------------------------

    def apply(self, event: ev.AmiEvent, ts: float) -> list[Effect]:
        if isinstance(event, ev.UserEvent) and event.name == DIAL_EVENT:
            fields = dict(event.fields)
            t = self.live.get(fields.get("Transfer", ""))
            status = fields.get("DialStatus", "")
            if t is None or status == "ANSWER":
                return []
            return self._kept(t, state_of(t).dial_failed(t, status, ts))
        effects: list[Effect] = []
        for t in list(self.live.values()):
            effects += self._kept(t, self._transition(t, event, ts))
        if isinstance(event, ev.Hangup):
            effects += self._released(event, ts)
        return effects

    @staticmethod
    def _transition(t: Transfer, event: ev.AmiEvent, ts: float) -> list[Effect]:
        state = state_of(t)
        if isinstance(event, ev.Newchannel) and event.uniqueid == t.dest_uid:
            t.dest_channel = event.channel
        elif isinstance(event, ev.ConfbridgeJoin):
            if event.uniqueid == t.dest_uid and event.conference == t.dest_room:
                t.dest_channel = event.channel
                return state.answered(t, ts, event.channel)
        elif isinstance(event, ev.OriginateResponse):
            if event.uniqueid == t.dest_uid and not event.success:
                return state.originate_rejected(t, event.reason)
        elif isinstance(event, ev.DialEnd):  # blind: the caller's own Dial to the destination
            if (t.mode is TransferMode.BLIND and event.uniqueid == t.caller_uid
                    and event.status is ev.DialStatus.ANSWER):
                return state.answered(t, ts, event.dest_channel)
        elif isinstance(event, ev.AgentConnect):  # blind: an expert took the caller
            if t.mode is TransferMode.BLIND and event.uniqueid == t.caller_uid:
                return state.answered(t, ts, event.dest_channel)
        elif isinstance(event, ev.Hangup):
            if event.uniqueid == t.caller_uid:
                return state.caller_hung_up(t, ts)
            if (t.dest_channel and event.channel == t.dest_channel) or (
                    t.dest_uid and event.uniqueid == t.dest_uid):
                return state.destination_hung_up(t, ts)
            if event.channel == t.agent_channel:
                return state.agent_hung_up(t, ts)
        return []

    def _released(self, event: ev.Hangup, ts: float) -> list[Effect]:
        """The agent left together with a caller hung up: end the caller's call too."""
        call = self.call_of(event.linkedid)
        together = call.attached(TOGETHER) if call is not None else None
        if call is None or together is None:
            return []
        if event.channel == together.agent_channel:
            call.detach(TOGETHER)
            return [CallerReleased(event.linkedid, ts), HangUp(together.caller_channel)]
        if event.channel == together.caller_channel:  # the caller hung up first: no watch
            call.detach(TOGETHER)
        return []
