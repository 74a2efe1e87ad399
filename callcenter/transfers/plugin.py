"""The transfers capability: three-way and blind transfers to sub-centers and expert seats
(the transfer desk reads the calls' events; its commands are the engine's own set)."""

from __future__ import annotations

from callcenter.capability import Capability
from callcenter.transfers.desk import TransferDesk


def capability(desk: TransferDesk) -> Capability:
    return Capability("transfers", events=[(desk.on_event, ())])
