"""A supervisor's control of the floor: force an agent's pause, unpause or logout (the agent's
desktop is told why), change an agent's queues for the rest of the shift, and take a waiting
caller out of a queue into another one.

Does the I/O: through the agent desk (memberships; :mod:`callcenter.agents.skills` keeps a
shift's change in its memory), the AMI (actions only from :mod:`callcenter.ami.actions`, via
:mod:`callcenter.supervision.dialplan`), and the desktops' :class:`AgentBus`. What only this
knows goes into the command's audit row (:func:`callcenter.audit.note`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from callcenter import audit
from callcenter.actors import Actor
from callcenter.agents.desk import AgentDesk
from callcenter.agents.skills import PENALTIES, ShiftSkills, change, describe, shift_end
from callcenter.ami import actions
from callcenter.ami import events as ev
from callcenter.ami.adapter import adapt
from callcenter.ami.client import ActionSender
from callcenter.calllog.writer import iso_ts
from callcenter.calls.state import CallTracker, channel_uniqueid
from callcenter.config.source import CONTROL
from callcenter.errors import (
    AgentError,
    AmiActionFailed,
    AmiNotConnected,
    CommandError,
    SupervisionConflict,
    SupervisionError,
)
from callcenter.supervision import dialplan

log = structlog.get_logger("supervision")

REASON_MAX = 60  # a pause reason Asterisk keeps and the wallboard shows
NUMBER_LIKE = re.compile(r"(?:\d[\s\-]?){7,}")  # 7 digits and more, any script, spaced or not
SETTLE_S = 2.0
POSITION = re.compile(r"[0-9]{1,4}")
Publish = Callable[[str, dict[str, Any]], None]  # AgentBus.publish: agent → event
# what the agent's desktop says, by what the supervisor did
TOLD = {"pause": "班长{by}已将您置为暂停", "unpause": "班长{by}已恢复您的接听",
        "logout": "班长{by}已将您签出", "skills": "班长{by}调整了您本班次的技能队列"}


def reason_of(value: str, *, required: bool) -> str:
    """A reason the agent is shown: one line of at most REASON_MAX characters, with no
    number a citizen's could be (it is on the wall display and in the logs)."""
    text = value.strip()
    if required and not text:
        raise CommandError("'reason' is missing: the agent is shown why")
    if CONTROL.search(text) or len(text) > REASON_MAX:
        raise CommandError(f"a reason is one line of at most {REASON_MAX} characters")
    if NUMBER_LIKE.search(text):
        raise CommandError("a reason carries no phone, ID or card number (the wallboard "
                           "shows it)")
    return text


def penalties_of(value: object, queues: Mapping[str, object]) -> dict[str, int]:
    """``{"q12345": 1, …}``: queues of queues.yaml → penalty 0 (expert) … 4 (basic)."""
    if not isinstance(value, dict) or not value:
        raise CommandError('"skills" must be an object like {"q12345": 0, "q12315": 2} '
                           "(queue → penalty 0-4)")
    out: dict[str, int] = {}
    for queue, penalty in value.items():
        if queue not in queues:
            raise CommandError(f"queue {str(queue)[:64]!r} is not in queues.yaml")
        if isinstance(penalty, bool) or not isinstance(penalty, int) or penalty not in PENALTIES:
            raise CommandError(f"the penalty of {queue} must be a whole number from 0 "
                               f"(expert) to {PENALTIES[-1]} (basic)")
        out[str(queue)] = penalty
    return out


