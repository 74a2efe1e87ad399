"""The live monitoring sessions and the checks around them. Pure and synchronous (time is
passed in).

:meth:`MonitorBoard.apply` reads typed AMI events as the transitions of
:mod:`callcenter.supervision.state` (which session, which leg); the desk calls the others
(its commands, Asterisk's replies). Each returns the effects to carry out; a session that is
over leaves :attr:`MonitorBoard.live`. The session on a call is on the call's record
(:class:`~callcenter.calls.state.LiveCall`'s ``monitoring``) while it lasts.

A supervisor's leg is no call (the call tracker ignores it): the legs of sessions that ended
before Asterisk created them are the board's own (:attr:`MonitorBoard.orphans`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from callcenter.ami import events as ev
from callcenter.calls.state import LiveCall
from callcenter.errors import SupervisionConflict, UnknownSession
from callcenter.supervision.model import MonitorMode, Phase, Session
from callcenter.supervision.outcomes import Effect, HangUp
from callcenter.supervision.state import requested, state_of

KEYS = {m.digit: m for m in MonitorMode}  # ChanSpy's mode digits (its option d)
MAX_ORPHANS = 1000  # legs of sessions stopped before Asterisk named them
RECENT = 50  # sessions over, kept to tell their supervisors' pages why


class MonitorBoard:
    def __init__(self, call_of: Callable[[str], LiveCall | None]) -> None:
        self.call_of = call_of  # the calls' records, by call id (the call tracker's)
        self.live: dict[str, Session] = {}  # by session id, until it is over
        # leg uids of sessions that ended before their leg appeared: hung up when it does
        self.orphans: dict[str, None] = {}
        self.ended: deque[Session] = deque(maxlen=RECENT)  # the latest sessions over

    # -- queries and the commands' checks ------------------------------------------------

    def of_supervisor(self, supervisor: str) -> Session | None:
        return next((s for s in self.live.values() if s.supervisor == supervisor), None)

    def on_call(self, call_id: str) -> Session | None:
        call = self.call_of(call_id)
        return self.live.get(call.monitoring) if call is not None else None

    def get(self, session_id: str) -> Session:
        found = self.live.get(session_id)
        if found is None:
            raise UnknownSession("该监听已结束或不存在，请刷新页面")
        return found

    def check_free(self, supervisor: str, call_id: str, agent: str,
                   name: Callable[[str], str] = str) -> None:
        """One session per supervisor, one per call (else SupervisionConflict); ``name``:
        a supervisor as people know them."""
        mine = self.of_supervisor(supervisor)
        if mine is not None:
            raise SupervisionConflict(f"{name(supervisor)}正在监听话务员 {mine.agent}："
                                      "请先结束该监听")
        theirs = self.on_call(call_id)
        if theirs is not None:
            raise SupervisionConflict(f"话务员 {agent} 的通话已由班长{name(theirs.supervisor)}"
                                      "监听：同一通话只能有一位班长监听")

    # -- what the desk does ------------------------------------------------------------------

    def start(self, s: Session) -> list[Effect]:
        self.live[s.id] = s
        call = self.call_of(s.call_id)
        if call is not None:
            call.monitoring = s.id
        return requested(s)

    def mode_changed(self, s: Session, mode: MonitorMode, ts: float) -> list[Effect]:
        if s.phase is Phase.RINGING:
            raise SupervisionConflict("班长话机尚未接听：请先接听，再切换模式")
        return self._kept(s, state_of(s).mode_changed(s, mode, ts))

    def stop_requested(self, s: Session, ts: float) -> list[Effect]:
        return self._kept(s, state_of(s).stop_requested(s, ts))

    def leg_gone(self, s: Session, ts: float) -> list[Effect]:
        """A resync found no leg of the session: the supervisor's phone hung up meanwhile."""
        return self._kept(s, state_of(s).supervisor_hung_up(s, ts))

    def originate_failed(self, s: Session, ts: float, reason: int | None) -> list[Effect]:
        return self._kept(s, state_of(s).originate_failed(s, ts, reason))

    def _kept(self, s: Session, effects: list[Effect]) -> list[Effect]:
        if s.phase is Phase.ENDED:
            if self.live.pop(s.id, None) is not None:
                self.ended.append(s)
            call = self.call_of(s.call_id)
            if call is not None and call.monitoring == s.id:
                call.monitoring = ""
            if not s.leg_channel:
                self.orphans[s.leg_uid] = None
                while len(self.orphans) > MAX_ORPHANS:
                    del self.orphans[next(iter(self.orphans))]
        return effects

    # -- AMI events ------------------------------------------------------------------------

    def apply(self, event: ev.AmiEvent, ts: float) -> list[Effect]:
        if isinstance(event, ev.Newchannel) and event.uniqueid in self.orphans:
            del self.orphans[event.uniqueid]
            return [HangUp(event.channel)]
        effects: list[Effect] = []
        for s in list(self.live.values()):
            effects += self._kept(s, self._transition(s, event, ts))
        return effects

    @staticmethod
    def _transition(s: Session, event: ev.AmiEvent, ts: float) -> list[Effect]:
        state = state_of(s)
        if isinstance(event, ev.Newchannel) and event.uniqueid == s.leg_uid:
            s.leg_channel = event.channel
        elif isinstance(event, ev.Newstate) and event.uniqueid == s.leg_uid:
            if event.state is ev.ChannelState.UP:
                return state.supervisor_answered(s, ts)
        elif isinstance(event, ev.OriginateResponse) and event.uniqueid == s.leg_uid:
            if event.success:
                return state.supervisor_answered(s, ts)
            return state.originate_failed(s, ts, event.reason)
        elif isinstance(event, ev.DTMFEnd) and event.uniqueid == s.leg_uid:
            mode = KEYS.get(event.digit) if event.received else None
            if mode is not None:
                return state.keyed(s, mode, ts)
        elif isinstance(event, ev.Hangup):
            if event.uniqueid == s.leg_uid:
                return state.supervisor_hung_up(s, ts)
            if event.uniqueid == s.spied_uid or event.channel == s.spied_channel:
                return state.spied_gone(s, ts)
        return []
