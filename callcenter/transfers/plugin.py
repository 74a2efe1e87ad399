"""The transfers capability: three-way and blind transfers to sub-centers and expert seats
(the transfer desk reads the calls' events); its routes."""

from __future__ import annotations

from callcenter.capability import Capability
from callcenter.transfers.desk import TransferDesk
from callcenter.transfers.http import add_routes as routes


def capability(desk: TransferDesk) -> Capability:
    return Capability("transfers", events=[(desk.on_event, ())], routes=routes)
