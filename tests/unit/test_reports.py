"""Report figures on a small hand-checked log (numbers computed by hand in the comments)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from callcenter.config.loader import config_hash, load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.replay.runner import Replayer
from callcenter.reports.figures import ReportBuilder
from callcenter.reports.render import tables, write_csv, write_html
from lab.day import generate_day

WRAPUP = {"q12345": 10, "q12315": 10}
DAY = "2026-11-27T"


def rec(ts: str, event: str, **fields: Any) -> dict[str, Any]:
    return {"ts": f"{DAY}{ts}Z", "event": event, **fields}


def call(cid: str, start: str, dialed: str, mode: str, number: str,
         *middle: dict[str, Any], end: str, context: str = "from-carrier") -> list[dict[str, Any]]:
    return [rec(start, "call.started", call_id=cid, dialed=dialed, context=context),
            rec(start, "call.routed", call_id=cid, dialed=dialed, mode=mode, number=number,
                hotline=f"热线{number}"),
            *middle,
            rec(end, "call.ended", call_id=cid, dialed=dialed)]


LOG = [
    # C1 12345: waits 10 s, answered by 1001 at 09:00:20, talks 280 s
    *call("c1", "09:00:00.000", "12345", "main", "12345",
          rec("09:00:20.000", "queue.answered", call_id="c1", queue="q12345", agent="1001",
              wait_s=10), end="09:05:00.000"),
    # C2 12345: hangs up after 3 s in the queue (a short abandon); its line follows the end
    *call("c2", "09:10:00.000", "12345", "main", "12345", end="09:10:10.000"),
    rec("09:10:07.000", "queue.abandoned", call_id="c2", queue="q12345", wait_s=3),
    # C3 12396 merged: waits 20 s (not within 15 s), answered by 1002 at 10:00:30, talks 90 s
    *call("c3", "10:00:00.000", "12396", "merged", "12396",
          rec("10:00:30.000", "queue.answered", call_id="c3", queue="q12345", agent="1002",
              wait_s=20), end="10:02:00.000"),
    # C4 12315 dual: gives up after 40 s in q12315
    *call("c4", "10:30:00.000", "12315", "dual", "12315",
          rec("10:31:00.000", "queue.abandoned", call_id="c4", queue="q12315", wait_s=40),
          end="10:31:00.000"),
    # C5 12366 sub-center: its seat answers (no queue)
    *call("c5", "11:00:00.000", "12366", "subcenter", "12366",
          rec("11:00:05.000", "subcenter.answered", call_id="c5", subcenter="12366",
              via="routing"),
          # a frame alone decides nothing: the report reads the engine's decisions
          rec("11:00:05.000", "ami.frame", frame={
              "Event": "DialEnd", "Linkedid": "c4", "DestChannel": "PJSIP/subcenter-12366-01",
              "DialStatus": "ANSWER"}), end="11:03:00.000"),
    # an AudioSocket fork of the engine: not a caller's call
    *call("fork", "11:00:06.000", "s", "unknown", "", end="11:03:00.000", context="default"),
    # C7 12345 at noon: nobody to take it, a callback is registered
    *call("c7", "12:00:00.000", "12345", "main", "12345",
          rec("12:00:10.000", "callback.requested", call_id="c7"), end="12:00:30.000"),
    rec("12:10:00.000", "transfer.completed", call_id="c1", destination="12366",
        mode="conference"),
    rec("12:11:00.000", "transfer.failed", call_id="c3", destination="12313", mode="blind",
        reason="unavailable"),
    # a call still going when the log ends
    rec("23:59:59.000", "call.started", call_id="late", dialed="12345", context="from-carrier"),
]


def build(first: date | None = None, last: date | None = None) -> ReportBuilder:
    builder = ReportBuilder(WRAPUP, first, last)
    builder.feed(LOG)
    return builder


def test_hand_checked_figures() -> None:
    builder = build()
    t = builder.report.total
    assert (t.offered, t.answered, t.abandoned, t.abandoned_5s, t.callbacks) == (6, 3, 2, 1, 1)
    assert t.connection_rate == pytest.approx(3 / (6 - 1))  # 0.6: the short abandon left out
    assert t.service_level == pytest.approx(2 / 3)  # c1 (10 s) and c5 (no queue); c3 waited 20
    assert t.asa_s == pytest.approx((10 + 20 + 0) / 3)
    assert t.talk_s == pytest.approx((280 + 90) / 2)
    assert t.aht_s == pytest.approx((280 + 10 + 90 + 10) / 2)  # + the queue's wrap-up
    r = builder.report
    assert {m: (x.offered, x.answered, x.abandoned) for m, x in r.by_mode.items()} == {
        "main": (3, 1, 1), "merged": (1, 1, 0), "dual": (1, 0, 1), "subcenter": (1, 1, 0)}
    assert {h: x.offered for h, x in r.by_hour.items()} == {9: 2, 10: 2, 11: 1, 12: 1}
    assert {q: (x.offered, x.answered) for q, x in r.by_queue.items()} == {
        "q12345": (3, 2), "q12315": (1, 0)}
    assert {a: (x.answered, x.talk_s) for a, x in r.by_agent.items()} == {
        "1001": (1, 280.0), "1002": (1, 90.0)}
    assert r.by_hotline["12396"].answered == 1 and builder.hotline_name("12396") == "热线12396"
    assert dict(r.transfers) == {("12366", "conference", "completed"): 1,
                                 ("12313", "blind", "failed"): 1}
    assert r.unfinished == 1


def test_period_filter() -> None:
    assert build(date(2026, 11, 28)).report.total.offered == 0
    assert build(date(2026, 11, 27), date(2026, 11, 27)).report.total.offered == 6


def test_csv_and_html(tmp_path: Path) -> None:
    builder = build()
    files = write_csv(builder.report, builder, tmp_path / "csv")
    assert sorted(f.name for f in files) == sorted(
        ["summary.csv", "by_hotline.csv", "by_mode.csv", "by_queue.csv", "by_hour.csv",
         "by_agent.csv", "transfers.csv", "handoffs.csv"])
    with (tmp_path / "csv" / "summary.csv").open(encoding="utf-8-sig") as file:
        (row,) = list(csv.DictReader(file))
    assert (row["呼入量"], row["人工接通"], row["接通率%"], row["达标"]) == ("6", "3", "60.0", "否")
    page = tmp_path / "report.html"
    write_html(builder.report, builder, page)
    text = page.read_text()
    assert "接通率" in text and "未达标" in text and text.count("data:image/png;base64,") == 4


def test_generated_day_replays_and_reports_consistently(tmp_path: Path) -> None:
    config = load_config(PROJECT_ROOT / "config")
    log = tmp_path / "day.jsonl"
    placed, frames = generate_day(config, log, calls=400, seed=7, day="2026-11-27")
    assert 300 < placed < 500 and frames > placed * 8
    import asyncio

    result = asyncio.run(Replayer(config, config_hash(config.directory)).run_file(log))
    assert [d.describe() for d in result.divergences] == []
    builder = ReportBuilder({n: q.wrapup_s for n, q in config.queues.queues.items()})
    builder.feed(json.loads(line) for line in log.read_text().splitlines())
    total = builder.report.total
    assert total.offered == placed
    assert total.answered + total.abandoned <= placed
    hours = builder.report.by_hour
    assert hours[10].offered > hours[3].offered  # the day's curve


def test_a_generated_day_replayed_with_other_rules_diverges(tmp_path: Path) -> None:
    """The zero above is by construction (the same core wrote the day): with other rules —
    a 2-minute wrap-up instead of q12345's 10 s, 12396 handled by another unit — the replay
    must report what the new rules decide differently."""
    import asyncio
    import shutil

    config = load_config(PROJECT_ROOT / "config")
    log = tmp_path / "day.jsonl"
    generate_day(config, log, calls=300, seed=11, day="2026-11-27")
    other = tmp_path / "other"
    shutil.copytree(PROJECT_ROOT / "config", other)
    queues = other / "queues.yaml"
    text = queues.read_text(encoding="utf-8")
    assert "    service_level_s: 15\n" in text
    queues.write_text(text.replace("    service_level_s: 15\n",
                                   "    service_level_s: 15\n    wrapup_s: 120\n", 1),
                      encoding="utf-8")
    hotlines = other / "hotlines.yaml"
    hotlines.write_text(hotlines.read_text(encoding="utf-8").replace(
        "units: [省科技厅]", "units: [省政府办公厅]"), encoding="utf-8")
    changed = load_config(other)

    result = asyncio.run(Replayer(changed, config_hash(other)).run_file(log))
    assert result.config_warning  # the log says it was recorded with other rules
    events = {d.event for d in result.divergences}
    assert {"agent.state", "call.routed"} <= events, events
    routed = [d for d in result.divergences if d.event == "call.routed"]
    assert all("省政府办公厅" in d.describe() for d in routed)


async def test_ticket_store_figures(tmp_path: Path) -> None:
    from callcenter.reports.tickets import ticket_figures
    from callcenter.store.db import Store
    from callcenter.tickets.store import TicketOpen, Tickets
    from callcenter.transfers.records import TransferRecords

    database = tmp_path / "cc.sqlite3"
    store = await Store.open(database)
    tickets, records = Tickets(store), TransferRecords(store)
    for n, day in enumerate(("2026-11-26", "2026-11-27", "2026-11-27")):
        ticket = await tickets.open(TicketOpen(f"c{n}", "13800000000", "12345", "12345", "",
                                               "", "q12345", "1001", f"{day}T09:00:00.000Z"))
        await records.started({"id": f"t{n}", "ticket_id": ticket, "call_id": f"c{n}",
                               "agent": "1001", "destination": "12366", "destination_name": "",
                               "kind": "subcenter", "mode": "conference",
                               "started_at": f"{day}T09:01:00.000Z"})
        await records.add_handoff(f"t{n}", ticket, "12366", f"{day}T09:01:05.000Z", {})
    await store.close()
    figures = await ticket_figures(database, date(2026, 11, 27), date(2026, 11, 27))
    assert (figures.tickets, dict(figures.handoffs)) == (2, {"12366": 2})
    everything = await ticket_figures(database, None, None)
    assert everything.tickets == 3


BURST_NAME = "省政府政务大厅政务服务热线"
SUBCENTER_NAME = "国家移民管理局 12367 咨询服务热线"


def _burst_calls() -> list[list[dict[str, Any]]]:
    """Each call's lines in the order the engine means them (by time)."""
    merged = [
        rec("14:00:00.000", "call.started", call_id="m1", dialed="09318929999",
            context="from-carrier"),
        rec("14:00:00.100", "call.routed", call_id="m1", dialed="09318929999", mode="merged",
            number="0931—8929999", hotline=BURST_NAME),
        rec("14:00:08.000", "queue.answered", call_id="m1", queue="q12345", agent="1001",
            wait_s=8),
        rec("14:02:00.000", "call.ended", call_id="m1", dialed="09318929999"),
    ]
    subcenter = [
        rec("14:00:01.000", "call.started", call_id="s1", dialed="12367",
            context="from-carrier"),
        rec("14:00:01.100", "call.routed", call_id="s1", dialed="12367", mode="subcenter",
            number="12367", hotline=SUBCENTER_NAME),
        # nobody at the sub-center: the fallback to the 12345 queue, logged after it
        rec("14:00:21.100", "call.routed", call_id="s1", dialed="12367", mode="main",
            number="12367", hotline=SUBCENTER_NAME, reason="subcenter noanswer"),
        rec("14:00:31.000", "queue.abandoned", call_id="s1", queue="q12345", wait_s=10),
        rec("14:00:31.000", "call.ended", call_id="s1", dialed="12367"),
    ]
    return [merged, subcenter]


