"""The tickets capability: a ticket opened for each answered call, pre-filled from what the
caller says, closed at the hang-up (the ticket desk)."""

from __future__ import annotations

from callcenter.capability import Capability
from callcenter.tickets.desk import TicketDesk


def capability(desk: TicketDesk) -> Capability:
    return Capability("tickets", events=[(desk.on_event, ())], reconfigure=desk.reconfigure)
