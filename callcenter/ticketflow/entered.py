"""受理 of a request that came another way than a call (a web form, SMS, a letter, e-mail,
a call noted by hand): a ticket of its own, its text kept as the caller's words (masked like
a transcript), pre-filled as a call's ticket is, into the loop at the centre — with the unit
the dispatch catalogue suggests and the open tickets of the same matter, offered for 并单."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from callcenter.actors import Actor
from callcenter.clock import iso_seconds
from callcenter.config.loader import Config
from callcenter.config.models import Speaker
from callcenter.errors import CommandError
from callcenter.prefill import extract
from callcenter.prefill.phones import valid
from callcenter.routing.decide import Mode, Route, Router
from callcenter.ticketflow.commands import NewTicket, who_of
from callcenter.ticketflow.loop import TicketLoop
from callcenter.tickets.store import TicketOpen, Tickets, Utterance


def checked(args: NewTicket, router: Router, today: date) -> tuple[Route, str]:
    """The request's hotline (one of the catalogue's numbers) and the citizen's number as a
    callback would dial it ("" when none was given); a clear error for anything else."""
    route = router.decide(args.hotline, today)
    if not re.fullmatch(r"[0-9]{3,12}", args.hotline) or route.mode is Mode.UNKNOWN:
        raise CommandError(f"热线号码 {args.hotline[:20]!r} 不在热线目录中（如 12345、12315）")
    if not args.text.strip():
        raise CommandError("诉求内容不能为空")
    caller = ""
    if args.caller.strip():
        digits = re.sub(r"[\s\-()]", "", args.caller).removeprefix("+86")
        caller = (digits.isdigit() and valid(digits)) or ""
        if not caller:
            raise CommandError("来电号码须是有效的手机号或带区号的固定电话，如 13812345678、"
                               "0931-8123456")  # (what was given is not echoed)
    return route, caller


async def enter(loop: TicketLoop, tickets: Tickets, router: Router, config: Config,
                args: NewTicket, actor: Actor) -> dict[str, Any]:
    now = datetime.now(UTC)
    route, caller = checked(args, router, now.astimezone().date())
    ticket = await tickets.open(TicketOpen(
        f"{args.channel}-{uuid.uuid4().hex[:12]}", caller, args.hotline, route.number,
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
