"""``run.py transfer …`` (a live transfer, through the engine's control socket) and
``run.py handoff`` (the hand-offs the store keeps, whether the engine runs or not)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, RenderableType
from rich.table import Table

from callcenter.actors import Actor
from callcenter.cli_kit import add_arguments, config_of, console, given, run_on_store
from callcenter.cli_tables import Column, fitted, local_time
from callcenter.commands import Commands, Handler
from callcenter.config.loader import Config
from callcenter.control.client import query
from callcenter.errors import EngineControlError
from callcenter.glossary import word
from callcenter.paths import Paths
from callcenter.store.db import Store
from callcenter.transfers.commands import HandoffList, handoff_handlers
from callcenter.transfers.destinations import destinations
from callcenter.transfers.records import TransferRecords

HANDOFF_COLUMNS = (Column("编号", key=True), Column("工单号", key=True),
                   Column("转往", key=True), Column("时间"), Column("来电号码"),
                   Column("原热线"), Column("诉求类型"), Column("主题"))


def handoffs_table(console: Console, handoffs: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = []
    for row in handoffs:
        record = row["record"]
        prefill = record.get("prefill", {})
        kind = str(prefill.get("request_type") or "")
        rows.append([str(row["id"]), str(row["ticket_id"] or ""), str(row["destination"]),
                     local_time(row["created_at"]), str(record.get("caller", "")),
                     str(record.get("origin_hotline", {}).get("number", "")),
                     word("request_type", kind) if kind else "",
                     str(prefill.get("topic") or "")])
    return fitted(console, "工单流转（转往分中心、专家座席的工单）", HANDOFF_COLUMNS, rows)



def on_store(store: Store, _config: Config) -> Mapping[str, Handler]:
    records = TransferRecords(store)
    return handoff_handlers(lambda: records)


def cmd_transfer(args: argparse.Namespace, paths: Paths) -> int:
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


def cmd_handoff(args: argparse.Namespace, paths: Paths) -> int:
    config = config_of(args, paths)

    async def show(commands: Commands, actor: Actor) -> int:
        rows = await commands.run("handoff.list", given(args, HandoffList), actor)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            console.print(handoffs_table(console, rows))
        return 0

    return run_on_store(config, paths, on_store, show)




def add_parsers(sub: Any) -> None:
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
    add_arguments(handoff, HandoffList)
    handoff.add_argument("--json", action="store_true", help="the full records as JSON")
    handoff.set_defaults(func=cmd_handoff)
