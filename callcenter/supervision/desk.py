"""The monitor desk: a supervisor listens to, whispers into or barges into an agent's live
call from their own softphone (desk or browser), switches the mode during the session, and
ends it — or the call's end ends it.

How it is done on Asterisk (ASTERISK-LAB.md): an AMI Originate calls the supervisor's
softphone (``supervisor-<user>``, agents.yaml ``supervisors:``) into
``ChanSpy(<the agent's channel>,qESud…)``; a mode switch is the digit 4 / 5 / 6 the running
ChanSpy reads (AMI PlayDTMF with Receive); stopping hangs up the supervisor's leg. The call
itself is never touched. A supervisor monitors the calls of the floor they supervise — every
agent's, for now (:func:`may_monitor`).

The desk does the I/O only: commands and AMI events go to the :class:`MonitorBoard` (pure:
:mod:`~callcenter.supervision.board`, phases in :mod:`~callcenter.supervision.state`); the
effects it returns become AMI actions (:mod:`~callcenter.supervision.ami_actions`), log lines
(``monitor.*``: never a caller's number) and the session's audit row when it ends (who,
which agent and call, the modes with their seconds, start, end, why) — the start is the
``monitor.start`` command's own row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

import structlog

from callcenter import audit
from callcenter.actors import Actor, Role
from callcenter.ami import actions
from callcenter.ami import events as ev
from callcenter.ami.client import ActionSender
from callcenter.ami.effects import send_logged, send_required
from callcenter.audit import OK, AuditEntry, AuditTrail
from callcenter.calls.state import CallTracker, LiveCall, channel_uniqueid
from callcenter.clock import iso_seconds, iso_ts
from callcenter.config.loader import DEVICES, Config, supervisor_interface
from callcenter.effects import EffectRunner
from callcenter.errors import (
    AmiActionFailed,
    AmiNotConnected,
    Forbidden,
    SupervisionConflict,
    SupervisionError,
    UnknownAgent,
)
from callcenter.supervision import ami_actions
from callcenter.supervision.board import MonitorBoard
from callcenter.supervision.floor import person
from callcenter.supervision.model import END_REASONS, LEG_PREFIX, Phase, Session, mode_of
from callcenter.supervision.outcomes import (
    AmiWork,
    Answered,
    CallSupervisor,
    Effect,
    Ended,
    HangUp,
    ModeChanged,
    SwitchMode,
)
from callcenter.supervision.state import durations
from callcenter.tasks import TaskSet

log = structlog.get_logger("supervision")

RECENT_S = 60.0  # how long an ended session stays on the wallboard


def may_monitor(supervisor: str, agent: str) -> bool:
    """Whether the supervisor supervises the agent's floor: every agent, for now (floors are
    not configured yet)."""
    return True


class MonitorDesk:
    def __init__(self, send: ActionSender, tracker: CallTracker,
                 config: Callable[[], Config], clock: Callable[[], float], *,
                 audit_trail: Callable[[], AuditTrail | None] = lambda: None,
                 on_change: Callable[[dict[str, object]], None] = lambda _view: None) -> None:
        self.send = send
        self.tracker = tracker
        self.config = config
        self.clock = clock
        self.audit_trail = audit_trail
        self.on_change = on_change  # a session began, changed mode or ended (a wallboard)
        self.board = MonitorBoard(tracker.calls.get)
        self._tasks = TaskSet("monitor-desk")
        self.effects = EffectRunner[Effect](AmiWork, self._act, self._note, self._tasks)

    @property
    def live(self) -> dict[str, Session]:
        return self.board.live

    def snapshot(self) -> list[dict[str, object]]:
        return [s.describe() for s in self.live.values()]

    def recent(self) -> list[dict[str, object]]:
        """The live sessions, and those over in the last RECENT_S (the wallboard: a
        supervisor's page learns why theirs ended)."""
        since = self.clock() - RECENT_S
        return self.snapshot() + [s.describe() for s in self.board.ended
                                  if s.ended_at is not None and s.ended_at >= since]

    # -- commands ------------------------------------------------------------------------

    def _supervisor(self, actor: Actor, named: str) -> str:
        """Whose softphone is called: a supervisor's own (by their user name); the root
        (the CLI) names one."""
        who = actor.name if actor.role is Role.SUPERVISOR else named
        if actor.role is Role.SUPERVISOR and named and named != actor.name:
            raise Forbidden(f"班长只能用自己的话机监听（{self._name(actor.name)}）")
        if not who:
            raise SupervisionError("请指明用哪位班长的话机监听（supervisor）")
        if who not in self.config().agents.supervisors:
            raise SupervisionError(f"{who} 没有用于监听的话机：请管理员把其加入 agents.yaml 的 "
                                   "supervisors:，再重新加载配置")
        return who

    def _name(self, user: str) -> str:
        return person(self.config(), user)

    def _agent_call(self, agent: str) -> tuple[LiveCall, str]:
        for call in self.tracker.calls.values():
            if call.agent == agent and call.agent_channel:
                uid = channel_uniqueid(call, call.agent_channel)
                if uid is not None:
                    return call, uid
        raise SupervisionConflict(f"话务员 {agent} 当前没有通话，无法监听")

    async def start(self, actor: Actor, agent: str, mode: str = "listen", *,
                    supervisor: str = "", device: str = "sip",
                    session_id: str | None = None) -> dict[str, object]:
        """Call the supervisor's softphone into the agent's call in ``mode``; returns while
        it rings (``monitor.list`` shows when it is answered)."""
        who = self._supervisor(actor, supervisor)
        if device not in DEVICES:
            raise SupervisionError(f"话机 {device[:20]!r} 无效：应为 sip（桌面话机）或 "
                                   "webrtc（浏览器软电话）")
        try:
            wanted = mode_of(mode)
        except ValueError as exc:
            raise SupervisionError(str(exc)) from None
        if agent not in self.config().agents.agents:
            raise UnknownAgent(f"没有工号为 {agent[:20]} 的话务员")
        if not may_monitor(who, agent):
            raise Forbidden(f"话务员 {agent} 不在班长{self._name(who)}负责的班组")
        call, spied_uid = self._agent_call(agent)
        self.board.check_free(who, call.call_id, agent, self._name)
        s = Session(id=session_id or uuid.uuid4().hex[:12], actor=actor, supervisor=who,
                    interface=supervisor_interface(who, device), agent=agent,
                    call_id=call.call_id, spied_channel=call.agent_channel,
                    spied_uid=spied_uid, mode=wanted, requested_at=self.clock())
        audit.note(f"session {s.id}, call {s.call_id}, from {s.interface}")
        log.info("monitor.requested", ts=s.requested_at, call_id=s.call_id, session=s.id,
                 supervisor=who, agent=agent, mode=wanted.value)
        await self.effects.perform(self.board.start(s))
        if s.reason:  # the Originate was refused at once
            raise AmiActionFailed(f"{END_REASONS.get(s.reason, '无法呼叫班长话机')}："
                                  "请检查班长话机已注册后重试")
        self.on_change(s.describe())
        return s.describe()

    def _own(self, actor: Actor, session_id: str) -> Session:
        s = self.board.get(session_id)
        if actor.role is Role.SUPERVISOR and s.supervisor != actor.name:
            raise Forbidden(f"这是班长{self._name(s.supervisor)}的监听，您不能操作")
        return s

    async def mode(self, actor: Actor, session_id: str, mode: str) -> dict[str, object]:
        s = self._own(actor, session_id)
        try:
            wanted = mode_of(mode)
        except ValueError as exc:
            raise SupervisionError(str(exc)) from None
        before, history = s.mode, list(s.modes)
        effects = self.board.mode_changed(s, wanted, self.clock())
        try:
            await self.effects.perform(effects, required=True)
        except (AmiActionFailed, AmiNotConnected) as exc:
            s.mode, s.modes = before, history
            raise type(exc)(f"监听模式未切换（仍为{before.text}）：{exc.message}，"
                            "请重试") from None
        return s.describe()

    async def stop(self, actor: Actor, session_id: str) -> dict[str, object]:
        s = self._own(actor, session_id)
        if s.leg_channel:  # hung up first: if Asterisk cannot, the session (and the leg) go on
            try:
                await self._send(actions.hangup(s.leg_channel), required=True)
            except AmiActionFailed as exc:
                raise AmiActionFailed(f"未能挂断班长话机，监听仍在进行（{exc.message}），"
                                      "请重试") from None
        await self.effects.perform([e for e in self.board.stop_requested(s, self.clock())
                             if not isinstance(e, HangUp)])
        return s.describe()

    async def close(self) -> None:
        """The engine stops: every session ends (its leg hung up, its audit row written) —
        nobody listens on with no engine to record it."""
        for s in list(self.live.values()):
            effects = self.board.stop_requested(s, self.clock())
            s.reason = "engine_stopped"
            await self.effects.perform(effects)
        await self._tasks.wait()

    async def resynced(self, listed: Iterable[ev.CoreShowChannel]) -> None:
        """After a (re)connect: a supervisor's leg no session knows (an engine restarted
        under it) is hung up — nobody listens unrecorded; a session whose leg is gone is
        over."""
        legs = {c.uniqueid: c.channel for c in listed if c.uniqueid.startswith(LEG_PREFIX)}
        known = {s.leg_uid for s in self.live.values()}
        for uid, channel in legs.items():
            if uid not in known:
                log.warning("monitor.unknown_leg_hung_up", session=uid[len(LEG_PREFIX):])
                await self._send(actions.hangup(channel))
        for s in list(self.live.values()):
            if s.phase is Phase.ACTIVE and s.leg_uid not in legs:
                await self.effects.perform(self.board.leg_gone(s, self.clock()))

    # -- events --------------------------------------------------------------------------

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        self.effects.run(self.board.apply(event, ts))

    # -- effects -------------------------------------------------------------------------

    async def _act(self, effect: AmiWork, required: bool) -> None:
        if isinstance(effect, CallSupervisor):
            await self._call_supervisor(effect.session)
        elif isinstance(effect, SwitchMode):
            await self._send(ami_actions.switch_mode(effect.session.leg_channel, effect.mode),
                             required=required)
        elif isinstance(effect, HangUp):
            await self._send(actions.hangup(effect.channel))

    async def _call_supervisor(self, s: Session) -> None:
        try:
            reply = await self.send(ami_actions.supervisor_leg(s))
            refused = "" if reply.success else reply.message
        except (AmiActionFailed, AmiNotConnected) as exc:
            refused = exc.message
        if refused:
            log.warning("monitor.originate_refused", session=s.id, message=refused)
            await self.effects.perform(self.board.originate_failed(s, self.clock(), None))

    async def _send(self, action: actions.AmiAction, *, required: bool = False) -> None:
        if required:
            await send_required(self.send, action)
        else:
            await send_logged(self.send, action, "monitor.action_failed")

    def _note(self, effect: Effect) -> None:
        if isinstance(effect, Answered):
            s = effect.session
            log.info("monitor.answered", ts=effect.ts, call_id=s.call_id, session=s.id,
                     supervisor=s.supervisor, agent=s.agent, mode=s.mode.value,
                     ring_s=round(effect.ts - s.requested_at, 3))
        elif isinstance(effect, ModeChanged):
            s = effect.session
            log.info("monitor.mode", ts=effect.ts, call_id=s.call_id, session=s.id,
                     supervisor=s.supervisor, agent=s.agent, mode=effect.mode.value)
        elif isinstance(effect, Ended):
            self._ended(effect.session, effect.ts)
            return
        else:
            return
        self.on_change(effect.session.describe())

    def _ended(self, s: Session, ts: float) -> None:
        spent = durations(s)
        talked = round(ts - s.answered_at, 1) if s.answered_at is not None else 0.0
        log.info("monitor.ended", ts=ts, call_id=s.call_id, session=s.id,
                 supervisor=s.supervisor, agent=s.agent, reason=s.reason, duration_s=talked,
                 modes=spent)
        self.on_change(s.describe())
        detail = "; ".join([
            f"session={s.id}", f"supervisor={s.supervisor}", f"call={s.call_id}",
            "modes=" + (", ".join(f"{m} {sec}s" for m, sec in spent.items())
                        or "+".join(m for m, _ in s.modes)),
            f"requested={iso_ts(s.requested_at)}",
            f"started={iso_ts(s.answered_at) if s.answered_at is not None else '-'}",
            f"ended={iso_ts(ts)}", f"duration_s={talked}", f"reason={s.reason}"])
        entry = AuditEntry.of(s.actor, iso_seconds(ts), "monitor.session", f"agent {s.agent}", OK,
                              detail)
        self._tasks.spawn(self._record(entry))

    async def _record(self, entry: AuditEntry) -> None:
        trail = self.audit_trail()
        if trail is None:  # the log line above keeps it
            log.warning("audit.unavailable", action=entry.action, user=entry.user)
            return
        await trail.record(entry)


