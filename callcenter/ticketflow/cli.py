"""``run.py ticket new|accept|dispatch|sign|return|redispatch|uphold|reply|review|extend|
close|rate|merge|timeline|similar`` (the ticket loop's steps; ``ticket list`` gains
``--unit --state --overdue --json``), ``run.py units list`` and ``run.py workdays add DATE N``.
They run on the store through the one command layer, as root or, with ``--as NAME``, as that
user (their role's rules apply; the audit row names them)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from callcenter.actors import Actor
from callcenter.cli_kit import config_of, console, group, row_id_arg, run_on_store
from callcenter.cli_tables import Column, fitted
from callcenter.commands import Commands, Handler
from callcenter.config.loader import Config
from callcenter.glossary import word
from callcenter.paths import Paths
from callcenter.routing.decide import Router
from callcenter.store.db import Store
from callcenter.ticketflow.commands import RATINGS, NewTicket, loop_handlers
from callcenter.ticketflow.entered import enter
from callcenter.ticketflow.files import read_loop_config
from callcenter.ticketflow.lists import FlowLists
from callcenter.ticketflow.loop import CHANNELS, TicketLoop
from callcenter.ticketflow.schema import MIGRATIONS
from callcenter.ticketflow.state import Step
from callcenter.ticketflow.store import FlowStore
from callcenter.tickets.store import Tickets

Run = Callable[[argparse.Namespace, Paths], int]
FLOW_COLUMNS = (Column("工单号", key=True), Column("状态", key=True), Column("承办单位", key=True),
                Column("诉求类型"), Column("期限"), Column("红黄灯", key=True), Column("督办"))


def _on_store(opened: list[tuple[TicketLoop, Store]],
              ) -> Callable[[Store, Config], Mapping[str, Handler]]:
    def on_store(store: Store, config: Config) -> Mapping[str, Handler]:
        loop_config = read_loop_config(config.directory)[0]
        loop = TicketLoop(lambda: loop_config, lambda: datetime.now().timestamp(),
                          lambda _event, _ts: None)
        loop.tickets = Tickets(store)
        opened.append((loop, store))
        router = Router.of(config.hotlines, config.queues)

        async def new_ticket(args: NewTicket, actor: Actor) -> Any:
            assert loop.tickets is not None
            return await enter(loop, loop.tickets, router, config, args, actor)

        return loop_handlers(lambda: loop, new_ticket)

    return on_store


def _run(args: argparse.Namespace, paths: Paths, name: str, given: dict[str, Any]) -> int:
    config = config_of(args, paths)
    opened: list[tuple[TicketLoop, Store]] = []

    async def show(commands: Commands, actor: Actor) -> int:
        loop, store = opened[0]
        loop.flows = FlowStore(await store.own_connection(), loop.limits)
        loop.lists = FlowLists(await store.own_connection())
        try:
            result = await commands.run(name, given, actor)
        finally:
            await loop.flows.close()
            await loop.lists.close()
        _print(args, name, result)
        return 0

    return run_on_store(config, paths, _on_store(opened), show, MIGRATIONS,
                        as_user=getattr(args, "as_user", "") or "")


def _print(args: argparse.Namespace, name: str, result: Any) -> None:
    if getattr(args, "json", False) or name not in ("ticket.flows", "units.list",
                                                    "ticket.timeline", "workdays.add",
                                                    "ticket.new"):
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if name == "ticket.new":
        _print_new(result)
    elif name == "ticket.flows":
        rows = [[str(r["ticket"]), word("ticket_step", r["step"]), r["unit"],
                 r["request_type"], _when(r["due"]),
                 word("ticket_light", r["light"]) if r["light"] else "",
                 "是" if r["supervised"] else ""] for r in result]
        console.print(fitted(console, "工单", FLOW_COLUMNS, rows))
    elif name == "units.list":
        for unit in result:
            print(f"{unit['id']}\t{unit['name']}\t{unit['level']}\t{unit['parent']}")
    elif name == "ticket.timeline":
        for line in result:
            print(f"{_when(line['at'])}  {line['who']}  {word('ticket_action', line['action'])}"
                  f"  {word('ticket_step', line['before'])} → {word('ticket_step', line['after'])}"
                  f"  {line['note']}")
    else:
        print(result["then"])
        if result["guessed_years"]:
            print(f"warning: no holiday data for {result['guessed_years']}: counted Monday to "
                  "Friday (config/holidays.yaml)", file=sys.stderr)


def _when(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _print_new(result: Mapping[str, Any]) -> None:
    print(f"ticket: {result['ticket']}")
    suggested = result.get("suggested")
    if suggested:
        assists = "、".join(suggested["assists"])
        print(f"建议派单：{suggested['unit']}" + (f"（协办：{assists}）" if assists else ""))
    for other in result.get("similar", []):
        print(f"可能为同一事项（可并单）：工单 {other['ticket']}，"
              f"{word('ticket_step', other['step'])}，{other['unit'] or '未派单'}，"
              f"{other['topic']} {other['place']}，受理于 {_when(other['accepted_at'])}")


# -- the sub-commands -----------------------------------------------------------------------

STEPS: dict[str, tuple[str, tuple[tuple[str, dict[str, Any]], ...]]] = {
    # sub-command: (help, its options beside the ticket id)
    "accept": ("受理: a ticket into the loop", ()),
    "dispatch": ("派单 to a lead unit, with assisting units", (
        ("--unit", {"required": True}), ("--assist", {"action": "append", "default": []}),
        ("--note", {"default": ""}))),
    "sign": ("签收 (a unit)", ()),
    "return": ("退单 (a unit): not its matter", (("--reason", {"required": True}),)),
    "redispatch": ("改派 a returned ticket", (("--unit", {"required": True}),
                                           ("--note", {"default": ""}))),
    "uphold": ("维持派单: the return is not accepted", (("--note", {"required": True}),)),
    "reply": ("答复 (a unit)", (("--text", {"required": True}),)),
    "review": ("审核 a reply", (("--note", {"default": ""}),)),
    "extend": ("延期: a unit asks (--days N --reason R), the centre decides "
               "(--approve/--refuse)", (("--days", {"type": int}), ("--reason", {"default": ""}),
                                        ("--note", {"default": ""}))),
    "close": ("直接答复: closed at the centre", (("--note", {"default": ""}),)),
    "rate": ("评价: 满意, 基本满意 or 不满意", (("rating", {"choices": list(RATINGS)}),)),
    "merge": ("并单 into another ticket of the same matter", (
        ("--into", {"type": row_id_arg, "required": True}),)),
    "timeline": ("the ticket's history, one line per step", ()),
    "similar": ("open tickets of the same matter (并单 candidates)", ()),
}


def cmd_step(args: argparse.Namespace, paths: Paths) -> int:
    action = args.ticket_action
    given: dict[str, Any] = {"ticket": args.id}
    name = f"ticket.{action}"
    if action == "dispatch":
        given.update(unit=args.unit, assist=args.assist, note=args.note)
    elif action in ("redispatch",):
        given.update(unit=args.unit, note=args.note)
    elif action in ("uphold", "close"):
        given.update(note=args.note)
    elif action == "return":
        given.update(reason=args.reason)
    elif action == "reply":
        given.update(text=args.text)
    elif action == "review":
        if args.accept is None:
            print("error: review needs --accept or --redo", file=sys.stderr)
            return 2
        given.update(accept=args.accept, note=args.note)
    elif action == "extend":
        if args.decision is not None:
            name = "ticket.extension"
            given.update(approve=args.decision, note=args.note)
        elif args.days is None:
            print("error: extend needs --days N --reason R (a unit) or --approve/--refuse",
                  file=sys.stderr)
            return 2
        else:
            given.update(days=args.days, reason=args.reason)
    elif action == "rate":
        given.update(rating=args.rating)
    elif action == "merge":
        given.update(into=args.into)
    elif action == "timeline":
        name = "ticket.timeline"
    elif action == "similar":
        name = "ticket.similar"
    return _run(args, paths, name, given)


def cmd_new(args: argparse.Namespace, paths: Paths) -> int:
    return _run(args, paths, "ticket.new", {"channel": args.channel, "hotline": args.hotline,
                                            "text": args.text, "caller": args.caller})


def cmd_units(args: argparse.Namespace, paths: Paths) -> int:
    return _run(args, paths, "units.list", {})


def cmd_workdays(args: argparse.Namespace, paths: Paths) -> int:
    return _run(args, paths, "workdays.add", {"date": args.date, "days": args.days})


def _as(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="as_user", default="",
                        help="act as this user (their role's rules apply)")


def add_parsers(sub: Any) -> None:
    ticket = group(sub, "ticket", "tickets (工单)")
    new = ticket.add_parser("new", help="受理 a request that came another way")
    new.add_argument("--channel", choices=[c for c in CHANNELS], required=True)
    new.add_argument("--hotline", default="12345")
    new.add_argument("--text", required=True)
    new.add_argument("--caller", default="", help="the citizen's phone number")
    _as(new)
    new.set_defaults(func=cmd_new)
    for action, (text, options) in STEPS.items():
        parser = ticket.add_parser(action, help=text)
        parser.add_argument("id", type=row_id_arg, help="ticket id")
        for flag, option in options:
            parser.add_argument(flag, **option)
        if action == "review":
            decided = parser.add_mutually_exclusive_group()
            decided.add_argument("--accept", dest="accept", action="store_true", default=None)
            decided.add_argument("--redo", dest="accept", action="store_false")
        if action == "extend":
            decided = parser.add_mutually_exclusive_group()
            decided.add_argument("--approve", dest="decision", action="store_true",
                                 default=None)
            decided.add_argument("--refuse", dest="decision", action="store_false")
        _as(parser)
        parser.set_defaults(func=cmd_step)
    _extend_list(ticket)
    units = group(sub, "units", "the units that handle tickets (承办单位)")
    listing = units.add_parser("list", help="id, name, level, parent")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_units)
    workdays = group(sub, "workdays", "working days (法定节假日与调休)")
    add = workdays.add_parser("add", help="the date N working days after DATE")
    add.add_argument("date")
    add.add_argument("days", type=int)
    add.set_defaults(func=cmd_workdays)


def _extend_list(ticket: Any) -> None:
    """``ticket list`` lists the loop's tickets when asked by unit, step or deadline."""
    listing = ticket.choices["list"]
    plain: Run = listing.get_default("func")
    listing.add_argument("--unit", default="", help="only this unit's tickets (the loop)")
    listing.add_argument("--state", choices=[s.value for s in Step], default="",
                         help="only tickets at this step (the loop)")
    listing.add_argument("--overdue", action="store_true", help="only overdue ones (the loop)")
    listing.add_argument("--json", action="store_true")
    _as(listing)

    def listed(args: argparse.Namespace, paths: Paths) -> int:
        if not (args.unit or args.state or args.overdue or args.json or args.as_user):
            return plain(args, paths)
        return _run(args, paths, "ticket.flows", {"unit": args.unit, "step": args.state,
                                                  "overdue": args.overdue,
                                                  "limit": args.limit})

    listing.set_defaults(func=listed)
