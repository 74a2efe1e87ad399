"""The command line's tables, readable at any terminal width (80 columns included).

A table that fits the console is printed as a table. One that does not is printed as blocks,
one per row: the row's identifiers (queue, agent, ticket, call, hotline number) whole on the
first line, then its other cells as ``header: value`` pairs wrapped between pairs. Rich would
otherwise squeeze every column of a wide table and cut its cells (``q12…``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

INDENT = "  "
PAIR_GAP = "   "


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    key: bool = False  # an identifier: never wrapped or cut, first in a block
    justify: Literal["left", "right"] = "left"


def _natural_width(console: Console, table: Table) -> int:
    return Measurement.get(console, console.options.update_width(10**5), table).maximum


def _wrap_pairs(pairs: Sequence[str], width: int) -> list[str]:
    """Pairs on lines of at most ``width`` cells, a pair never split (a pair wider than the
    line gets a line of its own, folded by rich)."""
    lines: list[str] = []
    line = ""
    for pair in pairs:
        candidate = f"{line}{PAIR_GAP}{pair}" if line else pair
        if line and cell_len(candidate) > width:
            lines.append(line)
            line = pair
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _blocks(console: Console, title: str, columns: Sequence[Column],
            rows: Sequence[Sequence[str]]) -> RenderableType:
    width = max(console.width - len(INDENT), 20)
    parts: list[RenderableType] = [Text(title, style="table.title", justify="center")]
    for row in rows:
        cells = list(zip(columns, row, strict=True))
        keys = [f"{c.header}: {v}" for c, v in cells if c.key and v]
        pairs = [f"{c.header}: {v or '-'}" for c, v in cells if not c.key]
        parts += [Text(line, style="bold") for line in _wrap_pairs(keys, console.width)]
        parts += [Text(INDENT + line) for line in _wrap_pairs(pairs, width)]
    if not rows:
        parts.append(Text(INDENT + "(none)"))
    return Group(*parts)


def fitted(console: Console, title: str, columns: Sequence[Column],
           rows: Iterable[Sequence[str]]) -> RenderableType:
    """A table when it fits ``console``'s width, else one block per row (see the module)."""
    rows = [list(r) for r in rows]
    table = Table(title=title)
    for column in columns:
        table.add_column(column.header, justify=column.justify, no_wrap=column.key)
    for row in rows:
        table.add_row(*row)
    if _natural_width(console, table) <= console.width:
        return table
    return _blocks(console, title, columns, rows)


# -- the tables of `status`, `agent list`, `ticket list` and `handoff` -----------------------

CALL_COLUMNS = (Column("call", key=True), Column("dialed", key=True), Column("caller"),
                Column("state"), Column("age s", justify="right"),
                Column("channels", justify="right"), Column("queue", key=True),
                Column("agent", key=True))


def calls_table(console: Console, calls: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [[str(c["call_id"]), str(c["dialed"]), str(c["caller"]),
             str(c["state"]) + (" (recovered)" if c["recovered"] else ""), str(c["age_s"]),
             str(c["channels"]), str(c["queue"]), str(c["agent"])] for c in calls]
    return fitted(console, f"live calls ({len(rows)})", CALL_COLUMNS, rows)


QUEUE_COLUMNS = (Column("queue", key=True), Column("title"),
                 *(Column(h, justify="right") for h in (
                     "waiting", "longest wait s", "available", "busy", "paused", "answered",
                     "≤ target %", "abandoned", "overflowed")))


def queues_table(console: Console, queues: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [[str(q["queue"]), str(q["title"]), str(q["waiting"]), str(q["longest_wait_s"]),
             str(q["available"]), str(q["busy"]), str(q["paused"]), str(q["answered"]),
             "-" if q["in_target_pct"] is None else str(q["in_target_pct"]),
             str(q["abandoned"]), str(q["overflowed"])] for q in queues]
    return fitted(console, "queues", QUEUE_COLUMNS, rows)


AGENT_COLUMNS = (Column("agent", key=True), Column("name"), Column("state"),
                 Column("reason"), Column("queues"), Column("calls", justify="right"))


def agents_table(console: Console, agents: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [[str(a["agent"]), str(a["name"]), str(a["state"]), str(a["reason"]),
             " ".join(a["queues"]), str(a["calls_taken"])] for a in agents]
    return fitted(console, "agents", AGENT_COLUMNS, rows)


TICKET_COLUMNS = (Column("id", key=True), Column("call_id", key=True),
                  Column("dialed", key=True), Column("hotline_name"),
                  Column("agent", key=True), Column("opened_at"), Column("closed_at"))


def tickets_table(console: Console, tickets: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [[str(t[c.header] or "") for c in TICKET_COLUMNS] for t in tickets]
    return fitted(console, "工单", TICKET_COLUMNS, rows)


HANDOFF_COLUMNS = (Column("id", key=True), Column("ticket", key=True),
                   Column("destination", key=True), Column("created_at"), Column("caller"),
                   Column("origin"), Column("request_type"), Column("topic"))


def handoffs_table(console: Console, handoffs: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = []
    for row in handoffs:
        record = row["record"]
        prefill = record.get("prefill", {})
        rows.append([str(row["id"]), str(row["ticket_id"] or ""), str(row["destination"]),
                     str(row["created_at"]), str(record.get("caller", "")),
                     str(record.get("origin_hotline", {}).get("number", "")),
                     str(prefill.get("request_type") or ""), str(prefill.get("topic") or "")])
    return fitted(console, "工单流转 (hand-offs to sub-centers and expert seats)",
                  HANDOFF_COLUMNS, rows)
