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

from rich.console import Console
from rich.table import Table

from callcenter.cli_tables import (
    agents_table,
    calls_table,
    queues_table,
)
from callcenter.config.loader import Config, collect, load_config
from callcenter.errors import CallCenterError, ConfigError, EngineControlError
from callcenter.paths import Paths
from callcenter.plugins import COMMAND_LINES, CONFIG_CHECKS
from callcenter.secrets import load_secrets

console = Console()
err = Console(stderr=True)


def config_of(args: argparse.Namespace, paths: Paths) -> Config:
    """The configuration the command line names (``--config DIR``, default ``config/``)."""
    return load_config(Path(args.config) if args.config else paths.config, CONFIG_CHECKS)


def cmd_check_config(args: argparse.Namespace, paths: Paths) -> int:
    directory = Path(args.directory or args.config or paths.config)
    config, problems = collect(directory, CONFIG_CHECKS)
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
    from callcenter.pbx.process import AsteriskProcess

    config = config_of(args, paths)
    return AsteriskProcess(paths, config, load_secrets(paths.secrets, config.sip_endpoints))


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
    config, problems = collect(directory, CONFIG_CHECKS)
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
    from callcenter.pbx.process import read_pid

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
    for add_parsers in COMMAND_LINES:  # each capability's sub-commands
        add_parsers(sub)
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
