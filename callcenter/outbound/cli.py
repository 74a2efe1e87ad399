"""``run.py callbacks list [--open] [--limit N] [--json]``: the callback tasks (id, hotline,
queue, state, attempts with their outcomes; the number masked); ``run.py callbacks cancel
ID``: a waiting task closed (已取消). Through the one command layer on the store (audited),
whether the engine runs or not."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from callcenter.actors import Actor
from callcenter.cli_kit import config_of, console, group, row_id_arg, run_on_store
from callcenter.cli_tables import Column, fitted
from callcenter.commands import Commands, Handler
from callcenter.config.loader import Config
from callcenter.outbound.commands import handlers
from callcenter.outbound.store import MIGRATIONS, TaskStore
from callcenter.paths import Paths
from callcenter.store.db import Store

COLUMNS = (Column("编号", key=True), Column("来电号码", key=True), Column("热线", key=True),
           Column("队列", key=True), Column("状态", key=True), Column("原因"), Column("回拨记录"),
           Column("下次拨打"))


def _when(ts: float | None) -> str:
    return "" if not ts else datetime.fromtimestamp(ts).strftime("%m-%d %H:%M")


def _row(task: Mapping[str, Any]) -> list[str]:
    attempts = "，".join(f"{a['number']}:{a['outcome_text'] or '进行中'}"
                        for a in task["attempts"])
    state = task["state_text"] + (f"（{task['closed_text']}）" if task["closed_text"] else "")
    return [str(task["id"]), task["caller"], task["hotline"], task["queue"], state,
            task["reason_text"], attempts, _when(task["next_at"]) if task["state"] == "waiting"
            else ""]


def cmd_list(args: argparse.Namespace, paths: Paths) -> int:
    return _run(args, paths, "callback.tasks", {"open": args.open, "limit": args.limit})


def cmd_cancel(args: argparse.Namespace, paths: Paths) -> int:
    return _run(args, paths, "callback.cancel", {"callback": args.id})


def _run(args: argparse.Namespace, paths: Paths, name: str, given: dict[str, Any]) -> int:
    config = config_of(args, paths)
    opened: list[Store] = []

    def on_store(store: Store, _config: Config) -> Mapping[str, Handler]:
        opened.append(store)
        return handlers(lambda: kept[0] if kept else None)

    kept: list[TaskStore] = []

    async def show(commands: Commands, actor: Actor) -> int:
        kept.append(TaskStore(await opened[0].own_connection()))
        try:
            result = await commands.run(name, given, actor)
        finally:
            await kept[0].close()
        if name == "callback.cancel":
            print(f"回拨任务 {result['id']}：{result['state_text']}")
        elif args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            console.print(fitted(console, "回拨任务", COLUMNS, [_row(t) for t in result]))
        return 0

    return run_on_store(config, paths, on_store, show, MIGRATIONS,
                        as_user=getattr(args, "as_user", "") or "")


def add_parsers(sub: Any) -> None:
    callbacks = group(sub, "callbacks", "missed-call callbacks (漏接回拨)")
    listing = callbacks.add_parser("list", help="the callback tasks, newest first")
    listing.add_argument("--open", action="store_true", help="only those still to call")
    listing.add_argument("--limit", type=int, default=200)
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--as", dest="as_user", default="", metavar="NAME",
                         help="act as this user (their role's rules apply)")
    listing.set_defaults(func=cmd_list)
    cancel = callbacks.add_parser("cancel", help="close a waiting task (已取消)")
    cancel.add_argument("id", type=row_id_arg, help="callback task id")
    cancel.add_argument("--as", dest="as_user", default="", metavar="NAME",
                        help="act as this user (their role's rules apply)")
    cancel.set_defaults(func=cmd_cancel)
