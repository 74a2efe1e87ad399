"""受理 of a request that came another way than a call (a web form, SMS, a letter, e-mail,
a call noted by hand): a ticket of its own, its text kept as the caller's words (masked like
a transcript), pre-filled as a call's ticket is, into the loop at the centre — with the unit
the dispatch catalogue suggests and the open tickets of the same matter, offered for 并单."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from callcenter.actors import Actor
from callcenter.clock import iso_seconds
from callcenter.config.loader import Config
from callcenter.config.models import Speaker
from callcenter.prefill import extract
from callcenter.routing.decide import Router
from callcenter.ticketflow.commands import NewTicket, who_of
from callcenter.ticketflow.loop import TicketLoop
from callcenter.tickets.store import TicketOpen, Tickets, Utterance


async def enter(loop: TicketLoop, tickets: Tickets, router: Router, config: Config,
                args: NewTicket, actor: Actor) -> dict[str, Any]:
    now = datetime.now(UTC)
    route = router.decide(args.hotline, now.astimezone().date())
    ticket = await tickets.open(TicketOpen(
        f"{args.channel}-{uuid.uuid4().hex[:12]}", args.caller, args.hotline, route.number,
        route.hotline, route.unit, "", actor.agent or actor.name, iso_seconds(now)))
    await tickets.add_utterance(ticket, Utterance(Speaker.CALLER, 0.0, 0.0, args.text,
                                                  iso_seconds(now)))
    fields = (await asyncio.to_thread(extract, [args.text], config.prefill)).as_dict()
    await tickets.set_prefill(ticket, fields)
    flow = await loop.accept(ticket, who_of(actor), args.channel)
    place = fields.get("place") or {}
    found = loop.config().units.suggest({**fields, "city": place.get("city"),
                                         "county": place.get("county")})
    return {**loop.shown(flow),
            "suggested": None if found is None else {"unit": found.unit,
                                                     "assists": list(found.assists)},
            "similar": await loop.similar(ticket)}  # 并单 offered at once
