"""The commands of the agent desktop: what an agent's screen reads and does besides the
agent, transfer and ticket commands — the agent's own state and current call
(``agent.watch``), the caller's history (``ticket.history``, ``ticket.earlier``), and the
callback requests waiting to be worked (``callback.list``: a page, numbers masked;
``callback.take``: one request's number, for who takes it; ``callback.done``), and a call
whose browser leg a reload cut off handed back to its queue (``call.requeue``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import structlog

from callcenter import permissions
from callcenter.actors import Actor, Role
from callcenter.agents.commands import AgentOnly
from callcenter.agents.desk import AgentDesk
from callcenter.ami import actions
from callcenter.ami.client import ActionSender
from callcenter.arguments import Arguments, Id, Number
from callcenter.calls.state import LiveCall, channel_uniqueid
from callcenter.clock import iso_ts
from callcenter.commands import Handler, command
from callcenter.desktop import callbacks as requests
from callcenter.desktop.notifier import call_card
from callcenter.errors import (
    AgentConflict,
    AmiActionFailed,
    CallbackTaken,
    CommandError,
    Forbidden,
    ServiceUnavailable,
    UnknownAgent,
)
from callcenter.ports import CallbacksChanged
from callcenter.store.db import NoSuchRow, Store
from callcenter.tickets.store import Tickets
from callcenter.transfers.ami_actions import DEFAULT_BACK_QUEUE

log = structlog.get_logger("desktop")

HISTORY_DAYS = 90

REQUEUE_CONTEXT = "cc-requeue"  # the dialplan: back at the head of the queue, told to hold


class History(Arguments):
    ticket: Id
    """the current ticket"""
    days: Annotated[int, Number(3650)] = HISTORY_DAYS
    """how far back (an agent: at most 90)"""


class Earlier(Arguments):
    ticket: Id
    """the current ticket"""
    earlier: Id
    """one of the caller's earlier tickets"""


class CallbackPage(Arguments):
    page: Annotated[int, Number(100_000)] = 1


class CallbackOnly(Arguments):
    callback: Id
    """the callback request's id"""


