"""The agent desk: login, logout, pause and unpause of agents, and the rules on their states.

Handler → rules → actions: AMI events update the :class:`AgentBoard` (pure); its outcomes
are logged (``agent.state``) and rule outcomes (pause after unanswered rings) become AMI
actions, built only by :mod:`callcenter.ami.actions`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from callcenter.agents.skills import ShiftSkills
from callcenter.agents.state import (
    INTERFACE_PREFIX,
    RING_NO_ANSWER_REASON,
    AgentBoard,
    AgentState,
    LogoutAgent,
    Outcome,
    PauseAgent,
    PhoneChange,
    StateChange,
    SupervisorPause,
    agent_of,
)
from callcenter.ami import actions
from callcenter.ami import events as ev
from callcenter.ami.client import ActionSender
from callcenter.ami.effects import send_logged
from callcenter.config.loader import DEVICES, Config, agent_interface
from callcenter.config.models import WEB_SUFFIX
from callcenter.errors import (
    AgentConflict,
    AgentError,
    AmiActionFailed,
    CommandError,
    UnknownAgent,
)
from callcenter.tasks import TaskSet

log = structlog.get_logger("agents")

TICK_S = 1.0
# a login refused because the phone is not registered: what to do, per device
UNREGISTERED = {
    "webrtc": "工号 {agent} 的浏览器软电话未注册（{endpoint}）：请等待页面显示"
              "“软电话已注册”后再签入；若一直未注册，请刷新页面或检查网络",
    "sip": "工号 {agent} 的桌面话机未注册（{endpoint}）：请打开桌面话机并确认已注册，再签入",
}


def interface(agent_id: str) -> str:
    """The desk softphone's interface (``agent_interface`` for the browser's)."""
    return f"{INTERFACE_PREFIX}{agent_id}"


class AgentDesk:
    def __init__(self, config: Config, send: ActionSender, clock: Callable[[], float]) -> None:
        self.send = send
        self.clock = clock
        self._tasks = TaskSet("agent-desk")
        self._last_tick: float | None = None
        self.config = config
        self.board = AgentBoard(*self._rules(config))
        self.since: dict[str, float] = {}  # when each agent entered their state
        # queues a supervisor gave an agent for the rest of the shift (agents/skills.py)
        self.shift_skills: dict[str, ShiftSkills] = {}
        # agents a supervisor paused: only a supervisor resumes them, and the agent's own
        # logout and login keep the pause (agent → (who paused, the reason)); published as
        # SupervisorPause, which the engine keeps in its store over a restart
        self.forced: dict[str, tuple[str, str]] = {}
        # the hub: every state change (StateChange), a phone going online or offline
        # (PhoneChange), an agent logged out by the engine (LogoutAgent), a supervisor's
        # pause begun or ended (SupervisorPause)
        self.publish: Callable[[object, float], None] = lambda _event, _ts: None

    @staticmethod
    def _rules(config: Config) -> tuple[dict[str, int], int, float]:
        return ({n: q.wrapup_s for n, q in config.queues.queues.items()},
                config.agents.ring_no_answer_pause_after,
                config.agents.logout_unreachable_after_s)

    def reconfigure(self, config: Config) -> None:
        """A reloaded configuration: agents, pause reasons, wrap-up times, rules."""
        self.config = config
        self.board.reconfigure(*self._rules(config))

    # -- events -------------------------------------------------------------------------

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        self._handle(self.board.apply(event, ts), ts)
        if isinstance(event, ev.QueueMemberPause) and not event.paused and self.forced:
            resumed = agent_of(event.interface)  # by whoever (Asterisk's CLI): nothing holds
            if resumed is not None:
                self._unforce(resumed)

    def begin_resync(self) -> None:
        self.board.begin_resync()

    def abort_resync(self) -> None:
        self.board.abort_resync()

    def end_resync(self, ts: float) -> None:
        self._handle(self.board.end_resync(ts), ts)
        for agent_id in list(self.forced):  # resumed while the engine was away
            status = self.board.status(agent_id)
            if status.queues and not status.paused:
                self._unforce(agent_id)

    def tick(self, now: float) -> None:
        """Timers: wrap-up periods that ended, softphones gone too long (once a second live;
        on the simulated clock in a replay)."""
        last = self._last_tick
        if last is None or now <= last:
            self._last_tick = now if last is None else last
            return
        self._handle(self.board.tick(now, last), now)
        self._last_tick = now

    def _handle(self, outcomes: list[Outcome], ts: float) -> None:
        for outcome in outcomes:
            if isinstance(outcome, StateChange):
                log.info("agent.state", ts=ts, agent=outcome.agent_id,
                         **{"from": outcome.before.value}, to=outcome.after.value,
                         reason=outcome.reason)
                self.since[outcome.agent_id] = ts
                self.publish(outcome, ts)
            elif isinstance(outcome, PhoneChange):
                log.info("agent.phone", ts=ts, agent=outcome.agent_id, phone=outcome.phone,
                         device=outcome.device)
                self.publish(outcome, ts)
            elif isinstance(outcome, PauseAgent):
                log.warning("agent.auto_pause", ts=ts, agent=outcome.agent_id,
                            reason=outcome.reason)
                self._spawn(self._send(actions.queue_pause(self.member(outcome.agent_id),
                                                           True, outcome.reason)))
            elif isinstance(outcome, LogoutAgent):
                log.warning("agent.auto_logout", ts=ts, agent=outcome.agent_id,
                            reason=outcome.reason)
                for queue in sorted(self.board.status(outcome.agent_id).queues):
                    self._spawn(self._send(actions.queue_remove(queue,
                                                                self.member(outcome.agent_id))))
                self.publish(outcome, ts)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(coro)

    async def _send(self, action: actions.AmiAction) -> None:
        await send_logged(self.send, action, "agent.action_failed")

    # -- commands (CLI and API) ---------------------------------------------------------

    def _agent(self, agent_id: str) -> Any:
        agent = self.config.agents.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(f"没有工号为 {agent_id!r} 的话务员：请核对工号（已配置："
                               f"{'、'.join(sorted(self.config.agents.agents)) or '无'}）")
        return agent

    def skills(self, agent_id: str) -> dict[str, int]:
        """Queue → penalty the agent answers with: what a supervisor set for the rest of the
        shift (queues still configured), else agents.yaml's."""
        agent = self._agent(agent_id)
        changed = self.shift_skills.get(agent_id)
        if changed is not None and changed.until <= self.clock():
            del self.shift_skills[agent_id]  # the shift is over
            changed = None
        if changed is not None:
            kept = {q: p for q, p in changed.penalties.items() if q in self.config.queues.queues}
            if kept:
                return kept
        return {queue: agent.penalty(queue) for queue in agent.skills}

    def member(self, agent_id: str) -> str:
        """The interface the agent is a queue member with: the device they logged in with
        (as Asterisk lists it, so it survives an engine restart); the desk softphone's when
        they are not logged in."""
        return self.board.status(agent_id).interface or interface(agent_id)

    @staticmethod
    def _interface(agent_id: str, device: str) -> str:
        if device not in DEVICES:
            raise CommandError(f"接听方式 {device!r} 无效：请选择 sip（桌面话机）或 webrtc"
                               f"（浏览器软电话）（可选：{'、'.join(DEVICES)}）")
        return agent_interface(agent_id, device)

    async def registered(self, agent_id: str, device: str = "sip") -> bool:
        """Whether the agent's softphone on ``device`` ("sip": the desk softphone, "webrtc":
        the browser's) is registered: its device state is not UNAVAILABLE."""
        wanted = self._interface(agent_id, device)
        reply = await self.send(actions.device_state_list())
        if not reply.success:
            raise AmiActionFailed(f"无法查询工号 {agent_id} 的话机是否已注册（{reply.message}）："
                                  "请稍后再试")
        states = [item.get("State") for item in reply.items
                  if item.name == "DeviceStateChange" and item.get("Device") == wanted]
        return bool(states) and states[-1] not in ("UNAVAILABLE", "INVALID", "UNKNOWN")

    async def _registered_soon(self, agent_id: str, device: str,
                               timeout_s: float = 3.0) -> bool:
        """Asterisk updates a device's state a moment after the REGISTER's 200 OK: a softphone
        that has just registered is given that moment before the login is refused."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not await self.registered(agent_id, device):
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def login(self, agent_id: str, device: str = "sip") -> dict[str, Any]:
        """Into the agent's queues, answering on ``device`` ("sip": the desk softphone,
        "webrtc": the browser's); logged in with the other one, they are moved over."""
        skills = self.skills(agent_id)
        wanted = self._interface(agent_id, device)
        if not await self._registered_soon(agent_id, device):
            raise AgentError(UNREGISTERED[device].format(
                agent=agent_id, endpoint=wanted.removeprefix("PJSIP/")))
        status = self.board.status(agent_id)
        if status.queues and status.interface and status.interface != wanted:
            await self.logout(agent_id)
        by, reason = self.forced.get(agent_id, ("", ""))
        for queue in sorted(skills):
            reply = await self.send(actions.queue_add(
                queue, wanted, agent_id, skills[queue], state_interface=wanted,
                paused=bool(by), reason=reason))
            if not reply.success and "Already there" not in reply.message:
                raise AmiActionFailed(f"工号 {agent_id} 签入队列 {queue} 未成功"
                                      f"（{reply.message}）：请稍后再试，或请班长查看")
        log.info("agent.login", agent=agent_id, device=device, queues=sorted(skills))
        await self._settle(lambda: set(skills) <= self.board.status(agent_id).queues)
        return self.describe(agent_id)

    async def logout(self, agent_id: str, *, by_supervisor: bool = False,
                     refuse_on_call: bool = False) -> dict[str, Any]:
        """Out of every queue; a supervisor's pause holds over the agent's own logout (it
        is back at their next login), and ends with a supervisor's. ``refuse_on_call``
        (a person's 签出 through the API): not while the agent is on a call — the call
        would go on with the agent signed out, and the supervisor could no longer listen,
        whisper or barge in."""
        agent = self._agent(agent_id)
        if refuse_on_call and self.board.state(agent_id, self.clock()) is AgentState.ON_CALL:
            raise AgentConflict(f"工号 {agent_id} 正在通话中，不能签出：请先结束通话，再签出")
        if by_supervisor:
            self._unforce(agent_id)
        queues = set(agent.skills) | set(self.skills(agent_id)) | \
            self.board.status(agent_id).queues
        member = self.member(agent_id)
        for queue in sorted(queues):
            await self.send(actions.queue_remove(queue, member))
        log.info("agent.logout", agent=agent_id)
        await self._settle(lambda: not self.board.status(agent_id).queues)
        return self.describe(agent_id)

    async def pause(self, agent_id: str, reason: str) -> dict[str, Any]:
        self._agent(agent_id)
        allowed = [*self.config.agents.pause_reasons, RING_NO_ANSWER_REASON]
        if reason not in allowed:
            raise AgentError(f"暂停原因 {reason!r} 无效：请从 {'、'.join(allowed)} 中选择")
        await self._member_action(agent_id, actions.queue_pause(self.member(agent_id), True,
                                                                reason))
        await self._settle(lambda: self.board.status(agent_id).paused)
        return self.describe(agent_id)

    async def force_pause(self, agent_id: str, reason: str, by: str) -> dict[str, Any]:
        """A supervisor's pause: any one-line reason (their words), shown as the pause
        reason; the agent cannot resume on their own (:meth:`unpause` ``own``)."""
        self._agent(agent_id)
        await self._member_action(agent_id, actions.queue_pause(self.member(agent_id), True,
                                                                reason))
        self.forced[agent_id] = (by, reason)
        self.publish(SupervisorPause(agent_id, (by, reason)), self.clock())
        await self._settle(lambda: self.board.status(agent_id).paused)
        return self.describe(agent_id)

    async def unpause(self, agent_id: str, *, own: bool = False) -> dict[str, Any]:
        """``own``: the agent asks for themselves — refused while a supervisor's pause holds."""
        self._agent(agent_id)
        by = self.forced.get(agent_id, ("", ""))[0] or None
        if by is not None and not self.board.status(agent_id).paused:
            self._unforce(agent_id)  # resumed meanwhile (Asterisk's own CLI)
            by = None
        if own and by is not None:
            raise AgentConflict(f"班长{self.person(by)}暂停了您的接听，只有班长可以恢复："
                                "如需就绪，请联系班长")
        await self._member_action(agent_id, actions.queue_pause(self.member(agent_id), False))
        self._unforce(agent_id)  # only once Asterisk took it: a refusal keeps the hold
        await self._settle(lambda: not self.board.status(agent_id).paused)
        return self.describe(agent_id)

    def _unforce(self, agent_id: str) -> None:
        if self.forced.pop(agent_id, None) is not None:
            self.publish(SupervisorPause(agent_id, None), self.clock())

    async def _member_action(self, agent_id: str, action: actions.AmiAction) -> None:
        if not self.board.status(agent_id).queues:
            raise AgentConflict(f"工号 {agent_id} 尚未签入：请先签入")
        reply = await self.send(action)
        if not reply.success:
            raise AmiActionFailed(f"工号 {agent_id} 的操作未成功"
                                  f"（{action.name}：{reply.message}）：请稍后再试")

    @staticmethod
    async def _settle(done: Callable[[], bool], timeout_s: float = 2.0) -> None:
        """Asterisk answers an action before it sends the event that shows its effect: wait
        (briefly) for the event, so the caller is shown the state that now holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not done() and loop.time() < deadline:  # noqa: ASYNC110 (a pure predicate)
            await asyncio.sleep(0.02)

    def person(self, user: str) -> str:
        """A supervisor as people call them (agents.yaml's name), else their user name."""
        found = self.config.agents.supervisors.get(user)
        return found.name if found is not None else user

    def describe(self, agent_id: str) -> dict[str, Any]:
        status = self.board.status(agent_id)
        agent = self.config.agents.agents.get(agent_id)
        now = self.clock()
        state = status.state(now)
        return {"agent": agent_id, "name": agent.name if agent else "",
                "state": state.value, "queues": sorted(status.queues),
                # whether the phone is registered (the device they logged in with; logged
                # out: either), and which device answers ("" logged out)
                "phone": status.phone,
                "device": ("webrtc" if status.interface.endswith(WEB_SUFFIX) else "sip")
                if status.queues and status.interface else "",
                # queue → penalty it answers with (a supervisor's change for the shift)
                "skills": self.skills(agent_id) if agent else {},
                "reason": status.pause_reason if status.paused else "",
                # a supervisor's pause: who (as people call them)
                "paused_by": self.person(self.forced[agent_id][0])
                if status.paused and agent_id in self.forced else "",
                "calls_taken": status.calls_taken,
                "since": self.since.get(agent_id),
                "wrapup_left_s": round(status.wrapup_until - now, 1)
                if state is AgentState.WRAPUP else None}

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.describe(a) for a in sorted(self.config.agents.agents)]
