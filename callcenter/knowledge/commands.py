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
from typing import Annotated, Any

from callcenter import permissions
from callcenter.actors import Actor
from callcenter.arguments import Arguments, Id, Number, OptionalId, Text
from callcenter.commands import Handler, command
from callcenter.errors import KnowledgeError, ServiceUnavailable
from callcenter.knowledge.base import KnowledgeBase
from callcenter.tickets.store import Tickets

MAX_LIMIT = 100
# the knowledge base's own error id for a limit, as documented
Limit = Annotated[int, Number(MAX_LIMIT, KnowledgeError)]


class Search(Arguments):
    q: Text = ""
    """the question (none: every article)"""
    hotline: Text = ""
    """only articles for callers of this number"""
    topic: Text = ""
    limit: Limit = 10


class ArticleOnly(Arguments):
    article: Text
    """the article's id (its file name)"""


class Suggest(Arguments):
    ticket: OptionalId = None
    """the call's ticket (its topic, line and transcript so far); else topic, hotline, text"""
    topic: Text = ""
    hotline: Text = ""
    text: Text = ""
    limit: Limit = 5


class Used(ArticleOnly):
    ticket: Id
    """the ticket of the call the agent answered from the article"""


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

    async def own_ticket(ticket_id: int, actor: Actor) -> dict[str, Any]:
        ticket = await tickets().get(ticket_id)
        permissions.check_ticket(actor, ticket)  # an agent: only their own calls' tickets
        return ticket

    @command(Search)
    async def search(args: Search, _actor: Actor) -> Any:
        return await base.search(args.q, hotline=args.hotline, topic=args.topic,
                                 limit=args.limit)

    @command(ArticleOnly)
    async def get(args: ArticleOnly, _actor: Actor) -> Any:
        return base.get(args.article).as_dict()

    @command(Suggest)
    async def suggest(args: Suggest, actor: Actor) -> Any:
        if args.ticket is not None:
            topic, hotline, said = ticket_context(await own_ticket(args.ticket, actor))
        else:
            topic, hotline, said = args.topic, args.hotline, args.text
        return {"topic": topic, "hotline": hotline,
                "articles": await base.suggest(topic, hotline, said, args.limit)}

    @command(Used)
    async def used(args: Used, actor: Actor) -> Any:
        ticket = await own_ticket(args.ticket, actor)  # NoSuchRow, Forbidden before anything
        return await base.record_use(ticket["id"], args.article,
                                     actor.agent or str(ticket.get("agent") or ""), actor.name)

    return {"knowledge.search": search, "knowledge.get": get, "knowledge.suggest": suggest,
            "knowledge.used": used}
