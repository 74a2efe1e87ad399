"""What is kept of a transfer: its log lines (``transfer.*``), its rows in the store
(transfer, hand-off) and its messages on the ticket bus.

A store that fails is logged (``transfer.store_failed``), never raised: the call log keeps
the transfer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from callcenter.clock import iso_ts
from callcenter.transfers.model import Outcome, Phase, Transfer
from callcenter.transfers.outcomes import PhaseChanged
from callcenter.transfers.records import TransferRecords

log = structlog.get_logger("transfers")

Spawn = Callable[[Coroutine[Any, Any, Any]], object]


def bound(t: Transfer) -> contextlib.AbstractContextManager[Any]:
    """Log lines of this transfer carry its call and transfer ids."""
    return structlog.contextvars.bound_contextvars(call_id=t.call_id, transfer=t.id)


class TransferJournal:
    def __init__(self, records: Callable[[], TransferRecords | None],
                 ticket_content: Callable[[int], Awaitable[dict[str, Any]]] | None,
                 publish: Callable[[int, dict[str, Any]], None] | None, spawn: Spawn) -> None:
        self.records = records
        self.ticket_content = ticket_content
        self.publish = publish
        self.spawn = spawn

    async def started(self, t: Transfer) -> None:
        d = t.destination
        with bound(t):
            log.info("transfer.started", ts=t.started_at, agent=t.agent,
                     destination=d.number, name=d.name, kind=d.kind.value,
                     mode=t.mode.value, ticket=t.ticket_id)
        records = self.records()
        if records is not None:
            try:
                await records.started({
                    "id": t.id, "ticket_id": t.ticket_id, "call_id": t.call_id,
                    "agent": t.agent, "destination": d.number, "destination_name": d.name,
                    "kind": d.kind.value, "mode": t.mode.value,
                    "started_at": iso_ts(t.started_at)})
            except Exception as exc:  # the call log keeps the transfer if the database fails
                log.error("transfer.store_failed", transfer=t.id, error=repr(exc))
        self._publish(t, t.describe())

    def changed(self, c: PhaseChanged) -> None:
        t, ts = c.transfer, c.ts
        common = {"ts": ts, "agent": t.agent, "destination": t.destination.number,
                  "mode": t.mode.value}
        with bound(t):
            if c.phase is Phase.ANSWERED:
                log.info("transfer.answered", **common, ring_s=round(ts - t.started_at, 3))
                fields: dict[str, Any] = {"answered_at": iso_ts(ts)}
            elif c.phase is Phase.COMPLETED:
                log.info("transfer.completed", **common, by=c.by)
                fields = {"completed_at": iso_ts(ts), "outcome": Outcome.COMPLETED.value}
            else:
                outcome = c.outcome or Outcome.FAILED
                emit = log.warning if outcome is Outcome.FAILED else log.info
                emit(f"transfer.{outcome.value}", **common, reason=c.reason,
                     reason_text=c.reason_text)
                fields = {"completed_at": iso_ts(ts), "outcome": outcome.value,
                          "reason": c.reason}
        self.spawn(self._update(t, **fields))
        self._publish(t, c.view)

    def closed(self, t: Transfer, ts: float) -> None:
        self.spawn(self._update(t, ended_at=iso_ts(ts)))

    def handoff(self, t: Transfer, ts: float) -> None:
        self.spawn(self._handoff(t, ts))

    @staticmethod
    def caller_released(call_id: str, ts: float) -> None:
        log.info("transfer.caller_released", ts=ts, call_id=call_id, reason="agent_hung_up")

    def _publish(self, t: Transfer, view: dict[str, object]) -> None:
        if self.publish is not None and t.ticket_id is not None:
            self.publish(t.ticket_id, {"type": "transfer", **view})

    async def _update(self, t: Transfer, **fields: Any) -> None:
        records = self.records()
        if records is None:
            return
        try:
            await records.update(t.id, **fields)
        except Exception as exc:
            log.error("transfer.store_failed", transfer=t.id, error=repr(exc))

    async def _handoff(self, t: Transfer, ts: float) -> None:
        records = self.records()
        if records is None:
            return
        d = t.destination
        record: dict[str, Any] = {
            "transfer": t.id, "ticket": t.ticket_id, "call_id": t.call_id,
            "destination": {"number": d.number, "name": d.name, "units": d.units,
                            "kind": d.kind.value},
            "mode": t.mode.value, "agent": t.agent, "handed_over_at": iso_ts(ts)}
        if t.ticket_id is not None and self.ticket_content is not None:
            try:
                ticket = await self.ticket_content(t.ticket_id)
            except Exception as exc:
                log.error("transfer.store_failed", transfer=t.id, error=repr(exc))
                ticket = {}
            record.update({
                "caller": ticket.get("caller", ""), "dialed": ticket.get("dialed", ""),
                "origin_hotline": {"number": ticket.get("hotline", ""),
                                   "name": ticket.get("hotline_name", "")},
                "unit": ticket.get("unit", ""), "prefill": ticket.get("prefill", {}),
                "confirmed": ticket.get("confirmed", {}),
                "transcript": [{"speaker": u["speaker"], "text": u["text"]}
                               for u in ticket.get("transcript", [])]})
        try:
            handoff = await records.add_handoff(t.id, t.ticket_id, d.number, iso_ts(ts), record)
        except Exception as exc:
            log.error("transfer.store_failed", transfer=t.id, error=repr(exc))
            return
        with bound(t):
            log.info("transfer.handoff", handoff=handoff, ticket=t.ticket_id,
                     destination=d.number)
