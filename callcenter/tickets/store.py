"""Tickets in the embedded store: one per answered call, with its transcript.

The caller's full number is kept here (the call log masks it). Transcript text and
pre-filled fields are stored masked (ID-card and bank-card numbers); only the fields the agent
confirms are kept as the agent typed them. A number read out across several utterances is
masked in all of them: adding an utterance rewrites the speaker's earlier ones it continues.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from callcenter.config.models import Speaker
from callcenter.prefill.masking import EARLIER, mask_across, mask_sensitive
from callcenter.store.db import NoSuchRow, Store, StoreError


@dataclass(frozen=True, slots=True)
class TicketOpen:
    call_id: str
    caller: str
    dialed: str
    hotline: str
    hotline_name: str
    unit: str
    queue: str
    agent: str
    opened_at: str


@dataclass(frozen=True, slots=True)
class Utterance:
    speaker: str  # Speaker.CALLER or Speaker.AGENT
    start_s: float  # seconds from the answer
    end_s: float
    text: str
    at: str  # wall-clock time (ISO 8601) of the result


@dataclass(frozen=True, slots=True)
class Added:
    """An utterance as :meth:`Tickets.add_utterance` stored it: its text (masked), and the
    earlier utterances of its speaker whose text it masked further (a number read out across
    them), as they are stored now."""

    text: str
    rewritten: tuple[Utterance, ...] = ()


class Tickets:
    def __init__(self, store: Store) -> None:
        self._db = store.db
        # one add_utterance at a time: each reads what the one before it wrote
        self._adding = asyncio.Lock()

    async def open(self, ticket: TicketOpen) -> int:
        """The ticket of ``ticket.call_id``: created, or the existing one (a call is answered
        once; a retried AgentConnect must not make a second ticket)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO ticket (call_id, caller, dialed, hotline, hotline_name, unit,"
            " queue, agent, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ticket.call_id, ticket.caller, ticket.dialed, ticket.hotline, ticket.hotline_name,
             ticket.unit, ticket.queue, ticket.agent, ticket.opened_at))
        await self._db.commit()
        found = await self.id_for_call(ticket.call_id)
        assert found is not None
        return found

    async def id_for_call(self, call_id: str) -> int | None:
        async with self._db.execute("SELECT id FROM ticket WHERE call_id = ?",
                                    (call_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def add_utterance(self, ticket_id: int, utterance: Utterance) -> Added:
        """Stores ``utterance`` masked, with the speaker's last utterances of the ticket (in
        the order they were added) as the context of a number read out in pieces: those it
        continues are rewritten in the same transaction (:func:`mask_across`)."""
        if utterance.speaker not in set(Speaker):
            raise StoreError(f"unknown speaker {utterance.speaker!r}")
        async with self._adding:
            async with self._db.execute(
                    "SELECT id, start_s, end_s, text, at FROM utterance "
                    "WHERE ticket_id = ? AND speaker = ? ORDER BY id DESC LIMIT ?",
                    (ticket_id, utterance.speaker, EARLIER)) as cursor:
                rows = list(await cursor.fetchall())[::-1]
            earlier, text = mask_across([row["text"] for row in rows], utterance.text)
            changed = [(row, new) for row, new in zip(rows, earlier, strict=True)
                       if new != row["text"]]
            # one transaction; the rewrite first: whatever else commits on this connection
            # in between, the store never holds the new piece beside an old one in clear
            if changed:
                await self._db.executemany("UPDATE utterance SET text = ? WHERE id = ?",
                                           [(new, row["id"]) for row, new in changed])
            await self._db.execute(
                "INSERT INTO utterance (ticket_id, speaker, start_s, end_s, text, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (ticket_id, utterance.speaker, utterance.start_s, utterance.end_s, text,
                 utterance.at))
            await self._db.commit()
        return Added(text, tuple(Utterance(utterance.speaker, row["start_s"], row["end_s"],
                                           new, row["at"]) for row, new in changed))

    async def set_prefill(self, ticket_id: int, fields: dict[str, Any]) -> None:
        text = mask_sensitive(json.dumps(fields, ensure_ascii=False))
        await self._db.execute("UPDATE ticket SET prefill = ? WHERE id = ?", (text, ticket_id))
        await self._db.commit()

    async def confirm(self, ticket_id: int, fields: dict[str, Any]) -> None:
        """Fields the agent confirmed (kept as given: the agent is responsible for them)."""
        current = await self.get(ticket_id)
        merged = {**current["confirmed"], **fields}
        await self._db.execute("UPDATE ticket SET confirmed = ? WHERE id = ?",
                               (json.dumps(merged, ensure_ascii=False), ticket_id))
        await self._db.commit()

    async def close(self, call_id: str, closed_at: str) -> None:
        await self._db.execute(
            "UPDATE ticket SET closed_at = ? WHERE call_id = ? AND closed_at IS NULL",
            (closed_at, call_id))
        await self._db.commit()

    async def get(self, ticket_id: int) -> dict[str, Any]:
        async with self._db.execute("SELECT * FROM ticket WHERE id = ?",
                                    (ticket_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise NoSuchRow(f"没有工单 {ticket_id}：请核对工单号")
        ticket = dict(row)
        ticket["prefill"] = json.loads(ticket["prefill"])
        ticket["confirmed"] = json.loads(ticket["confirmed"])
        async with self._db.execute(
                "SELECT speaker, start_s, end_s, text, at FROM utterance WHERE ticket_id = ? "
                "ORDER BY start_s, id", (ticket_id,)) as cursor:
            ticket["transcript"] = [dict(r) for r in await cursor.fetchall()]
        async with self._db.execute(
                "SELECT id, destination, destination_name, kind, mode, agent, started_at, "
                "answered_at, completed_at, ended_at, outcome, reason FROM transfer "
                "WHERE ticket_id = ? ORDER BY started_at", (ticket_id,)) as cursor:
            ticket["transfers"] = [dict(r) for r in await cursor.fetchall()]
        async with self._db.execute(
                "SELECT id, transfer_id, destination, created_at FROM handoff "
                "WHERE ticket_id = ? ORDER BY id", (ticket_id,)) as cursor:
            ticket["handoffs"] = [dict(r) for r in await cursor.fetchall()]
        return ticket

    async def earlier(self, ticket: dict[str, Any], since: str,
                      limit: int = 20) -> list[dict[str, Any]]:
        """The caller's tickets opened since ``since`` and before ``ticket`` (newest first),
        as summaries: a caller without a number has no history."""
        if not ticket["caller"]:
            return []
        async with self._db.execute(
                "SELECT id, dialed, hotline, hotline_name, unit, agent, opened_at, closed_at, "
                "prefill, confirmed FROM ticket WHERE caller = ? AND id != ? AND opened_at >= ?"
                " AND opened_at < ? ORDER BY opened_at DESC LIMIT ?",
                (ticket["caller"], ticket["id"], since, ticket["opened_at"], limit)) as cursor:
            rows = [dict(r) for r in await cursor.fetchall()]
        for row in rows:
            fields = {**json.loads(row.pop("prefill")), **json.loads(row.pop("confirmed"))}
            row["topic"] = fields.get("topic") or ""
            row["request_type"] = fields.get("request_type") or ""
            row["summary"] = str(fields.get("summary") or "")[:200]
        return rows

    async def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        async with self._db.execute(
                "SELECT id, call_id, dialed, hotline_name, agent, opened_at, closed_at "
                "FROM ticket ORDER BY id DESC LIMIT ?", (limit,)) as cursor:
            return [dict(r) for r in await cursor.fetchall()]