def _by_hotline(log: list[dict[str, Any]]) -> tuple[dict[str, tuple[int, int, int]],
                                                    dict[str, str]]:
    builder = ReportBuilder(WRAPUP)
    report = builder.feed(log)
    rows = {h: (t.offered, t.answered, t.abandoned) for h, t in report.by_hotline.items()}
    return rows, {h: builder.hotline_name(h) for h in rows}


def test_call_lines_in_any_order_count_once_under_the_named_hotline() -> None:
    """In a burst, call.routed (and queue lines) can be written before call.started: the
    call's figures still belong to its hotline, in one named row."""
    merged, subcenter = _burst_calls()
    in_order = sorted(merged + subcenter, key=lambda r: str(r["ts"]))
    # the burst as logged: each call's routing (and the queue line) before its start
    reordered = [merged[1], subcenter[1], merged[2], merged[0], subcenter[0], subcenter[2],
                 subcenter[3], merged[3], subcenter[4]]
    for log in (in_order, reordered, list(reversed(in_order))):
        rows, names = _by_hotline(log)
        assert rows == {"0931—8929999": (1, 1, 0), "12367": (1, 0, 1)}, log
        assert names == {"0931—8929999": BURST_NAME, "12367": SUBCENTER_NAME}
    builder = ReportBuilder(WRAPUP)
    report = builder.feed(reordered)
    assert {m: t.offered for m, t in report.by_mode.items()} == {"merged": 1, "subcenter": 1}
    assert {q: (t.offered, t.answered) for q, t in report.by_queue.items()} == {
        "q12345": (2, 1)}
    assert (report.total.offered, report.unfinished) == (2, 0)


