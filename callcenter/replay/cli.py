"""``run.py replay`` (a call log through the engine's decision code, compared with what was
recorded) and ``run.py report`` (the service figures of GB/T 33358-2016 from a call log, and
the sections the capabilities add from the store: the composition root gives their sources)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from rich.table import Table

from callcenter.cli_kit import config_of, console
from callcenter.paths import Paths
from callcenter.reports.sections import Section, SectionSource


def cmd_replay(args: argparse.Namespace, paths: Paths) -> int:
    from datetime import datetime

    from rich.progress import BarColumn, Progress, TimeRemainingColumn

    from callcenter.config.loader import config_hash
    from callcenter.replay.compare import Divergence
    from callcenter.replay.runner import Replayer

    path = Path(args.log)
    if not path.is_file():
        print(f"error: no call log at {path}", file=sys.stderr)
        return 2
    config = config_of(args, paths)
    shown = 0

    def divergence(found: Divergence) -> None:
        nonlocal shown
        if args.call and found.key != f"call {args.call}":
            return
        shown += 1
        if shown <= args.show:
            console.print(f"[red]divergence[/red] {found.describe()}", highlight=False)

    speed = None if args.max else args.speed
    with Progress("[progress.description]{task.description}", BarColumn(),
                  "[progress.percentage]{task.percentage:>3.0f}%", TimeRemainingColumn(),
                  console=console, transient=True,
                  disable=args.no_progress or not console.is_terminal) as progress:
        task = progress.add_task(f"replaying {path.name}", total=path.stat().st_size)
        replayer = Replayer(config, config_hash(config.directory), speed=speed,
                            only_call=args.call,
                            on_progress=lambda done: progress.update(task, completed=done),
                            on_divergence=divergence)
        result = asyncio.run(replayer.run_file(path))
    for bad in result.bad_lines:
        console.print(f"[yellow]line {bad.number} skipped:[/yellow] {bad.problem}",
                      highlight=False)
    if result.config_warning:
        console.print(f"[yellow]warning:[/yellow] {result.config_warning}", highlight=False)
    if args.call:
        table = Table(title=f"call {args.call}")
        for column in ("time", "party", "event", "decision"):
            table.add_column(column)
        for ts, party, event, detail in result.timeline:
            table.add_row(datetime.fromtimestamp(ts).strftime("%H:%M:%S.%f")[:-3], party,
                          event, detail)
        console.print(table)
    divergences = [d for d in result.divergences
                   if not args.call or d.key == f"call {args.call}"]
    if shown > args.show:
        console.print(f"… {shown - args.show} more divergences not shown (--show N)")
    console.print(
        f"replayed {result.lines} lines: {result.calls} calls, {result.frames} AMI frames, "
        f"{result.agi_requests} FastAGI requests; decisions recorded "
        f"{result.recorded_decisions}, replayed {result.replayed_decisions}; "
        f"divergences {len(divergences)}; bad lines {len(result.bad_lines)}; "
        f"{result.log_span_s:.0f} s of log in {result.wall_s:.1f} s "
        f"({result.speed:.0f}× real time)", highlight=False)
    return 1 if divergences else 0


def cmd_report(args: argparse.Namespace, paths: Paths,
               sources: Sequence[SectionSource] = ()) -> int:
    from datetime import date

    from callcenter.replay.reader import LogLine, read_log
    from callcenter.reports.figures import ReportBuilder
    from callcenter.reports.render import TITLES, tables, write_csv, write_html
    from callcenter.reports.sections import Period, sections_of

    config = config_of(args, paths)
    path = Path(args.log) if args.log else paths.own(config.engine.paths.call_log)
    if not path.is_file():
        print(f"错误：找不到话单文件 {path}", file=sys.stderr)
        return 2
    try:
        first = date.fromisoformat(args.from_date) if args.from_date else None
        last = date.fromisoformat(args.to_date) if args.to_date else None
    except ValueError as exc:
        print(f"错误：日期应写作 年-月-日，如 2026-11-30（{exc}）", file=sys.stderr)
        return 2
    builder = ReportBuilder({n: q.wrapup_s for n, q in config.queues.queues.items()},
                            first, last)
    bad = 0

    def records() -> Any:
        nonlocal bad
        for item in read_log(path):
            if isinstance(item, LogLine):
                yield item.record
            else:
                bad += 1

    report = builder.feed(records())
    database = paths.own(config.engine.paths.database)
    sections: list[Section] = []
    if database.is_file():  # the ticket store, where this machine has one
        from callcenter.reports.tickets import ticket_figures

        figures = asyncio.run(ticket_figures(database, first, last))
        report.tickets, report.handoffs = figures.tickets, figures.handoffs
        sections = asyncio.run(sections_of(database, sources,
                                           Period(first, last, time.time())))
    data = tables(report, builder)
    summary = Table(title=TITLES["summary"])
    summary.add_column("指标")
    summary.add_column("数值", justify="right")
    for key, value in data["summary"][0].items():
        summary.add_row(str(key), str(value))
    console.print(summary)
    modes = Table(title=TITLES["by_mode"])
    for column in ("名称", "呼入量", "人工接通", "放弃", "接通率%", "15秒接通率%", "平均应答s"):
        modes.add_column(column, justify="right")
    for row in data["by_mode"]:
        modes.add_row(*(str(row[c]) for c in ("名称", "呼入量", "人工接通", "放弃", "接通率%",
                                              "15秒接通率%", "平均应答s")))
    console.print(modes)
    for section in sections:
        _print_section(section)
    if bad:
        console.print(f"[yellow]跳过 {bad} 行无法读取的记录[/yellow]")
    if args.csv:
        for written in write_csv(report, builder, Path(args.csv), sections):
            print(f"已写入 {written}")
    if args.html:
        write_html(report, builder, Path(args.html), sections)
        print(f"已写入 {args.html}")
    return 0


def _print_section(whole: Section) -> None:
    section = whole.brief or whole  # (a table too wide for a console has a brief form)
    table = Table(title=section.title)
    for n, column in enumerate(section.columns):
        table.add_column(column, justify="left" if n == 0 else "right", overflow="fold",
                         no_wrap=n == 0)
    for row in section.rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
    for line in section.footnote:
        console.print(f"[dim]{line}[/dim]", highlight=False)


def add_parsers(sub: Any, sections: Sequence[SectionSource] = ()) -> None:
    """``sections``: the sources of the report's sections (the composition root's)."""
    replay = sub.add_parser("replay", help="replay a call log through the engine's decision "
                            "code (no Asterisk) and compare with what was recorded")
    replay.add_argument("log", help="a call log (JSON lines), e.g. var/log/calls.jsonl")
    replay.add_argument("--call", help="only this call: its timeline and divergences")
    pace = replay.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, default=None,
                      help="play at N× real time (default: as fast as possible)")
    pace.add_argument("--max", action="store_true", help="as fast as possible (default)")
    replay.add_argument("--show", type=int, default=20, help="divergences printed in full")
    replay.add_argument("--no-progress", action="store_true")
    replay.set_defaults(func=cmd_replay)
    report = sub.add_parser("report", help="service figures (GB/T 33358-2016) from a call "
                            "log: console summary, --html page with plots, --csv for the "
                            "province")
    report.add_argument("log", nargs="?", help="the call log (default: engine.yaml's)")
    report.add_argument("--from", dest="from_date", help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="to_date", help="last day, YYYY-MM-DD")
    report.add_argument("--html", help="write the HTML report here")
    report.add_argument("--csv", help="write CSV files into this directory")
    report.set_defaults(func=partial(cmd_report, sources=tuple(sections)))
