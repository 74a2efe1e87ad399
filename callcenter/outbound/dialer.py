"""The dialer, progressive mode: when an agent of a task's queue is free and the limits allow
(outbound channels at once, new calls per second — outbound never takes an agent an inbound
caller is waiting for), it calls the citizen through the outbound trunk with the centre's
caller id; answered, the citizen hears a short prompt and waits at the head of the task's
queue, where the free agent gets the call.

How an attempt ended comes from AMI as typed events: the Originate's end
(``OriginateResponse``: answered, busy, no answer …, with the citizen's leg's hang-up cause
when it came first), the agent who took the call (``AgentAnswered``), the leg's hang-up.
Each goes through the pure state machine (:mod:`.state`) and into the store; each is an
``outbound.*`` line of the call log. The dialer reads a citizen's whole number only to dial
it, and every such read is an audit row."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

import structlog

from callcenter.actors import Actor, Role
from callcenter.ami import events as ev
from callcenter.ami.client import ActionSender
from callcenter.ami.effects import send_logged
from callcenter.audit import AuditEntry, AuditTrail
from callcenter.calls.facts import CallFact
from callcenter.calls.state import AgentAnswered
from callcenter.clock import iso_ts
from callcenter.config.models import OutboundSettings
from callcenter.core import CallCenterCore, local_date
from callcenter.errors import CallCenterError
from callcenter.outbound import ami_actions
from callcenter.outbound import state as s
from callcenter.outbound.facts import AttemptEnded, Bridged, Dialed, TaskClosed, TaskDeferred
from callcenter.outbound.state import Closed, Outcome, Rules, Task
from callcenter.outbound.store import TaskStore

log = structlog.get_logger("outbound")

DIALER = Actor("dialer", "engine", role=Role.ROOT)
NO_ANSWER_GRACE_S = 30  # an Originate Asterisk never reported on: failed after ring_s + this
CAUSE_WAIT_S = 2.0  # a failed Originate's leg's hang-up (its cause) is awaited this long
BUSY, NO_ANSWER = 5, 3  # OriginateResponse reasons that say it all


@dataclass(slots=True)
class Leg:
    """An outbound call of the dialer's, while its channel lives."""

    task: int
    attempt: int
    queue: str
    started_at: float
    number: str = ""  # the citizen's (in memory while the call lives: the agent's call card)
    dialed: str = ""  # the number the citizen had dialed (the route the agent's ticket takes)
    missed_call: str = ""  # the missed call's id (the report's time to callback)
    cause: int = 0  # the citizen's leg's hang-up cause, if it came before the end
    # the Originate's failure reason while its cause is awaited (the leg's hang-up says
    # busy or no answer when the reason does not), and when it came
    reason: int | None = None
    reason_at: float = 0.0
    answered: bool = False
    ended: bool = False  # its attempt has an outcome
    agent: str = ""


