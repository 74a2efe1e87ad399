"""``run.py supervise …`` and ``run.py monitor …``: a supervisor's commands from the engine's
machine, through the control socket (as root: ``monitor start`` names whose softphone is
called), answered as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from callcenter.arguments import Arguments, NoArguments
from callcenter.cli_kit import add_arguments, given
from callcenter.errors import EngineControlError
from callcenter.paths import Paths
from callcenter.supervision.commands import (
    MaybeReason,
    MonitorStart,
    Reason,
    SessionMode,
    SessionOnly,
)
from callcenter.supervision.model import MonitorMode

TIMEOUT_S = 15.0


def _skills(pairs: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for pair in pairs:
        queue, equals, penalty = pair.partition("=")
        if not equals or not penalty.isdigit():
            raise ValueError(f"{pair!r} 应写作 队列=penalty，如 q12345=0（0 专家 … 4 基础）")
        out[queue] = int(penalty)
    return out


MONITOR: dict[str, type[Arguments]] = {"start": MonitorStart, "mode": SessionMode,
                                       "stop": SessionOnly, "list": NoArguments}
SUPERVISE: dict[str, type[Arguments]] = {"pause": Reason, "unpause": MaybeReason,
                                         "logout": Reason}


def _request(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    if args.command == "monitor":
        action = args.monitor_action
        return f"monitor.{action}", given(args, MONITOR[action])
    action = args.supervise_action
    if action == "skills":
        return "supervise.skills", {"agent": args.agent, "skills": _skills(args.skills)}
    if action == "move":
        moved = {"call": args.call, "queue": args.queue, "position": args.position,
                 "to_queue": args.to}
        return "supervise.move_caller", {k: v for k, v in moved.items() if v}
    return f"supervise.{action}", given(args, SUPERVISE[action])


def cmd_supervision(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter.control.client import query

    try:
        name, given = _request(args)
        result = query(paths.control_socket, name, timeout=TIMEOUT_S, **given)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except EngineControlError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


def add_parsers(sub: Any) -> None:
    supervise = sub.add_parser("supervise", help="a supervisor's control of agents and "
                               "waiting callers (the agent is shown the reason)")
    actions = supervise.add_subparsers(dest="supervise_action", required=True)
    for action, what in (("pause", "pause an agent"), ("unpause", "let an agent answer "
                         "again"), ("logout", "log an agent out of their queues")):
        add_arguments(actions.add_parser(action, help=what), SUPERVISE[action],
                      positional=("agent",))
    skills = actions.add_parser("skills", help="an agent's queues for the rest of the shift "
                                "(not written to agents.yaml)")
    skills.add_argument("agent")
    skills.add_argument("skills", nargs="+", metavar="QUEUE=PENALTY",
                        help="e.g. q12345=0 q12315=2 (penalty 0 expert … 4 basic)")
    move = actions.add_parser("move", help="a waiting caller into another queue")
    move.add_argument("--call", help="the call's id")
    move.add_argument("--queue", help="the queue the caller waits in (with --position)")
    move.add_argument("--position", help="1: the first in line")
    move.add_argument("--to", required=True, help="the other queue")
    supervise.set_defaults(func=cmd_supervision)

    monitor = sub.add_parser("monitor", help="listen to, whisper into or barge into an "
                             "agent's call from a supervisor's softphone")
    steps = monitor.add_subparsers(dest="monitor_action", required=True)
    modes = {"mode": [m.value for m in MonitorMode]}
    start = steps.add_parser("start", help="call the supervisor's softphone into the call")
    add_arguments(start, MonitorStart, positional=("agent",), skip=("supervisor",),
                  choices={**modes, "device": ["sip", "webrtc"]})
    start.add_argument("--supervisor", required=True,  # root names whose softphone rings
                       help="whose softphone rings (agents.yaml supervisors:)")
    add_arguments(steps.add_parser("mode", help="switch a session's mode"), SessionMode,
                  positional=("session", "mode"), choices=modes)
    add_arguments(steps.add_parser("stop", help="end a session (hangs up the supervisor's "
                                   "leg)"), SessionOnly, positional=("session",))
    steps.add_parser("list", help="the live sessions")
    monitor.set_defaults(func=cmd_supervision)
