"""The ticket loop's figures in ``run.py report``: each ticket's place in the loop and its
history read from the store (read only; the tickets of the period alone when it is bounded),
counted by :mod:`.figures`, shown as two sections — by lead unit and by month — with the
counts beside every rate and a footnote saying how each is counted. A store without the
loop's tables (a database older than the loop) gives no section."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiosqlite

from callcenter.reports.sections import Cell, Period, Section
from callcenter.store.db import Store
from callcenter.ticketflow.figures import (
    ACTIONS,
    CENTRE,
    Event,
    Figure,
    LoopFigures,
    Tally,
    Ticket,
)
from callcenter.ticketflow.state import Step

TABLES = ("ticket_flow", "ticket_event")
CHUNK = 10_000  # rows fetched at a time (a province's history is millions)
STEPS = {step.value: step for step in Step}
# each figure's columns: the base, the hits, the rate
COLUMNS = ((Figure.SIGNED, "应签收", "按时签收", "按时签收率%"),
           (Figure.CLOSED_ON_TIME, "应办结", "按时办结", "按时办结率%"),
           (Figure.FIRST_TIME, "办结", "一次办结", "一次办结率%"),
           (Figure.REDONE, "答复", "重办", "重办率%"),
           (Figure.RETURNED, "派单", "退单", "退单率%"),
           (Figure.SATISFIED, "评价", "满意及基本满意", "满意率%"))
CENTRE_ROW = "12345中心（直接办结）"
BRIEF = "此处只列比率及其（分子/分母）；CSV 与 HTML 报表列出各项数量。"
TOTAL_ROW = "合计"
NONE = "—"  # a rate over no tickets
DEFINITIONS = (
    "按时签收率 = 在签收时限内签收的工单 ÷ 应签收的工单：已签收的按签收时间计；派单后未签收、"
    "时限已过的按时限最后一天计，算作超时；退单的不计。",
    "按时办结率 = 按时办结的工单 ÷ 应办结的工单：已办结的按办结（审核通过）时间计，被采纳的"
    "答复在当时的办理时限内即为按时（同意的延期计入时限，重办按重新起算的时限）；办理中、时限"
    "已过的按时限最后一天计，算作超时；待审核的答复暂不计；中心直接办结的不计。",
    "一次办结率 = 未经重办、未经退单而办结的工单 ÷ 办结的工单，按最后一次办结时间计（含中心"
    "直接办结）。",
    "重办率 = 至少退回重办一次（审核退回重办，或评价不满意重办）的工单 ÷ 已答复的工单，按首次"
    "答复时间计。",
    "退单率 = 至少退单一次的工单 ÷ 已派单的工单，按首次派单时间计，计入首次派往的单位。",
    "满意率 =（满意 + 基本满意）÷ 评价次数，每次评价按评价时间计（不满意重办后再次评价的，"
    "两次都计）。",
    "按时签收计入签收单位，退单计入首次派往的单位，其余计入工单现在的主办单位（改派后为新"
    "单位）；并单的工单随主单计，不单独计；工单期限按"
    "工作日（含法定节假日与调休）计算；比率的分母为 0 时显示“—”。")


async def loop_sections(store: Store, period: Period) -> list[Section]:
    """The loop's sections of the report (none where the store has not the loop's tables)."""
    if not await _has_tables(store.db):
        return []
    figures = LoopFigures(period)
    async for ticket, events in histories(store.db, period):
        figures.add(ticket, events)
    return sections(figures)


async def _has_tables(db: aiosqlite.Connection) -> bool:
    async with db.execute(
            f"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
            f"({', '.join('?' * len(TABLES))})", TABLES) as cursor:
        row = await cursor.fetchone()
    return row is not None and row[0] == len(TABLES)


async def histories(db: aiosqlite.Connection,
                    period: Period) -> AsyncIterator[tuple[Ticket, list[Event]]]:
    """Each ticket that may count in ``period`` with its history (the lines the figures read),
    one ticket at a time: those with a step in the period, and those whose running deadline
    ran out in it."""
    where, args = "", []
    if period.first is not None or period.last is not None:
        low, high = max(period.start, -1e18), min(period.end, 1e18)
        where = ("WHERE f.ticket IN (SELECT ticket FROM ticket_event WHERE at >= ? AND at < ? "
                 "UNION SELECT ticket FROM ticket_flow WHERE due IS NOT NULL AND due >= ? "
                 "AND due < ?)")
        args = [low, high, low + 1, high + 1]  # a deadline counts on its last day
    sql = ("SELECT f.ticket, f.unit, f.step, f.sign_due, f.handle_due, f.merged_into, e.at, "
           "e.action, e.after, CASE WHEN e.action = 'rate' THEN e.note ELSE '' END AS note, "
           "e.unit "
           "FROM ticket_flow AS f LEFT JOIN ticket_event AS e ON e.ticket = f.ticket AND "
           f"e.action IN ({', '.join('?' * len(ACTIONS))}) {where} ORDER BY f.ticket, e.id")
    ticket: Ticket | None = None
    events: list[Event] = []
    async with db.execute(sql, (*ACTIONS, *args)) as cursor:
        while rows := await cursor.fetchmany(CHUNK):
            for row in rows:
                if ticket is None or row[0] != ticket.ticket:
                    if ticket is not None:
                        yield ticket, events
                    ticket, events = _ticket(row), []
                if row[6] is not None:
                    events.append(Event(row[6], row[7], STEPS[row[8]], row[9], row[10]))
    if ticket is not None:
        yield ticket, events


def _ticket(row: Any) -> Ticket:
    return Ticket(row[0], row[1], STEPS[row[2]], row[3], row[4], row[5])


def rate_text(tally: Tally, figure: Figure) -> str:
    rate = tally.rate(figure)
    return NONE if rate is None else f"{rate * 100:.1f}"


def _row(label: str, tally: Tally) -> tuple[Cell, ...]:
    cells: list[Cell] = [label]
    for figure, *_ in COLUMNS:
        cells += [tally.base[figure], tally.hits[figure], rate_text(tally, figure)]
    return tuple(cells)


def _columns(first: str) -> tuple[str, ...]:
    return (first, *(name for _, *names in COLUMNS for name in names))


def _brief_row(label: str, tally: Tally) -> tuple[Cell, ...]:
    """The rates alone, each with its counts (hits/base): for the console."""
    return (label, *(NONE if not tally.base[figure] else
                     f"{rate_text(tally, figure)}% ({tally.hits[figure]}/{tally.base[figure]})"
                     for figure, *_ in COLUMNS))


def _section(name: str, title: str, first: str, tallies: list[tuple[str, Tally]],
             footnote: tuple[str, ...]) -> Section:
    brief = Section(name, title, (first, *(rate.rstrip("%") for *_, rate in COLUMNS)),
                    tuple(_brief_row(label, tally) for label, tally in tallies),
                    (*footnote, BRIEF))
    return Section(name, title, _columns(first),
                   tuple(_row(label, tally) for label, tally in tallies), footnote, brief)


def _period_line(period: Period) -> str:
    first = period.first.isoformat() if period.first else "最早"
    last = period.last.isoformat() if period.last else "最近"
    made = datetime.fromtimestamp(period.now).strftime("%Y-%m-%d %H:%M")
    return (f"统计时段：{first}至{last}（含首尾两天）；工单按决定该指标的事件发生的时间归入时段"
            f"与月份；截至制表时（{made}）已过的期限算作已到期。")


def sections(figures: LoopFigures) -> list[Section]:
    units, months = figures.by_unit, figures.by_month
    by_unit = [(u, units[u]) for u in sorted(units) if u != CENTRE]
    if CENTRE in units:
        by_unit.append((CENTRE_ROW, units[CENTRE]))
    by_month = [(m, months[m]) for m in sorted(months)]
    total = (TOTAL_ROW, figures.total)
    return [
        _section("loop_by_unit", "工单闭环指标（按承办单位）", "承办单位", [*by_unit, total],
                 (_period_line(figures.period), *DEFINITIONS)),
        _section("loop_by_month", "工单闭环指标（按月份）", "月份", [*by_month, total],
                 ("口径同“工单闭环指标（按承办单位）”；月份为决定该指标的事件发生的月份。",)),
    ]

