"""The commands on the knowledge base, a handler group of the one command layer
(:mod:`callcenter.commands`; roles in :mod:`callcenter.permissions`):

- ``knowledge.search`` {q, hotline, topic, limit}: articles by relevance (no q: every one);
- ``knowledge.get`` {article}: one article, with its Markdown;
- ``knowledge.suggest`` {ticket} — the ticket's pre-filled (or confirmed) topic, its line
  and its transcript so far; an agent only for the tickets of their own calls — or
  {topic, hotline, text} as given;
- ``knowledge.used`` {ticket, article}: the agent answered the ticket's caller directly from
  the article (a state change, audited; an agent on a ticket of their own call).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callcenter import permissions
from callcenter.actors import Actor
from callcenter.commands import Args, Handler, number, text
from callcenter.errors import CommandError, KnowledgeError, ServiceUnavailable
from callcenter.knowledge.base import KnowledgeBase
from callcenter.store.db import row_id
from callcenter.tickets.store import Tickets

MAX_LIMIT = 100


def limit_of(args: Args, default: int) -> int:
    try:
        return number(args, "limit", default, MAX_LIMIT)
    except CommandError as exc:  # the knowledge base's own error id, as documented
        raise KnowledgeError(exc.message) from None


def ticket_context(ticket: dict[str, Any]) -> tuple[str, str, str]:
    """(topic, hotline, transcript) of a ticket: the topic the agent confirmed, else the
    pre-filled one; the line the caller dialed; what was said so far, in order."""
    topic = ticket["confirmed"].get("topic") or ticket["prefill"].get("topic") or ""
    said = "。".join(u["text"] for u in ticket.get("transcript", []) if u.get("text"))
    return str(topic), str(ticket.get("hotline") or ""), said


def knowledge_handlers(base: KnowledgeBase,
                       tickets_of: Callable[[], Tickets | None]) -> dict[str, Handler]:
    def tickets() -> Tickets:
        found = tickets_of()
        if found is None:
            raise ServiceUnavailable("工单库尚未就绪：请稍后再试")
        return found

    async def own_ticket(args: Args, actor: Actor) -> dict[str, Any]:
        ticket = await tickets().get(row_id(text(args, "ticket")))
        permissions.check_ticket(actor, ticket)  # an agent: only their own calls' tickets
        return ticket

    async def search(args: Args, _actor: Actor) -> Any:
        return await base.search(text(args, "q", required=False),
                                 hotline=text(args, "hotline", required=False),
                                 topic=text(args, "topic", required=False),
                                 limit=limit_of(args, 10))

    async def get(args: Args, _actor: Actor) -> Any:
        return base.get(text(args, "article")).as_dict()

    async def suggest(args: Args, actor: Actor) -> Any:
        if args.get("ticket"):
            topic, hotline, said = ticket_context(await own_ticket(args, actor))
        else:
            topic, hotline, said = (text(args, key, required=False)
                                    for key in ("topic", "hotline", "text"))
        return {"topic": topic, "hotline": hotline,
                "articles": await base.suggest(topic, hotline, said, limit_of(args, 5))}

    async def used(args: Args, actor: Actor) -> Any:
        ticket = await own_ticket(args, actor)  # NoSuchRow, Forbidden before anything
        return await base.record_use(ticket["id"], text(args, "article"),
                                     actor.agent or str(ticket.get("agent") or ""), actor.name)

    return {"knowledge.search": search, "knowledge.get": get, "knowledge.suggest": suggest,
            "knowledge.used": used}