def test_every_order_of_a_calls_lines_gives_the_same_figures() -> None:
    from itertools import permutations

    merged, _subcenter = _burst_calls()
    expected = ReportBuilder(WRAPUP).feed(merged)
    for order in permutations(merged):
        report = ReportBuilder(WRAPUP).feed(list(order))
        assert (report.total, dict(report.by_hotline), dict(report.by_mode),
                dict(report.by_queue), dict(report.by_agent)) == (
            expected.total, dict(expected.by_hotline), dict(expected.by_mode),
            dict(expected.by_queue), dict(expected.by_agent)), order


def test_the_summary_says_what_the_connection_rate_counts(tmp_path: Path) -> None:
    """Four calls reach q12345 (three answered, one gives up after 20 s), five are
    registered for a callback at once (nobody logged in), one hangs up in the greeting:
    接通率 3/10 over every call, 3/4 over the queued ones — the report says both."""
    log: list[dict[str, Any]] = []
    for n in range(4):
        cid, at = f"q{n}", f"10:0{n}:00.000"
        joined = rec(f"10:0{n}:02.000", "queue.joined", call_id=cid, queue="q12345")
        if n < 3:
            done = rec(f"10:0{n}:05.000", "queue.answered", call_id=cid, queue="q12345",
                       agent="1001", wait_s=3)
        else:
            done = rec(f"10:0{n}:22.000", "queue.abandoned", call_id=cid, queue="q12345",
                       wait_s=20)
        log += call(cid, at, "12345", "main", "12345", joined, done, end=f"10:0{n}:40.000")
    for n in range(6):
        cid, at = f"u{n}", f"11:0{n}:00.000"
        middle = [rec(f"11:0{n}:03.000", "callback.requested", call_id=cid,
                      queue="q12345")] if n < 5 else []
        log += call(cid, at, "12345", "main", "12345", *middle, end=f"11:0{n}:08.000")
    builder = ReportBuilder(WRAPUP)
    report = builder.feed(log)
    (summary,) = tables(report, builder)["summary"]
    assert (summary["呼入量"], summary["接通率%"]) == (10, "30.0")
    assert (summary["进入队列"], summary["未进入队列"], summary["其中登记回拨"],
            summary["进入队列的接通率%"]) == (4, 6, 5, "75.0")
    write_html(report, builder, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "接通率按全部 10 通来电计算；其中 4 通进入队列（接通率 75.0%" in page
    assert "6 通未进入队列（登记回拨 5 通" in page
    assert "按话务员" in page and "坐席" not in page  # one word: 话务员


def test_missed_call_callbacks_figures(tmp_path: Path) -> None:
    """漏接回拨: three missed calls (one a duplicate of a number's open task, not counted),
    two called back, one reached after 9 minutes; a reach of a task missed before the
    period does not count."""
    def line(ts: str, event: str, call_id: str, **fields: object) -> dict[str, object]:
        return {"ts": f"2026-12-07T{ts}Z", "event": event, "call_id": call_id, **fields}

    builder = ReportBuilder({}, first=date(2026, 12, 7), last=date(2026, 12, 7))
    report = builder.feed([
        line("01:00:00.000", "outbound.dialed", "callback-1-1", task=1, missed_call="old"),
        line("02:00:00.000", "callback.requested", "a", caller="13800000001", queue="q12345"),
        line("02:01:00.000", "outbound.task", "b", task=2, state="waiting"),
        line("02:02:00.000", "outbound.task", "c", task=3, state="waiting"),
        line("02:03:00.000", "outbound.task", "d", task=4, state="closed"),
        line("02:05:00.000", "outbound.dialed", "callback-1-1", task=1, missed_call="a"),
        line("02:05:30.000", "outbound.ended", "callback-1-1", task=1, outcome="busy",
             missed_call="a"),
        line("02:08:00.000", "outbound.dialed", "callback-2-1", task=2, missed_call="b"),
        line("02:10:00.000", "outbound.ended", "callback-2-1", task=2, outcome="reached",
             missed_call="b"),
        line("02:20:00.000", "outbound.ended", "callback-9-1", task=9, outcome="reached",
             missed_call="old"),
    ])
    figures = report.callbacks
    assert (figures.missed, figures.called, figures.reached) == (3, 2, 1)
    assert figures.median_s == 540.0
    summary = tables(report, builder)["summary"][0]
    assert (summary["漏接"], summary["已回拨"], summary["回拨接通"],
            summary["回拨用时中位数s"]) == (3, 2, 1, "540.0")
    page = tmp_path / "report.html"
    write_html(report, builder, page)
    assert ("漏接回拨：漏接 3 通，已回拨 2 通，回拨接通 1 通，回拨用时中位数 9.0 分钟"
            in page.read_text())
