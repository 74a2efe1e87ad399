"""What the loop's pages read besides the lists (:mod:`.commands`): a ticket's card (what the
citizen asked, every phone number masked; where the catalogue would send it), the working-day
calendar's gaps (years counted Monday to Friday, for the back office's banner), and whether a
page may follow the loop live (:mod:`.live`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from callcenter.actors import Actor, Role
from callcenter.arguments import NoArguments
from callcenter.commands import Handler, command
from callcenter.permissions import Rule
from callcenter.ticketflow.commands import ANYONE, CENTRE, TicketOnly, visible
from callcenter.ticketflow.loop import TicketLoop

AHEAD_DAYS = 31  # the calendar is asked about today and this far ahead: the deadlines made soon


def page_handlers(loop: Callable[[], TicketLoop]) -> dict[str, Handler]:
    @command(TicketOnly, Rule(ANYONE))
    async def content(args: TicketOnly, actor: Actor) -> Any:
        flow = await loop().flow(args.ticket)
        visible(flow, actor)
        found = await loop().card(args.ticket)
        if actor.role is Role.UNIT:
            found["suggested"] = None  # the centre's to weigh, not the unit's
        return {**loop().shown(flow), "card": found}

    @command(NoArguments, Rule(CENTRE | {Role.ADMIN}))
    async def calendar(_args: NoArguments, _actor: Actor) -> Any:
        days = loop().config().rules.calendar
        today = date.fromtimestamp(loop().clock())
        for day in (today, today + timedelta(days=AHEAD_DAYS)):
            days.is_workday(day)  # a year without data is noted as guessed
        known = sorted(days.years)
        return {"guessed_years": sorted(days.guessed),
                "known_from": known[0] if known else None,
                "known_until": known[-1] if known else None}

    @command(NoArguments, Rule(ANYONE))
    async def watch(_args: NoArguments, actor: Actor) -> Any:
        """Whose steps a page hears: a unit's user their unit's, the centre every one."""
        return {"unit": actor.unit if actor.role is Role.UNIT else ""}

    return {"ticket.content": content, "workdays.calendar": calendar, "loop.watch": watch}
