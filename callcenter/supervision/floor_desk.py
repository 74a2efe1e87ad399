"""A supervisor's control of the floor: force an agent's pause, unpause or logout (the agent's
desktop is told why, by the supervisor's name), change an agent's queues for the rest of the
shift (told to the agent as queue titles and levels), list the callers waiting in a queue and
take one out of it into another queue where someone can answer them.

Refusals are in Chinese and say what to do (they reach the supervisor's page and the CLI).

Does the I/O: through the agent desk (memberships; :mod:`callcenter.agents.skills` keeps a
shift's change in its memory), the AMI (actions only from :mod:`callcenter.ami.actions`, via
:mod:`callcenter.supervision.ami_actions`), and the desktops' :class:`AgentBus`. What only this
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
from callcenter.calls.state import CallTracker, channel_uniqueid
from callcenter.clock import iso_ts
from callcenter.config.models import MAX_SKILL
from callcenter.config.source import CONTROL
from callcenter.errors import (
    AgentConflict,
    AgentError,
    AmiActionFailed,
    AmiNotConnected,
    CommandError,
    SupervisionConflict,
    UnknownAgent,
)
from callcenter.queues.watch import QueueWatch
from callcenter.supervision import ami_actions
from callcenter.supervision.floor import answering, person, targets, title, waiting_caller

log = structlog.get_logger("supervision")

REASON_MAX = 60  # a pause reason Asterisk keeps and the wallboard shows
NUMBER_LIKE = re.compile(r"(?:\d[\s\-]?){7,}")  # 7 digits and more, any script, spaced or not
SETTLE_S = 2.0
POSITION = re.compile(r"[0-9]{1,4}")
Publish = Callable[[str, dict[str, Any]], None]  # AgentBus.publish: agent → event
# what the agent's desktop says, by what the supervisor did
TOLD = {"pause": "班长{by}已将您置为暂停", "unpause": "班长{by}已恢复您的接听",
        "logout": "班长{by}已将您签出", "skills": "班长{by}调整了您本班次的技能队列"}
LEVEL_WORDS = {MAX_SKILL: "专家", 1: "基础"}


def level(penalty: int) -> str:
    """A penalty as the level a supervisor chose (5 专家 … 1 基础)."""
    shown = MAX_SKILL - penalty
    return f"{shown}级" + (f"（{LEVEL_WORDS[shown]}）" if shown in LEVEL_WORDS else "")


def skills_text(titles: Mapping[str, str], old: Mapping[str, int],
                new: Mapping[str, int]) -> str:
    """What changed in the agent's queues, for people: titles and levels, not ids and
    penalties."""
    said = []
    for queue in sorted({*old, *new}, key=lambda q: (q not in new, titles.get(q, q))):
        named = titles.get(queue, queue)
        if queue not in new:
            said.append(f"{named}：不再接听")
        elif queue not in old:
            said.append(f"{named}：新增，{level(new[queue])}")
        elif old[queue] != new[queue]:
            said.append(f"{named}：{level(old[queue])} → {level(new[queue])}")
    return "；".join(said) or "队列未变"


def reason_of(value: str, *, required: bool) -> str:
    """A reason the agent is shown: one line of at most REASON_MAX characters, with no
    number a citizen's could be (it is on the wall display and in the logs)."""
    text = value.strip()
    if required and not text:
        raise CommandError("请填写原因：话务员的工作台会显示它")
    if CONTROL.search(text) or len(text) > REASON_MAX:
        raise CommandError(f"原因请写成一行，不超过 {REASON_MAX} 个字")
    if NUMBER_LIKE.search(text):
        raise CommandError("原因中不能有电话、身份证或卡号（监控大屏会显示原因），请改写")
    return text


def penalties_of(value: object, queues: Mapping[str, object]) -> dict[str, int]:
    """``{"q12345": 1, …}``: queues of queues.yaml → penalty 0 (expert) … 4 (basic)."""
    if not isinstance(value, dict) or not value:
        raise CommandError('请至少保留一个队列：技能写作 {"q12345": 0, "q12315": 2}'
                           "（队列 → penalty 0 专家 … 4 基础）")
    out: dict[str, int] = {}
    for queue, penalty in value.items():
        if queue not in queues:
            raise CommandError(f"没有这个队列：{str(queue)[:64]!r}（见 queues.yaml）")
        if isinstance(penalty, bool) or not isinstance(penalty, int) or penalty not in PENALTIES:
            raise CommandError(f"{queue} 的 penalty 应为 0（专家）到 {PENALTIES[-1]}（基础）"
                               "的整数")
        out[str(queue)] = penalty
    return out