class Dialer:
    def __init__(self, settings: Callable[[], OutboundSettings], send: ActionSender,
                 core: CallCenterCore, decided: Callable[[CallFact, float], None],
                 audit: Callable[[], AuditTrail | None],
                 spawn: Callable[[Coroutine[Any, Any, Any]], object],
                 remember: Callable[[str], None] = lambda _number: None) -> None:
        """``remember``: the call log's masker is told a number before it is dialed."""
        self._settings = settings
        self._remember = remember
        self._spawn = spawn
        self._send = send
        self._core = core
        self._decided = decided
        self._audit = audit
        self.tasks: TaskStore | None = None
        self.legs: dict[str, Leg] = {}  # channel id → leg
        self._last_dial = float("-inf")

    # -- the limits ----------------------------------------------------------------------

    def agent_free(self, queue: str, now: float) -> bool:
        """An agent of ``queue`` takes calls now beyond those its waiting callers and the
        dialer's unanswered callbacks for it will take."""
        board = self._core.agent_desk.board
        free = sum(a.takes_calls(now) for a in board.agents.values() if queue in a.queues)
        figures = self._core.queue_watch.figures.get(queue)
        waiting = len(figures.waiting) if figures is not None else 0
        pending = sum(1 for leg in self.legs.values() if leg.queue == queue and not leg.agent)
        return free > waiting + pending

    def _may_dial(self, settings: OutboundSettings, now: float) -> bool:
        return (settings.enabled and len(self.legs) < settings.max_channels
                and now - self._last_dial >= 1 / settings.attempts_per_second)

    # -- one pass ------------------------------------------------------------------------

    async def work(self, now: float) -> None:
        """Defer due tasks in quiet hours; close duplicates; dial at most one task."""
        tasks, settings = self.tasks, self._settings()
        if tasks is None or not settings.enabled:
            return
        rules = Rules.of(settings)
        self._forget_stale(now, settings)
        for task in await tasks.due(now, limit=50):
            if rules.quiet(now):
                task = await tasks.step(task, *s.quiet_hours(task, now, rules))
                self._decided(TaskDeferred(f"task-{task.id}", task.id, task.next_at), now)
                continue
            if await tasks.open_before(task):
                await tasks.step(task, *s.closed(task, Closed.DUPLICATE, now))
                self._decided(TaskClosed(f"task-{task.id}", task.id, Closed.DUPLICATE.value),
                              now)
                continue
            if self._may_dial(settings, now) and self.agent_free(task.queue, now):
                await self._dial(tasks, task, settings, rules, now)

    async def _dial(self, tasks: TaskStore, task: Task, settings: OutboundSettings,
                    rules: Rules, now: float) -> None:
        self._last_dial = now
        attempt = task.attempts + 1
        channel = ami_actions.channel_id(task.id, attempt)
        number, dialed, missed_call = await tasks.number(task.id)
        self._remember(number)  # before any frame can show it
        await self._audited(task.id, now)
        try:
            action = ami_actions.call_citizen(
                number, task=task.id, attempt=attempt, queue=task.queue,
                caller_id=settings.caller_id, ring_s=settings.ring_s,
                queue_wait_s=max(settings.ring_s, 60))
        except CallCenterError:  # a number that is none: failed, never sent
            task = await tasks.step(task, *s.dialed(task, now, rules), attempt=(channel, now))
            leg = Leg(task.id, attempt, task.queue, now, ended=True)
            await self._record(channel, leg, Outcome.FAILED, 0, now)
            return
        task = await tasks.step(task, *s.dialed(task, now, rules), attempt=(channel, now))
        leg = self.legs[channel] = Leg(task.id, attempt, task.queue, now, number, dialed,
                                       missed_call)
        self._decided(Dialed(channel, task.id, attempt, task.queue, task.hotline, missed_call),
                      now)
        if not await send_logged(self._send, action, "outbound.originate_failed") \
                and not leg.ended:
            self._end(channel, leg, Outcome.FAILED, 0, now)

    async def _audited(self, task: int, now: float) -> None:
        audit = self._audit()
        if audit is not None:
            await audit.record(AuditEntry.of(DIALER, iso_ts(now), "callback.dial",
                                             f"callback {task}", "ok", "号码用于回拨"))

    # -- what Asterisk reports -----------------------------------------------------------

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        """The Originate's end and the citizen's leg's hang-up (of the dialer's legs)."""
        if isinstance(event, ev.Hangup):
            leg = self.legs.get(event.uniqueid)
            if leg is None:
                return
            leg.cause = event.cause
            if leg.ended:
                self.legs.pop(event.uniqueid, None)
            elif leg.reason is not None:  # the Originate failed: now its cause is known
                outcome = s.outcome_of_cause(event.cause) or s.outcome_of(leg.reason)
                self._end(event.uniqueid, leg, outcome, event.cause, ts)
        elif isinstance(event, ev.OriginateResponse):
            leg = self.legs.get(event.uniqueid)
            if leg is None or leg.ended:
                return
            if event.success:
                leg.answered = True
                self._on_record(event.uniqueid, leg, ts)
                self._end(event.uniqueid, leg, Outcome.REACHED, 0, ts)
            elif leg.cause:
                outcome = s.outcome_of_cause(leg.cause) or s.outcome_of(event.reason)
                self._end(event.uniqueid, leg, outcome, leg.cause, ts)
            elif event.reason in (BUSY, NO_ANSWER):
                self._end(event.uniqueid, leg, s.outcome_of(event.reason), 0, ts)
            else:  # (a 486 may come as a hang-up with cause 17 and a reason that says less)
                leg.reason, leg.reason_at = event.reason, ts

    def _on_record(self, channel: str, leg: Leg, ts: float) -> None:
        """The answered citizen's call, on its record, as the agent will see it: their
        number (not the centre's caller id) and the route of the number they had dialed."""
        call = self._core.tracker.calls.get(channel)
        if call is None:
            return
        call.caller_num = leg.number
        if leg.dialed:
            call.dialed = leg.dialed
            route = self._core.router.decide(leg.dialed, local_date(ts))
            self._core.route_decided(channel, route, ts, source="outbound")

    def on_answered(self, event: AgentAnswered, ts: float) -> None:
        leg = self.legs.get(event.call_id)
        if leg is None or leg.agent or self.tasks is None:
            return
        leg.agent = event.agent_id or event.member
        self._decided(Bridged(event.call_id, leg.task, leg.agent, event.queue), ts)
        # (the attempt's row only: the task was reached when the citizen answered)
        self._spawn(self.tasks.attempt_agent(event.call_id, leg.agent))

    def _end(self, channel: str, leg: Leg, outcome: Outcome, cause: int, at: float) -> None:
        """The attempt has its outcome: a leg that did not answer stops holding a channel
        (an answered one holds it until it hangs up)."""
        leg.ended = True
        if outcome is not Outcome.REACHED:
            self.legs.pop(channel, None)
        self._spawn(self._record(channel, leg, outcome, cause, at))

    async def _record(self, channel: str, leg: Leg, outcome: Outcome, cause: int,
                      at: float) -> None:
        tasks = self.tasks
        if tasks is None:
            return
        task = await tasks.need(leg.task)
        rules = Rules.of(self._settings())
        task = await tasks.step(task, *s.ended(task, outcome, at, rules),
                                attempt_end=(outcome.value, cause or None))
        self._decided(AttemptEnded(channel, task.id, leg.attempt, outcome.value, cause,
                                   task.state.value, leg.missed_call), at)

    def _forget_stale(self, now: float, settings: OutboundSettings) -> None:
        """A leg Asterisk never reported on (AMI lost meanwhile) stops holding a channel."""
        limit = settings.ring_s + NO_ANSWER_GRACE_S
        for channel, leg in list(self.legs.items()):
            if leg.reason is not None and not leg.ended and now - leg.reason_at > CAUSE_WAIT_S:
                self._end(channel, leg, s.outcome_of(leg.reason), 0, now)  # no hang-up came
                continue
            if not leg.answered and now - leg.started_at > limit:
                log.warning("outbound.leg_lost", task=leg.task, attempt=leg.attempt)
                self.legs.pop(channel)
                if not leg.ended:
                    self._end(channel, leg, Outcome.FAILED, 0, now)

    def resynced(self, listed: Iterable[str], now: float) -> None:
        """After an AMI reconnect, the channels Asterisk lists (their uniqueids): a leg that
        is gone hung up while AMI was away (an unanswered one's attempt failed)."""
        alive = set(listed)
        for channel, leg in list(self.legs.items()):
            if channel in alive:
                continue
            self.legs.pop(channel)
            if not leg.ended:
                self._end(channel, leg, Outcome.FAILED, leg.cause, now)

    async def stop(self, now: float) -> None:
        """The engine stops: a citizen's phone still ringing is hung up, its attempt
        cancelled (an answered one stays with the agent or in the queue: the dialplan
        keeps it)."""
        for channel, leg in list(self.legs.items()):
            if leg.answered or leg.ended:
                continue
            await send_logged(self._send, ami_actions.hang_up(channel),
                              "outbound.hangup_failed")
            leg.ended = True
            self.legs.pop(channel, None)
            await self._record(channel, leg, Outcome.CANCELLED, 0, now)

    async def recover(self, now: float) -> None:
        """At start: a task left dialing by an engine that stopped ends its attempt failed."""
        tasks = self.tasks
        if tasks is None:
            return
        for task in await tasks.dialing():
            leg = Leg(task.id, task.attempts, task.queue, now, ended=True)
            await self._record(ami_actions.channel_id(task.id, task.attempts), leg,
                               Outcome.FAILED, 0, now)
