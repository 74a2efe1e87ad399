"""The loop's pages follow it live: each step a ticket takes (:class:`~.loop.TicketStepped`,
heard on the hub) is told to the pages that show it — the centre's (every ticket) and those of
the units that lead or assist it — as a bare "this ticket moved" (its id and step, never its
content: a page reads that through the commands, as its person)."""

from __future__ import annotations

from callcenter.ticketflow.loop import TicketStepped
from callcenter.tickets.live import LiveBus

CENTRE = ""  # the key of the centre's pages (a unit's pages: the unit's id)
PER_KEY = 1000  # the pages of one unit, or of the whole centre
IN_TOTAL = 2000


class LoopBus(LiveBus[str]):
    noun = "unit"
    shown = "工单中心"

    def __init__(self) -> None:
        super().__init__(per_ticket=PER_KEY, in_total=IN_TOTAL)

    def stepped(self, event: TicketStepped, _ts: float) -> None:
        told = {"type": "stepped", "ticket": event.ticket, "step": event.step,
                "action": event.action}
        for key in dict.fromkeys((CENTRE, event.unit, *event.assists)):
            self.publish(key, told)