def desktop_handlers(agents: AgentDesk, calls: Callable[[], list[LiveCall]],
                     store: Callable[[], Store | None], tickets: Callable[[], Tickets | None],
                     clock: Callable[[], datetime],
                     send: ActionSender | None = None,
                     publish: Callable[[object, float], None] = lambda _e, _ts: None
                     ) -> dict[str, Handler]:
    """``publish``: the hub, told when a callback was worked (ports.CallbacksChanged)."""

    def open_tickets() -> Tickets:
        found = tickets()
        if found is None:
            raise ServiceUnavailable("工单库尚未就绪：请稍后再试")
        return found

    def title(queue: str) -> str:
        found = agents.config.queues.queues.get(queue)
        return found.title if found is not None and found.title else queue

    @command(AgentOnly)
    async def watch(args: AgentOnly, _actor: Actor) -> Any:
        agent = args.agent
        now = clock().timestamp()
        current = next((c for c in calls() if c.agent == agent and c.agent_channel), None)
        if agent not in agents.config.agents.agents:
            raise UnknownAgent(f"没有工号为 {agent!r} 的话务员：请核对工号")
        rules = agents.config.agents
        return {**agents.describe(agent),
                "pause_reasons": list(rules.pause_reasons),
                # what the page tells the agent: signed out after this long offline (0:
                # never), paused after this many unanswered rings
                "offline_logout_s": rules.logout_unreachable_after_s,
                "ring_no_answer_limit": rules.ring_no_answer_pause_after,
                "call": call_card(current, current.queue, now, title) if current else None,
                "ticket": current.ticket_id if current else None}

    @command(History)
    async def history(args: History, actor: Actor) -> Any:
        store = open_tickets()
        ticket = await store.get(args.ticket)
        permissions.check_ticket(actor, ticket)
        # an agent sees the window of the centre's rules; a supervisor may look further back
        days = args.days
        if actor.role is Role.AGENT and days > HISTORY_DAYS:
            raise CommandError(f"days {str(days)[:20]!r} is not a number from 1 to "
                               f"{HISTORY_DAYS}")
        since = iso_ts((clock() - timedelta(days=days)).timestamp())
        earlier = await store.earlier(ticket, since)
        return {"ticket": ticket["id"], "days": days, "repeat": bool(earlier),
                "earlier": earlier}

    @command(Earlier)
    async def earlier(args: Earlier, actor: Actor) -> Any:
        """One of the caller's earlier tickets, opened from the current one: an agent may
        read it (only) through a ticket of their own call from the same number, opened
        before it and within the history window."""
        store = open_tickets()
        current = await store.get(args.ticket)
        permissions.check_ticket(actor, current)
        other = await store.get(args.earlier)
        since = iso_ts((clock() - timedelta(days=HISTORY_DAYS)).timestamp())
        if not current["caller"] or other["caller"] != current["caller"] or not (
                since <= other["opened_at"] < current["opened_at"]):
            raise Forbidden(f"工单 {other['id']} 不是工单 {current['id']} 的来电人在此前 "
                            f"{HISTORY_DAYS} 天内的来电：只能查看同一来电人的历史工单")
        agent = agents.config.agents.agents.get(str(other.get("agent") or ""))
        return {**other, "agent_name": agent.name if agent is not None else ""}

    def open_store() -> Store:
        found = store()
        if found is None:
            raise ServiceUnavailable("数据库尚未就绪：请稍后再试")
        return found

    def answered_by(actor: Actor) -> set[str] | None:
        """The queues whose requests an agent works (None: a supervisor's, every queue)."""
        if not actor.agent:
            return None
        agent = agents.config.agents.agents.get(actor.agent)  # None: removed by a reload
        return set(agent.skills) if agent is not None else set()

    def person(actor: Actor) -> str:
        """The actor as people call them (agents.yaml's name)."""
        if actor.agent and actor.agent in agents.config.agents.agents:
            return agents.config.agents.agents[actor.agent].name
        return agents.person(actor.name)

    @command(CallbackPage)
    async def callbacks(args: CallbackPage, actor: Actor) -> Any:
        """A page of the requests waiting (the centre's order), numbers masked."""
        chosen = agents.config.agents.callbacks
        page = args.page
        total, rows = await requests.page(open_store(), answered_by(actor), chosen.order,
                                          page, chosen.page_size)
        return {"total": total, "page": page, "page_size": chosen.page_size,
                "pages": max(1, -(-total // chosen.page_size)), "order": chosen.order.value,
                "requests": [requests.shown(r, actor, title) for r in rows]}

    async def mine(args: CallbackOnly, actor: Actor) -> tuple[Store, int, dict[str, Any]]:
        found = open_store()
        callback = args.callback
        row = await requests.open_request(found, callback)
        queues = answered_by(actor)
        if queues is not None and row["queue"] not in queues:
            raise Forbidden(f"回拨请求 {callback} 属于您未接听的队列（{title(row['queue'])}）："
                            "请处理本人队列的请求")
        return found, callback, row

    @command(CallbackOnly)
    async def callback_take(args: CallbackOnly, actor: Actor) -> Any:
        """The request is the actor's to call back: its full number, for them alone."""
        found, callback, _row = await mine(args, actor)
        await requests.take(found, callback, actor, person(actor),
                            iso_ts(clock().timestamp()))
        row = await requests.open_request(found, callback)
        return {**requests.shown(row, actor, title), "number": row["caller"]}

    @command(CallbackOnly)
    async def callback_done(args: CallbackOnly, actor: Actor) -> Any:
        found, callback, row = await mine(args, actor)
        if row["taken_by"] not in (None, actor.name) and actor.role is not Role.SUPERVISOR:
            raise CallbackTaken(f"这条待回拨已由{row['taken_name'] or row['taken_by']}领取，"
                                "由其标记已回拨")
        if not await found.callback_done(callback, iso_ts(clock().timestamp()), actor.name):
            raise NoSuchRow(f"没有待处理的回拨请求 {callback}（可能已回拨）：请刷新列表")
        publish(CallbacksChanged(), clock().timestamp())
        return {"callback": callback, "done": True}

    @command(AgentOnly)
    async def requeue(args: AgentOnly, _actor: Actor) -> Any:
        """The agent's call back to the head of its queue (``cc-requeue``: the caller is
        told to hold and served first): after a reload, a browser softphone's call has no
        sound any more and cannot be taken back by the new page, so the caller would wait
        in silence until they hung up. Their agent's dead leg ends with the bridge."""
        agent = args.agent
        call = next((c for c in calls() if c.agent == agent and c.agent_channel
                     and channel_uniqueid(c, c.inbound_channel) is not None), None)
        if call is None:
            raise AgentConflict(f"工号 {agent} 当前没有通话：无需转回队列")
        if send is None:
            raise ServiceUnavailable("电话系统尚未连接：请稍后再试，或请班长协助")
        back = call.queue or DEFAULT_BACK_QUEUE
        for action in (actions.set_var(call.inbound_channel, "CC_XFER_BACK", back),
                       actions.redirect(call.inbound_channel, REQUEUE_CONTEXT, "s")):
            reply = await send(action)
            if not reply.success:
                raise AmiActionFailed(f"未能把来电转回队列（{reply.message}）：请用转接，或请"
                                      "班长协助")
        log.info("call.requeued", call_id=call.call_id, agent=agent, queue=back)
        return {"call_id": call.call_id, "queue": back, "queue_title": title(back)}

    return {"agent.watch": watch, "call.requeue": requeue, "ticket.history": history,
            "ticket.earlier": earlier, "callback.list": callbacks,
            "callback.take": callback_take, "callback.done": callback_done}
