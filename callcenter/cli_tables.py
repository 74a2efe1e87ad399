"""The command line's tables, readable at any terminal width (80 columns included).

A table that fits the console is printed as a table. One that does not is printed as blocks,
one per row: the row's identifiers (queue, agent, ticket, call, hotline number) whole on the
first line, then its other cells as ``header: value`` pairs wrapped between pairs. Rich would
otherwise squeeze every column of a wide table and cut its cells (``q12…``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from callcenter.glossary import word

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
        parts.append(Text(INDENT + "（无）"))
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
# Chinese headers; states in the glossary's words; times in the local zone. Queues and agents
# keep their ids beside their titles and names: the commands take them (`supervise move
# --queue q12315`, `agent login 1001`).

CHANNEL_STATES = {"up": "已接通", "ring": "振铃", "ringing": "振铃", "down": "未接通",
                  "dialing": "呼出中", "busy": "忙", "unknown": "未知"}


def local_time(value: object) -> str:
    """An ISO 8601 moment (UTC, ``…Z``) in the local zone: ``2026-11-28 21:20:55``."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


CALL_COLUMNS = (Column("来电编号", key=True), Column("拨打号码", key=True), Column("来电号码"),
                Column("状态"), Column("时长秒", justify="right"),
                Column("通道", justify="right"), Column("队列", key=True),
                Column("话务员", key=True))


def calls_table(console: Console, calls: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [[str(c["call_id"]), str(c["dialed"]), str(c["caller"]),
             CHANNEL_STATES.get(str(c["state"]), str(c["state"]))
             + ("（重启后接管）" if c["recovered"] else ""), str(c["age_s"]),
             str(c["channels"]), str(c["queue"]), str(c["agent"])] for c in calls]
    return fitted(console, f"当前通话（{len(rows)}）", CALL_COLUMNS, rows)


QUEUE_COLUMNS = (Column("队列", key=True), Column("名称"),
                 *(Column(h, justify="right") for h in (
                     "排队", "最长等待秒", word("agent_state", "available"), "忙碌",
                     word("agent_state", "paused"), "接通", "15秒内接通%", "放弃", "溢出")))


def queues_table(console: Console, queues: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [[str(q["queue"]), str(q["title"]), str(q["waiting"]), str(q["longest_wait_s"]),
             str(q["available"]), str(q["busy"]), str(q["paused"]), str(q["answered"]),
             "-" if q["in_target_pct"] is None else str(q["in_target_pct"]),
             str(q["abandoned"]), str(q["overflowed"])] for q in queues]
    return fitted(console, "队列（今日）", QUEUE_COLUMNS, rows)


AGENT_COLUMNS = (Column("工号", key=True), Column("姓名"), Column("状态"),
                 Column("暂停原因"), Column("队列"), Column("接听", justify="right"))


def agents_table(console: Console, agents: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [[str(a["agent"]), str(a["name"]), word("agent_state", str(a["state"])),
             str(a["reason"]), " ".join(a["queues"]), str(a["calls_taken"])] for a in agents]
    return fitted(console, word("term", "agent"), AGENT_COLUMNS, rows)