class FloorDesk:
    def __init__(self, agents: AgentDesk, send: ActionSender, tracker: CallTracker,
                 publish: Publish, clock: Callable[[], float],
                 watch: QueueWatch | None = None) -> None:
        self.agents = agents
        self.send = send
        self.tracker = tracker
        self.publish = publish
        self.clock = clock
        self.watch = watch  # since when callers wait (a move does not restart it)

    # -- the agent's state ----------------------------------------------------------------

    def _signed_in(self, agent: str, doing: str) -> None:
        """The agent exists and (``doing`` a pause or a resume) is signed in."""
        if agent not in self.agents.config.agents.agents:
            raise UnknownAgent(f"没有工号为 {agent[:20]} 的话务员（见 agents.yaml）")
        if doing and not self.agents.board.status(agent).queues:
            raise AgentConflict(f"话务员 {agent} 未签入，无法{doing}：请待其签入后再操作")

    async def pause(self, agent: str, reason: str, actor: Actor) -> dict[str, Any]:
        reason = reason_of(reason, required=True)
        self._signed_in(agent, "暂停")
        result = await self.agents.force_pause(agent, reason, actor.name)
        log.info("supervise.pause", agent=agent, by=actor.name)
        self._tell(agent, "pause", actor, reason)
        return result

    async def unpause(self, agent: str, reason: str, actor: Actor) -> dict[str, Any]:
        reason = reason_of(reason, required=False)
        self._signed_in(agent, "恢复接听")
        result = await self.agents.unpause(agent)
        log.info("supervise.unpause", agent=agent, by=actor.name)
        self._tell(agent, "unpause", actor, reason)
        return result

    async def logout(self, agent: str, reason: str, actor: Actor) -> dict[str, Any]:
        reason = reason_of(reason, required=True)
        self._signed_in(agent, "")
        result = await self.agents.logout(agent, by_supervisor=True)
        log.info("supervise.logout", agent=agent, by=actor.name)
        self._tell(agent, "logout", actor, reason)
        return result

    def _tell(self, agent: str, action: str, actor: Actor, reason: str) -> None:
        by = person(self.agents.config, actor.name) if actor.name != "root" else ""
        said = TOLD[action].format(by=by)
        self.publish(agent, {"type": "supervisor", "action": action, "by": actor.name,
                             "reason": reason, "at": iso_ts(self.clock()),
                             "text": f"{said}：{reason}" if reason else said})

    # -- skills for the rest of the shift ----------------------------------------------------

    async def skills(self, agent: str, wanted: object, actor: Actor) -> dict[str, Any]:
        """The agent's queues (queue → penalty) from now to the end of their shift: joined,
        re-weighted and left at once if logged in, taken at their next login otherwise."""
        self._signed_in(agent, "")
        old = self.agents.skills(agent)
        config = self.agents.config
        new = penalties_of(wanted, config.queues.queues)
        status = self.agents.board.status(agent)
        if status.queues:
            try:
                await self._apply(agent, old, new)
            except (AgentError, AmiActionFailed, AmiNotConnected) as exc:
                back = await self._restore(agent, old, new)
                raise AmiActionFailed(f"技能未调整（{exc.message}）；"
                                      + ("该话务员的队列保持原样，请稍后重试" if back else
                                         "部分队列未能恢复原样：请用 `agent list` 查看后重试")) \
                    from None
        until = shift_end(config.agents.agents[agent].shifts, self.clock())
        self.agents.shift_skills[agent] = ShiftSkills(new, until, actor.name)
        audit.note(f"skills {describe(old, new)} until {iso_ts(until)}")
        log.info("supervise.skills", agent=agent, by=actor.name, skills=new, until=until)
        titles = {q: spec.title for q, spec in config.queues.queues.items() if spec.title}
        self._tell(agent, "skills", actor, skills_text(titles, old, new))
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
                raise AmiActionFailed(f"无法将话务员 {agent} 加入"
                                      f"{title(self.agents.config, queue)}（{reply.message}）")
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
            raise AmiActionFailed(f"话务员 {agent} 的队列操作 {action.name} 未成功"
                                  f"（{reply.message}）")

    # -- a waiting caller into another queue ---------------------------------------------------

    def _desk_rows(self) -> dict[str, dict[str, Any]]:
        return {str(row["agent"]): row for row in self.agents.snapshot()}

    async def waiting(self, queue: str) -> dict[str, Any]:
        """The callers waiting in ``queue`` as Asterisk lists them (place, hotline dialed and
        how it reached 12345, since when, where from — never their number), and the queues
        they could be moved into (whether someone there can answer)."""
        config = self.agents.config
        if queue not in config.queues.queues:
            raise CommandError(f"没有这个队列：{queue[:64]!r}（见 queues.yaml）")
        reply = await self.send(actions.queue_status(queue))
        if not reply.success:
            raise AmiActionFailed(f"暂时无法读取排队情况（{reply.message}），请稍后重试")
        now = self.clock()
        callers = []
        for entry in sorted((e for e in map(adapt, reply.items)
                             if isinstance(e, ev.QueueEntryListed) and e.queue == queue),
                            key=lambda e: e.position):
            joined = self.watch.joined_at(queue, entry.uniqueid) if self.watch else None
            came = self.watch.came_from(queue, entry.uniqueid) if self.watch else None
            callers.append(waiting_caller(config, entry, self.tracker.call_of(entry.uniqueid),
                                          joined, came, now))
        return {"queue": queue, "title": title(config, queue), "now": round(now, 3),
                "callers": callers,
                "targets": targets(config, self.agents.board, self._desk_rows(), queue)}

    async def move_caller(self, call_id: str, queue: str, position: str,
                          to_queue: str) -> dict[str, Any]:
        """A caller waiting in a queue — named by their call, or by queue and position (1:
        the first) — into ``to_queue``. If the Redirect fails, they stay where they are; if
        they cannot join ``to_queue``, the dialplan puts them back into their queue."""
        config = self.agents.config
        if to_queue not in config.queues.queues:
            raise CommandError(f"没有这个队列：{to_queue[:64]!r}（见 queues.yaml）")
        if not call_id and not (queue and position):
            raise CommandError("请指明来电：call（来电编号），或 queue 与 position（排队位置）")
        entry = await self._waiting(call_id, queue, position)
        call = self.tracker.call_of(entry.uniqueid)
        if call is None or call.inbound_channel != entry.channel:
            raise SupervisionConflict("这个排队位置不是呼入的来电人（例如转接中的一方），"
                                      "不能调队")
        to_title = title(config, to_queue)
        if entry.queue == to_queue:
            raise SupervisionConflict(f"该来电已在{to_title}排队，请选择其他队列")
        signed_in, able = answering(to_queue, self.agents.board, self._desk_rows())
        if not able:
            raise SupervisionConflict(
                f"{to_title}" + ("无话务员签入" if not signed_in else
                                 "的话务员均暂停或软电话离线")
                + "：来电调过去无人接听，请选择其他队列")
        found_id = call.call_id
        for action in ami_actions.move_caller(entry.channel, entry.queue, to_queue):
            live = self.tracker.calls.get(found_id)
            # answered (its agent's leg up) or gone since QueueStatus listed them
            if live is None or channel_uniqueid(live, live.agent_channel) is not None:
                raise SupervisionConflict("该来电刚已被接听（或已挂机），未调队")
            from_title = title(config, entry.queue)
            try:
                reply = await self.send(action)
            except AmiActionFailed as exc:
                raise AmiActionFailed(f"未能调队，来电仍在{from_title}排队（{exc.message}），"
                                      "请稍后重试") from None
            if not reply.success:
                raise AmiActionFailed(f"未能调队，来电仍在{from_title}排队（{action.name}："
                                      f"{reply.message}），请稍后重试")
        audit.note(f"call {found_id} {entry.queue}→{to_queue}")
        log.info("supervise.caller_moved", call_id=found_id, queue=entry.queue, to=to_queue,
                 position=entry.position)
        joined = self.watch.joined_at(entry.queue, entry.uniqueid) if self.watch else None
        waited = self.clock() - joined if joined is not None else float(entry.wait)
        return {"call_id": found_id, "from": entry.queue, "to": to_queue,
                "from_title": title(config, entry.queue), "to_title": to_title,
                "position": entry.position, "waited_s": round(waited, 1)}

    async def _waiting(self, call_id: str, queue: str, position: str) -> ev.QueueEntryListed:
        """The caller's entry, as Asterisk lists the queue now (QueueStatus)."""
        if position and (not POSITION.fullmatch(position) or int(position) < 1):
            raise CommandError(f"排队位置 {position[:10]!r} 应为 1、2、3 …")
        if queue and queue not in self.agents.config.queues.queues:
            raise CommandError(f"没有这个队列：{queue[:64]!r}（见 queues.yaml）")
        reply = await self.send(actions.queue_status(queue or None))
        if not reply.success:
            raise AmiActionFailed(f"暂时无法读取排队情况（{reply.message}），请稍后重试")
        entries = [e for e in map(adapt, reply.items) if isinstance(e, ev.QueueEntryListed)]
        if call_id:
            call = self.tracker.calls.get(call_id)
            channels = set(call.channels) if call is not None else set()
            found = [e for e in entries if e.uniqueid in channels or e.linkedid == call_id]
        else:
            found = [e for e in entries if e.queue == queue and e.position == int(position)]
        if not found:
            raise SupervisionConflict(
                "该来电已不在排队（已接听、已挂机或已调走），请刷新后重试" if call_id else
                f"{title(self.agents.config, queue)}第 {position} 位已无来电等待，请刷新后重试")
        return found[0]

    @staticmethod
    async def _settle(done: Callable[[], bool]) -> None:
        """Asterisk confirms memberships by events a moment after the actions: wait for
        them (briefly), so the answer shows the agent's queues as they now are."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_S
        while not done() and loop.time() < deadline:  # noqa: ASYNC110 (a pure predicate)
            await asyncio.sleep(0.02)