class SupervisorControl:
    def __init__(self, agents: AgentDesk, send: ActionSender, tracker: CallTracker,
                 publish: Publish, clock: Callable[[], float]) -> None:
        self.agents = agents
        self.send = send
        self.tracker = tracker
        self.publish = publish
        self.clock = clock

    # -- the agent's state ----------------------------------------------------------------

    async def pause(self, agent: str, reason: str, actor: Actor) -> dict[str, Any]:
        reason = reason_of(reason, required=True)
        result = await self.agents.force_pause(agent, reason, actor.name)
        log.info("supervise.pause", agent=agent, by=actor.name)
        self._tell(agent, "pause", actor, reason)
        return result

    async def unpause(self, agent: str, reason: str, actor: Actor) -> dict[str, Any]:
        reason = reason_of(reason, required=False)
        result = await self.agents.unpause(agent)
        log.info("supervise.unpause", agent=agent, by=actor.name)
        self._tell(agent, "unpause", actor, reason)
        return result

    async def logout(self, agent: str, reason: str, actor: Actor) -> dict[str, Any]:
        reason = reason_of(reason, required=True)
        result = await self.agents.logout(agent, by_supervisor=True)
        log.info("supervise.logout", agent=agent, by=actor.name)
        self._tell(agent, "logout", actor, reason)
        return result

    def _tell(self, agent: str, action: str, actor: Actor, reason: str) -> None:
        said = TOLD[action].format(by=actor.name if actor.name != "root" else "")
        self.publish(agent, {"type": "supervisor", "action": action, "by": actor.name,
                             "reason": reason, "at": iso_ts(self.clock()),
                             "text": f"{said}：{reason}" if reason else said})

    # -- skills for the rest of the shift ----------------------------------------------------

    async def skills(self, agent: str, wanted: object, actor: Actor) -> dict[str, Any]:
        """The agent's queues (queue → penalty) from now to the end of their shift: joined,
        re-weighted and left at once if logged in, taken at their next login otherwise."""
        old = self.agents.skills(agent)  # UnknownAgent first
        config = self.agents.config
        new = penalties_of(wanted, config.queues.queues)
        status = self.agents.board.status(agent)
        if status.queues:
            try:
                await self._apply(agent, old, new)
            except (AgentError, AmiActionFailed, AmiNotConnected) as exc:
                back = await self._restore(agent, old, new)
                raise AgentError(f"the skills were not changed ({exc.message}); "
                                 + ("the agent's queues are as they were" if back else
                                    "their queues could not all be put back: see `agent "
                                    "list` and try again")) from None
        until = shift_end(config.agents.agents[agent].shifts, self.clock())
        self.agents.shift_skills[agent] = ShiftSkills(new, until, actor.name)
        shown = describe(old, new)
        audit.note(f"skills {shown} until {iso_ts(until)}")
        log.info("supervise.skills", agent=agent, by=actor.name, skills=new, until=until)
        self._tell(agent, "skills", actor, shown)
        return {**self.agents.describe(agent), "skills": new, "until": iso_ts(until)}

    async def _apply(self, agent: str, old: Mapping[str, int], new: Mapping[str, int]) -> None:
        diff = change(old, new)
        status = self.agents.board.status(agent)
        member = self.agents.member(agent)
        for queue, penalty in diff.join.items():
            reply = await self.send(actions.queue_add(
                queue, member, agent, penalty, state_interface=member, paused=status.paused,
                reason=status.pause_reason))
            if not reply.success and "Already there" not in reply.message:
                raise AgentError(f"could not add agent {agent} to {queue}: {reply.message}")
            if not reply.success:
                await self._member(actions.queue_penalty(member, penalty, queue), agent)
        for queue, penalty in diff.repenalize.items():
            await self._member(actions.queue_penalty(member, penalty, queue), agent)
        for queue in diff.leave:
            await self._member(actions.queue_remove(queue, member), agent)
        await self._settle(lambda: self.agents.board.status(agent).queues == set(new))

    async def _restore(self, agent: str, old: Mapping[str, int],
                       tried: Mapping[str, int]) -> bool:
        """After a change that failed half way: every queue of ``old`` back (at its
        penalty), the others of ``tried`` left. Never raises; True if all of it was done."""
        member = self.agents.member(agent)
        status = self.agents.board.status(agent)
        done = True
        for queue, penalty in old.items():
            for action in (actions.queue_add(queue, member, agent, penalty,
                                             state_interface=member, paused=status.paused,
                                             reason=status.pause_reason),
                           actions.queue_penalty(member, penalty, queue)):
                done &= await self._tried(action, ("Already there",))
        for queue in set(tried) - set(old):
            done &= await self._tried(actions.queue_remove(queue, member), ("Not there",))
        log.warning("supervise.skills_restored", agent=agent, complete=done)
        return done

    async def _tried(self, action: actions.AmiAction, fine: tuple[str, ...]) -> bool:
        try:
            reply = await self.send(action)
        except (AmiActionFailed, AmiNotConnected):
            return False
        return reply.success or any(m in reply.message for m in fine)

    async def _member(self, action: actions.AmiAction, agent: str) -> None:
        reply = await self.send(action)
        if not reply.success:
            raise AgentError(f"{action.name} for agent {agent} failed: {reply.message}")

    # -- a waiting caller into another queue ---------------------------------------------------

    async def move_caller(self, call_id: str, queue: str, position: str,
                          to_queue: str) -> dict[str, Any]:
        """A caller waiting in a queue — named by their call, or by queue and position (1:
        the first) — into ``to_queue``. If the Redirect fails, they stay where they are; if
        they cannot join ``to_queue``, the dialplan puts them back into their queue."""
        config = self.agents.config
        if to_queue not in config.queues.queues:
            raise CommandError(f"queue {to_queue[:64]!r} is not in queues.yaml")
        if not call_id and not (queue and position):
            raise CommandError("name the caller: 'call' (its id), or 'queue' and 'position'")
        entry = await self._waiting(call_id, queue, position)
        call = self.tracker.call_of(entry.uniqueid)
        if call is None or call.inbound_channel != entry.channel:
            raise SupervisionConflict("that place in the queue is not a caller who dialed in "
                                      "(a transfer's leg, say): it is not moved")
        if entry.queue == to_queue:
            raise SupervisionError(f"the caller is already waiting in {to_queue}")
        if not any(to_queue in a.queues for a in self.agents.board.agents.values()):
            raise SupervisionConflict(f"nobody is logged in to {to_queue}: the caller would "
                                      "not be answered there")
        found_id = call.call_id
        for action in dialplan.move_caller(entry.channel, entry.queue, to_queue):
            live = self.tracker.calls.get(found_id)
            # answered (its agent's leg up) or gone since QueueStatus listed them
            if live is None or channel_uniqueid(live, live.agent_channel) is not None:
                raise SupervisionConflict("the caller was answered (or hung up) meanwhile: "
                                          "not moved")
            try:
                reply = await self.send(action)
            except AmiActionFailed as exc:
                raise SupervisionError(f"the caller was not moved (still waiting in "
                                       f"{entry.queue}): {exc.message}") from None
            if not reply.success:
                raise SupervisionError(f"the caller was not moved (still waiting in "
                                       f"{entry.queue}): {action.name}: {reply.message}")
        audit.note(f"call {found_id} {entry.queue}→{to_queue}")
        log.info("supervise.caller_moved", call_id=found_id, queue=entry.queue, to=to_queue,
                 position=entry.position)
        return {"call_id": found_id, "from": entry.queue, "to": to_queue,
                "position": entry.position, "waited_s": entry.wait}

    async def _waiting(self, call_id: str, queue: str, position: str) -> ev.QueueEntryListed:
        """The caller's entry, as Asterisk lists the queue now (QueueStatus)."""
        if position and (not POSITION.fullmatch(position) or int(position) < 1):
            raise CommandError(f"position {position[:10]!r} is not 1, 2, 3 …")
        if queue and queue not in self.agents.config.queues.queues:
            raise CommandError(f"queue {queue[:64]!r} is not in queues.yaml")
        reply = await self.send(actions.queue_status(queue or None))
        if not reply.success:
            raise SupervisionError(f"cannot list the queues: {reply.message}")
        entries = [e for e in map(adapt, reply.items) if isinstance(e, ev.QueueEntryListed)]
        if call_id:
            call = self.tracker.calls.get(call_id)
            channels = set(call.channels) if call is not None else set()
            found = [e for e in entries if e.uniqueid in channels or e.linkedid == call_id]
            what = f"call {call_id[:40]}"
        else:
            found = [e for e in entries if e.queue == queue and e.position == int(position)]
            what = f"position {position} of {queue}"
        if not found:
            raise SupervisionConflict(f"no caller waiting at {what}" if not call_id else
                                      f"{what} is not waiting in a queue")
        return found[0]

    @staticmethod
    async def _settle(done: Callable[[], bool]) -> None:
        """Asterisk confirms memberships by events a moment after the actions: wait for
        them (briefly), so the answer shows the agent's queues as they now are."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_S
        while not done() and loop.time() < deadline:  # noqa: ASYNC110 (a pure predicate)
            await asyncio.sleep(0.02)
