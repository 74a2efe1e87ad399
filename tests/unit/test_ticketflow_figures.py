"""The ticket loop's figures in the report (按时签收率, 按时办结率, 一次办结率, 重办率, 退单率,
满意率): each rule on hand-made histories, then the story of ``loop_story`` read back from the
real store — by unit, by month, for a period — with every expected figure worked out by hand;
an empty store; a database older than the loop (no section)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from callcenter.glossary import GLOSSARY
from callcenter.paths import PROJECT_ROOT
from callcenter.reports.sections import Period, Section, sections_of
from callcenter.store.db import Store
from callcenter.ticketflow import state as st
from callcenter.ticketflow.figures import (
    ACTIONS,
    CLOSING,
    Event,
    Figure,
    Mark,
    Ticket,
    marks,
    rating_of,
)
from callcenter.ticketflow.report import loop_sections
from callcenter.ticketflow.state import Flow, Step
from callcenter.ticketflow.store import MIGRATIONS
from tests.unit.loop_story import CENTRE, NOW, RULES, at, tell

DUE = at(10, 9, 0)  # a deadline: the end of 2026-10-08


def test_signing_on_time_late_and_overdue() -> None:
    signed = [Event(at(10, 8, 23, 59), "sign", Step.HANDLING)]
    assert marks(Ticket(1, "A", Step.HANDLING, DUE, None), signed, NOW) == [
        Mark(Figure.SIGNED, at(10, 8, 23, 59), True)]
    late = [Event(DUE, "sign", Step.HANDLING)]  # at the deadline: late
    assert marks(Ticket(1, "A", Step.HANDLING, DUE, None), late, NOW) == [
        Mark(Figure.SIGNED, DUE, False)]
    # not signed: late once the deadline has run out, on the deadline's last day
    waiting = Ticket(1, "A", Step.DISPATCHED, DUE, None)
    assert marks(waiting, [], at(10, 9, 0)) == [Mark(Figure.SIGNED, at(10, 8, 23, 59, 59), False)]
    assert marks(waiting, [], at(10, 8, 23)) == []  # not yet due: undecided
    # returned: not one to sign
    assert marks(Ticket(1, "A", Step.RETURNED, DUE, None), [], NOW) == []


def test_closing_is_decided_by_the_accepted_reply() -> None:
    history = [Event(at(10, 1, 9), "reply", Step.REPLIED),
               Event(at(10, 3, 9), "redo", Step.HANDLING),
               Event(at(10, 8, 12), "reply", Step.REPLIED),
               Event(at(10, 12, 9), "accept", Step.CLOSED)]
    found = marks(Ticket(1, "A", Step.CLOSED, None, DUE), history, NOW)
    assert Mark(Figure.CLOSED_ON_TIME, at(10, 12, 9), True) in found
    assert Mark(Figure.FIRST_TIME, at(10, 12, 9), False) in found  # redone once
    assert Mark(Figure.REDONE, at(10, 1, 9), True) in found  # at the first reply
    # the same, its last reply after the deadline then running: late
    history[2] = Event(at(10, 9, 8), "reply", Step.REPLIED)
    found = marks(Ticket(1, "A", Step.CLOSED, None, DUE), history, NOW)
    assert Mark(Figure.CLOSED_ON_TIME, at(10, 12, 9), False) in found
    # still handled past the deadline (an extension asked but not granted): late
    assert marks(Ticket(1, "A", Step.HANDLING, None, DUE),
                 [Event(at(10, 2, 9), "extension_asked", Step.HANDLING)], NOW) == [
        Mark(Figure.CLOSED_ON_TIME, at(10, 8, 23, 59, 59), False)]
    # replied, waiting for the centre's review past the deadline: not decided
    assert marks(Ticket(1, "A", Step.REPLIED, None, DUE),
                 [Event(at(10, 8, 9), "reply", Step.REPLIED)], NOW) == [
        Mark(Figure.REDONE, at(10, 8, 9), False)]


def test_a_ticket_closed_at_the_centre_and_a_merged_one() -> None:
    history = [Event(at(11, 10, 9), "close", Step.CLOSED),
               Event(at(11, 10, 10), "rate", Step.CLOSED, "基本满意")]
    assert marks(Ticket(7, "", Step.CLOSED, None, None), history, NOW) == [
        Mark(Figure.FIRST_TIME, at(11, 10, 9), True),
        Mark(Figure.SATISFIED, at(11, 10, 10), True)]
    merged = Ticket(8, "", Step.CLOSED, None, None, merged_into=7)
    assert marks(merged, [Event(at(11, 10, 9), "closed_with", Step.CLOSED),
                          Event(at(11, 10, 10), "rate", Step.CLOSED, "满意")], NOW) == []


def test_the_figures_read_the_loops_own_actions() -> None:
    assert set(ACTIONS) <= set(GLOSSARY["ticket_action"])
    assert set(CLOSING) <= set(ACTIONS)


def test_the_ratings_as_the_loop_writes_them() -> None:
    closed = Flow(1, Step.CLOSED, "求助", unit="城关区")
    reopened, line = st.rate(closed, CENTRE, NOW, RULES, "不满意")
    assert (reopened.step, rating_of(line.note)) == (Step.HANDLING, "不满意")
    again, line = st.rate(Flow(1, Step.CLOSED, "求助", unit="城关区", reopened=True), CENTRE,
                          NOW, RULES, "不满意")
    assert (again.supervised, rating_of(line.note)) == (True, "不满意")
    for word in ("满意", "基本满意"):
        assert rating_of(st.rate(closed, CENTRE, NOW, RULES, word)[1].note) == word
    assert rating_of("很满意") == ""


# -- the story, from the store ----------------------------------------------------------------

HEAD = ("应签收", "按时签收", "按时签收率%", "应办结", "按时办结", "按时办结率%",
        "办结", "一次办结", "一次办结率%", "答复", "重办", "重办率%",
        "派单", "退单", "退单率%", "评价", "满意及基本满意", "满意率%")
NONE = (0, 0, "—")


def figures_row(label: str, *figures: tuple[int, int, str]) -> tuple[object, ...]:
    return (label, *(cell for figure in figures for cell in figure))


@pytest.fixture
async def story(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    database = tmp_path / "cc.sqlite3"
    return database, await tell(database)


async def loop(database: Path, first: date | None = None,
               last: date | None = None, now: float = NOW) -> dict[str, Section]:
    return {s.name: s for s in await sections_of(database, [loop_sections],
                                                 Period(first, last, now))}


async def test_the_loop_computed_the_deadlines_worked_out_by_hand(
        story: tuple[Path, dict[str, int]]) -> None:
    database, t = story
    store = await Store.open(database, MIGRATIONS)
    try:
        async with store.db.execute("SELECT ticket, sign_due, handle_due FROM ticket_flow "
                                    "ORDER BY ticket") as cursor:
            due = {row[0]: (row[1], row[2]) for row in await cursor.fetchall()}
    finally:
        await store.close()
    assert due[t["T1"]] == (at(10, 9, 0), at(10, 15, 0))  # across 国庆, and 10-10 worked
    assert due[t["T2"]] == (at(10, 9, 0), at(10, 16, 0))
    assert due[t["T3"]] == (at(10, 14, 0), at(10, 31, 0))  # the reopening's limit
    assert due[t["T4"]] == (at(11, 4, 0), at(11, 10, 0))  # with the 3 days granted
    assert due[t["T5"]][0] == at(11, 7, 0)


async def test_by_unit_and_by_month(story: tuple[Path, dict[str, int]]) -> None:
    sections = await loop(story[0])
    by_unit, by_month = sections["loop_by_unit"], sections["loop_by_month"]
    assert by_unit.columns == ("承办单位", *HEAD)
    assert by_month.columns == ("月份", *HEAD)
    total = figures_row("合计", (7, 5, "71.4"), (5, 3, "60.0"), (5, 4, "80.0"),
                        (5, 1, "20.0"), (9, 2, "22.2"), (5, 3, "60.0"))
    assert by_unit.rows == (
        # T3's return is 七里河区's, the unit it was first dispatched to (城关区's since 改派)
        figures_row("七里河区", (2, 1, "50.0"), (1, 0, "0.0"), NONE, NONE, (4, 1, "25.0"), NONE),
        figures_row("城关区", (3, 2, "66.7"), (3, 2, "66.7"), (3, 2, "66.7"), (3, 1, "33.3"),
                    (3, 1, "33.3"), (4, 2, "50.0")),
        figures_row("省住建厅", (2, 2, "100.0"), (1, 1, "100.0"), (1, 1, "100.0"),
                    (2, 0, "0.0"), (2, 0, "0.0"), NONE),
        figures_row("12345中心（直接办结）", NONE, NONE, (1, 1, "100.0"), NONE, NONE,
                    (1, 1, "100.0")),
        total)
    assert by_month.rows == (
        figures_row("2026-09", NONE, NONE, NONE, NONE, (2, 0, "0.0"), NONE),
        figures_row("2026-10", (3, 2, "66.7"), (2, 1, "50.0"), (2, 2, "100.0"), (3, 1, "33.3"),
                    (1, 1, "100.0"), (3, 2, "66.7")),
        figures_row("2026-11", (4, 3, "75.0"), (3, 2, "66.7"), (3, 2, "66.7"), (2, 0, "0.0"),
                    (5, 1, "20.0"), (2, 1, "50.0")),
        figures_row("2026-12", NONE, NONE, NONE, NONE, (1, 0, "0.0"), NONE),
        total)
    assert any(line.startswith("按时签收率 = ") for line in by_unit.footnote)


async def test_a_period_counts_what_was_decided_in_it(
        story: tuple[Path, dict[str, int]]) -> None:
    october = await loop(story[0], date(2026, 10, 1), date(2026, 10, 31))
    a = figures_row("城关区", (3, 2, "66.7"), (2, 1, "50.0"), (2, 2, "100.0"), (3, 1, "33.3"),
                    (1, 1, "100.0"), (3, 2, "66.7"))
    # October's one dispatch (T3, to 七里河区, returned): 七里河区's 退单
    assert october["loop_by_unit"].rows == (
        figures_row("七里河区", NONE, NONE, NONE, NONE, (1, 1, "100.0"), NONE),
        figures_row("城关区", (3, 2, "66.7"), (2, 1, "50.0"), (2, 2, "100.0"), (3, 1, "33.3"),
                    NONE, (3, 2, "66.7")),
        ("合计", *a[1:]))
    assert october["loop_by_month"].rows == (("2026-10", *a[1:]), ("合计", *a[1:]))
    assert "统计时段：2026-10-01至2026-10-31" in october["loop_by_unit"].footnote[0]
    # T5's signing ran out at the end of 11-06: counted on that day, not the next
    sixth = await loop(story[0], date(2026, 11, 6), date(2026, 11, 6))
    assert sixth["loop_by_unit"].rows == (
        figures_row("七里河区", (1, 0, "0.0"), NONE, NONE, NONE, NONE, NONE),
        figures_row("合计", (1, 0, "0.0"), NONE, NONE, NONE, NONE, NONE))
    seventh = await loop(story[0], date(2026, 11, 7), date(2026, 11, 7))
    assert seventh["loop_by_unit"].rows == (figures_row("合计", *[NONE] * 6),)
    # from a day on: T9's dispatch (12-07) alone; until a day: September's dispatches alone
    assert (await loop(story[0], date(2026, 12, 1)))["loop_by_month"].rows[0] == \
        figures_row("2026-12", NONE, NONE, NONE, NONE, (1, 0, "0.0"), NONE)
    assert (await loop(story[0], None, date(2026, 9, 30)))["loop_by_unit"].rows[-1] == \
        figures_row("合计", NONE, NONE, NONE, NONE, (2, 0, "0.0"), NONE)


async def test_made_later_more_deadlines_have_run_out(
        story: tuple[Path, dict[str, int]]) -> None:
    # on 12-09 T9's signing (due at the end of 12-08) is late too
    december = await loop(story[0], date(2026, 12, 1), None, at(12, 9, 9))
    assert december["loop_by_unit"].rows[-1] == figures_row(
        "合计", (1, 0, "0.0"), NONE, NONE, NONE, (1, 0, "0.0"), NONE)


async def test_an_empty_store(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "cc.sqlite3", MIGRATIONS)
    await store.close()
    sections = await loop(tmp_path / "cc.sqlite3")
    assert sections["loop_by_unit"].rows == (figures_row("合计", *[NONE] * 6),)
    assert sections["loop_by_month"].rows == (figures_row("合计", *[NONE] * 6),)


async def test_a_database_older_than_the_loop_has_no_section(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "cc.sqlite3")  # the engine's tables, not the loop's
    await store.close()
    assert await loop(tmp_path / "cc.sqlite3") == {}


def test_run_py_report_prints_and_writes_the_loop_figures(tmp_path: Path) -> None:
    """``run.py report --csv --html`` end to end on a store the real FlowStore filled: the
    loop's figures of September and October 2026 (T1, T2, T3 of the story; all decided by
    their history, so whatever the day the report is made)."""
    database = tmp_path / "cc.sqlite3"
    asyncio.run(tell(database))
    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    engine = config / "engine.yaml"
    engine.write_text(engine.read_text(encoding="utf-8").replace(
        "database: var/callcenter.sqlite3", f"database: {database}"), encoding="utf-8")
    calls = tmp_path / "calls.jsonl"
    calls.write_text("", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "run.py", "--config", str(config), "report", str(calls), "--from",
         "2026-09-01", "--to", "2026-10-31", "--csv", str(tmp_path / "csv"), "--html",
         str(tmp_path / "report.html")], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={**os.environ, "CALLCENTER_VAR": str(tmp_path / "var"), "COLUMNS": "250"},
        check=False)
    assert done.returncode == 0, done.stderr
    assert "工单闭环指标（按承办单位）" in done.stdout and "工单闭环指标（按月份）" in done.stdout
    # the console's brief form: each rate with its counts
    shown = [[cell.strip() for cell in line.strip("│").split("│")]
             for line in done.stdout.splitlines() if line.startswith("│ 城关区")]
    assert shown == [["城关区", "66.7% (2/3)", "50.0% (1/2)", "100.0% (2/2)", "33.3% (1/3)",
                      "0.0% (0/2)", "66.7% (2/3)"]]

    def csv_rows(name: str) -> list[list[str]]:
        text = (tmp_path / "csv" / name).read_text(encoding="utf-8-sig")
        return list(csv.reader(io.StringIO(text)))

    header = list(HEAD)
    a = ["3", "2", "66.7", "2", "1", "50.0", "2", "2", "100.0", "3", "1", "33.3", "3", "1", "33.3",
         "3", "2", "66.7"]
    qilihe = ["0", "0", "—"] * 4 + ["1", "1", "100.0", "0", "0", "—"]  # T3's return
    chengguan = [*a[:12], "2", "0", "0.0", *a[15:]]
    assert csv_rows("loop_by_unit.csv") == [["承办单位", *header], ["七里河区", *qilihe],
                                            ["城关区", *chengguan], ["合计", *a]]
    assert csv_rows("loop_by_month.csv") == [
        ["月份", *header],
        ["2026-09", "0", "0", "—", "0", "0", "—", "0", "0", "—", "0", "0", "—", "2", "0", "0.0",
         "0", "0", "—"],
        ["2026-10", "3", "2", "66.7", "2", "1", "50.0", "2", "2", "100.0", "3", "1", "33.3", "1",
         "1", "100.0", "3", "2", "66.7"],
        ["合计", *a]]
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>工单闭环指标（按承办单位）</h2>" in page and "<td>城关区</td>" in page
    assert "<li>按时签收率 = 在签收时限内签收的工单" in page
