"""The callback requests (待回拨) as the agent desktop works them: a short page of the
requests waiting in the agent's queues, numbers masked, oldest or newest first as the centre
chooses (agents.yaml ``callbacks``); an agent takes one (``callback.take``: audited, the only
way to see its full number, and only its taker sees it) and marks it worked
(``callback.done``). A request someone else took is theirs: shown as taken, by whom."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from callcenter.actors import Actor, Role
from callcenter.calllog.privacy import mask_number
from callcenter.config.models import CallbackOrder
from callcenter.errors import CallbackTaken
from callcenter.glossary import word
from callcenter.store.db import NoSuchRow, Store

SHOWN = ("id", "dialed", "hotline", "queue", "reason", "requested_at", "taken_at")


def _among(queues: Collection[str] | None) -> tuple[str, tuple[str, ...]]:
    if queues is None:
        return "", ()
    wanted = tuple(sorted(queues))
    return f" AND queue IN ({', '.join('?' * len(wanted))})", wanted


async def page(store: Store, queues: Collection[str] | None, order: CallbackOrder,
               number: int, size: int) -> tuple[int, list[dict[str, Any]]]:
    """How many wait in ``queues`` (None: all), and page ``number`` (from 1) of them."""
    among, wanted = _among(queues)
    async with store.db.execute(
            f"SELECT COUNT(*) FROM callback_request WHERE done_at IS NULL{among}",
            wanted) as cursor:
        row = await cursor.fetchone()
    total = int(row[0]) if row is not None else 0
    direction = "DESC" if order is CallbackOrder.NEWEST else "ASC"
    async with store.db.execute(
            f"SELECT * FROM callback_request WHERE done_at IS NULL{among} "
            f"ORDER BY requested_at {direction}, id {direction} LIMIT ? OFFSET ?",
            (*wanted, size, (number - 1) * size)) as cursor:
        return total, [dict(r) for r in await cursor.fetchall()]


async def take(store: Store, callback_id: int, actor: Actor, name: str, at: str) -> None:
    """``actor`` takes the request (again: their own); a supervisor may take it over."""
    row = await open_request(store, callback_id)
    if row.get("state") == "dialing":  # the dialer is ringing the citizen now
        raise CallbackTaken("系统正在外呼这位来电人：请稍后再看")
    if row["taken_by"] not in (None, actor.name) and actor.role is not Role.SUPERVISOR:
        raise CallbackTaken(f"这条待回拨已由{row['taken_name'] or row['taken_by']}领取："
                            "请选择其他请求")
    await store.db.execute(
        "UPDATE callback_request SET taken_by = ?, taken_name = ?, taken_at = ? "
        "WHERE id = ? AND done_at IS NULL", (actor.name, name, at, callback_id))
    await store.db.commit()


async def open_request(store: Store, callback_id: int) -> dict[str, Any]:
    row = await store.callback(callback_id)
    if row is None or row["done_at"] is not None:
        raise NoSuchRow(f"没有待处理的回拨请求 {callback_id}（可能已回拨）：请刷新列表")
    return row


def shown(row: dict[str, Any], actor: Actor, title: Callable[[str], str]) -> dict[str, Any]:
    """A request as a list shows it: its number masked, who took it."""
    return {**{k: row[k] for k in SHOWN}, "caller": mask_number(row["caller"]),
            "queue_title": title(row["queue"]),
            "reason_text": word("callback_reason", row["reason"]),
            "taken": bool(row["taken_by"]), "mine": row["taken_by"] == actor.name,
            "taken_name": row["taken_name"] or row["taken_by"] or ""}
