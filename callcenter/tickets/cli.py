"""``run.py ticket …`` and ``run.py prefill``: tickets on the store (whether the engine runs
or not), and the pre-fill of a transcript given on standard input."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, RenderableType

from callcenter.actors import Actor
from callcenter.cli_kit import config_of, console, group, row_id_arg, run_on_store
from callcenter.cli_tables import Column, fitted, local_time
from callcenter.commands import Commands, Handler
from callcenter.config.loader import Config
from callcenter.glossary import word
from callcenter.paths import Paths
from callcenter.store.db import Store
from callcenter.tickets.commands import ticket_handlers
from callcenter.tickets.store import Tickets

TICKET_COLUMNS = (Column("工单号", key=True), Column("来电编号", key=True),
                  Column("拨打号码", key=True), Column("热线名称"),
                  Column("话务员", key=True), Column("开始时间"), Column("结束时间"))
TICKET_KEYS = ("id", "call_id", "dialed", "hotline_name", "agent")


def tickets_table(console: Console, tickets: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [[*(str(t[k] or "") for k in TICKET_KEYS), local_time(t["opened_at"]),
             local_time(t["closed_at"])] for t in tickets]
    return fitted(console, word("term", "ticket"), TICKET_COLUMNS, rows)



def on_store(store: Store, _config: Config) -> Mapping[str, Handler]:
    tickets = Tickets(store)
    return ticket_handlers(lambda: tickets)


def cmd_ticket(args: argparse.Namespace, paths: Paths) -> int:
    if args.ticket_action == "show" and args.id is None:
        print("error: which ticket? `ticket show <id>` (`ticket list` shows the latest)",
              file=sys.stderr)
        return 2
    config = config_of(args, paths)

    async def show(commands: Commands, actor: Actor) -> int:
        if args.ticket_action == "list":
            rows = await commands.run("ticket.list", {"limit": args.limit}, actor)
            console.print(tickets_table(console, rows))
            return 0
        ticket = await commands.run("ticket.get", {"ticket": args.id}, actor)
        print(json.dumps(ticket, ensure_ascii=False, indent=2))
        return 0

    return run_on_store(config, paths, on_store, show)



def cmd_prefill(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter.prefill import extract

    rules = config_of(args, paths).prefill
    utterances = [line for line in sys.stdin.read().splitlines() if line.strip()]
    if not utterances:
        print("error: no transcript on standard input (plain text, one utterance per line)",
              file=sys.stderr)
        return 2
    print(json.dumps(extract(utterances, rules).as_dict(), ensure_ascii=False))
    return 0


def add_parsers(sub: Any) -> None:
    ticket = group(sub, "ticket", "tickets (工单): of answered calls, and their way through the "
                   "closed loop")
    show = ticket.add_parser("show", help="a ticket, as JSON")
    show.add_argument("id", nargs="?", type=row_id_arg, help="ticket id")
    listing = ticket.add_parser("list", help="the latest tickets")
    listing.add_argument("--limit", type=row_id_arg, default=20, help="how many")
    for parser in (show, listing):
        parser.set_defaults(func=cmd_ticket)
    prefill = sub.add_parser("prefill", help="ticket fields from a transcript on stdin "
                             "(one utterance per line) as one JSON object")
    prefill.set_defaults(func=cmd_prefill)
