"""The ticket loop's commands, each with its arguments and who may run it: the centre
(agents and supervisors: 受理, 派单, 改派, 审核, 延期审批, 直接办结, 评价, 并单), a unit's users
(签收, 退单, 答复, 延期申请, on their own unit's tickets only), root on the server's command
line (any step). Every step is audited; a unit's user sees only their unit's tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from callcenter.actors import Actor, Role
from callcenter.arguments import (
    Arguments,
    Flag,
    Id,
    NoArguments,
    Note,
    Number,
    Prose,
    Text,
    Value,
)
from callcenter.commands import Handler, command
from callcenter.errors import CommandError, Forbidden, TicketFlowError
from callcenter.permissions import Rule
from callcenter.ticketflow.lists import Wanted
from callcenter.ticketflow.loop import CHANNELS, TicketLoop
from callcenter.ticketflow.state import RATINGS, Flow, Side, Step, Who

CENTRE = frozenset({Role.AGENT, Role.SUPERVISOR})
UNIT = frozenset({Role.UNIT})
ANYONE = CENTRE | UNIT
CHANGES_CENTRE = Rule(CENTRE, changes=True)
CHANGES_UNIT = Rule(UNIT, changes=True)


class TicketOnly(Arguments):
    ticket: Id
    """the ticket's id"""


class NewTicket(Arguments):
    channel: Text
    """how the request came: web, sms, letter, email or phone"""
    hotline: Text = "12345"
    """the hotline it was for, e.g. 12345 or 12315"""
    text: Prose
    """the request as the citizen wrote or said it"""
    caller: Text = ""
    """the citizen's phone number, when given"""


class Dispatch(TicketOnly):
    unit: Text
    """the lead unit (主办), e.g. 城关区 (`units list`)"""
    assist: Value = ()
    """assisting units (协办), a list"""
    note: Note = ""
    """a note for the unit"""


class Redispatch(TicketOnly):
    unit: Text
    """the unit it goes to now"""
    note: Note = ""
    """why"""


class WithNote(TicketOnly):
    note: Note = ""
    """a note for the ticket's history"""


class Uphold(TicketOnly):
    note: Note
    """why the return is not accepted"""


class Return(TicketOnly):
    reason: Note
    """why it is not this unit's matter"""


class Reply(TicketOnly):
    text: Prose
    """the unit's answer (attachments as text)"""


class Review(TicketOnly):
    accept: Flag
    """true: accepted, the ticket is closed; false: back for 重办"""
    note: Note = ""
    """the centre's note"""


class Extend(TicketOnly):
    days: Annotated[int, Number(60)]
    """working days asked for"""
    reason: Note
    """why"""


class Extension(TicketOnly):
    approve: Flag
    """true: granted; false: refused"""
    note: Note = ""
    """the centre's note"""


class Rate(TicketOnly):
    rating: Text
    """满意, 基本满意 or 不满意"""


class Merge(TicketOnly):
    into: Id
    """the ticket of the same matter it joins (并单)"""


class Flows(Arguments):
    unit: Text = ""
    """only this unit's (a unit's user: always their own)"""
    step: Text = ""
    """only tickets at this step (or these, by commas): accepted, dispatched, returned,
    handling, replied, closed, merged"""
    overdue: Flag = False
    """only those whose deadline has passed"""
    supervised: Flag = False
    """only those on the 督办 list: escalated (overdue, or not satisfied twice) or overdue"""
    asked: Flag = False
    """only those whose unit asked for an extension the centre has not decided yet"""
    unrated: Flag = False
    """only those closed and not rated yet (待评价)"""
    limit: Annotated[int, Number(10_000)] = 100
    """at most N"""


class Workdays(Arguments):
    date: Text
    """a date, e.g. 2026-09-30"""
    days: Annotated[int, Number(3660)]
    """working days after it"""


def who_of(actor: Actor) -> Who:
    if actor.role is Role.UNIT:
        return Who(actor.name, Side.UNIT, actor.unit)
    if actor.role is Role.ROOT:
        return Who(actor.name, Side.ROOT)
    return Who(actor.name, Side.CENTRE)


def visible(flow: Flow, actor: Actor) -> None:
    """A unit's user reads only the tickets their unit leads or assists."""
    if actor.role is Role.UNIT and actor.unit != flow.unit and actor.unit not in flow.assists:
        raise Forbidden(f"工单{flow.ticket}不是本单位承办或协办的工单")


def loop_handlers(loop: Callable[[], TicketLoop], new_ticket: Callable[
        [NewTicket, Actor], Any]) -> dict[str, Handler]:
    """``new_ticket``: enters a request that came another way (the tickets' store and the
    pre-fill are the plug-in's to give)."""

    def step(action: str, **given: Any) -> Callable[[Any, Actor], Any]:
        async def run(args: Any, actor: Actor) -> Any:
            values = {key: getattr(args, key) for key in given}
            flow = await loop().act(args.ticket, who_of(actor), action, **values)
            return loop().shown(flow)

        return run

    @command(NewTicket, CHANGES_CENTRE)
    async def new(args: NewTicket, actor: Actor) -> Any:
        if args.channel not in CHANNELS:
            raise CommandError(f"渠道须为 {'、'.join(CHANNELS)} 之一，不能是 {args.channel[:20]!r}")
        return await new_ticket(args, actor)

    @command(TicketOnly, CHANGES_CENTRE)
    async def accept(args: TicketOnly, actor: Actor) -> Any:
        return loop().shown(await loop().accept(args.ticket, who_of(actor)))

    @command(Dispatch, CHANGES_CENTRE)
    async def dispatch(args: Dispatch, actor: Actor) -> Any:
        assists = args.assist
        if isinstance(assists, str):
            assists = [assists]
        if not isinstance(assists, list | tuple) or not all(isinstance(a, str) for a in assists):
            raise CommandError('"assist" must be a list of units, e.g. ["省住建厅"]')
        flow = await loop().act(args.ticket, who_of(actor), "dispatch", unit=args.unit,
                                assists=tuple(assists), note=args.note)
        return loop().shown(flow)

    @command(TicketOnly, Rule(ANYONE))
    async def get(args: TicketOnly, actor: Actor) -> Any:
        flow = await loop().flow(args.ticket)
        visible(flow, actor)
        return loop().shown(flow)

    @command(TicketOnly, Rule(ANYONE))
    async def timeline(args: TicketOnly, actor: Actor) -> Any:
        visible(await loop().flow(args.ticket), actor)
        return await loop().timeline(args.ticket)

    @command(Flows, Rule(ANYONE | {Role.ADMIN}))
    async def flows(args: Flows, actor: Actor) -> Any:
        unit = actor.unit if actor.role is Role.UNIT else (args.unit or None)
        named = [s for s in args.step.split(",") if s] if args.step else []
        wrong = [s for s in named if s not in {s.value for s in Step}]
        if wrong:
            raise CommandError(f"step {wrong[0][:20]!r} is none of "
                               f"{', '.join(s.value for s in Step)}")
        steps = tuple(Step(s) for s in dict.fromkeys(named))
        now = loop().clock()
        return await loop().listing(Wanted(
            unit, steps, now if args.overdue else None, now if args.supervised else None,
            args.asked, args.unrated, args.limit))

    @command(TicketOnly, Rule(CENTRE))
    async def similar(args: TicketOnly, _actor: Actor) -> Any:
        return await loop().similar(args.ticket)

    @command(NoArguments, Rule(ANYONE | {Role.ADMIN}))
    async def units(_args: NoArguments, _actor: Actor) -> Any:
        return [u.as_dict() for u in loop().config().units.by_id.values()]

    @command(Workdays, Rule(ANYONE | {Role.ADMIN}))
    async def workdays(args: Workdays, _actor: Actor) -> Any:
        try:
            start = date.fromisoformat(args.date)
        except ValueError:
            raise TicketFlowError(f"{args.date[:20]!r} 不是 2026-09-30 这样的日期") from None
        calendar = loop().config().rules.calendar
        found = calendar.add(start, args.days)
        return {"date": start.isoformat(), "days": args.days, "then": found.isoformat(),
                "weekday": found.isoweekday(),
                "guessed_years": sorted(calendar.guessed)}

    @command(NoArguments, Rule(frozenset({Role.SUPERVISOR}), changes=True))
    async def scan(_args: NoArguments, _actor: Actor) -> Any:
        return {"reminded": await loop().scan(), "at": datetime.now().isoformat()}

    def stepping(arguments: type[Arguments], rule: Rule, action: str, *keys: str) -> Handler:
        return command(arguments, rule)(step(action, **dict.fromkeys(keys)))

    return {
        "ticket.new": new, "ticket.accept": accept, "ticket.dispatch": dispatch,
        "ticket.redispatch": stepping(Redispatch, CHANGES_CENTRE, "redispatch", "unit", "note"),
        "ticket.uphold": stepping(Uphold, CHANGES_CENTRE, "uphold", "note"),
        "ticket.review": stepping(Review, CHANGES_CENTRE, "review", "accept", "note"),
        "ticket.extension": stepping(Extension, CHANGES_CENTRE, "extension", "approve", "note"),
        "ticket.close": stepping(WithNote, CHANGES_CENTRE, "close", "note"),
        "ticket.rate": stepping(Rate, CHANGES_CENTRE, "rate", "rating"),
        "ticket.merge": stepping(Merge, CHANGES_CENTRE, "merge", "into"),
        "ticket.sign": stepping(TicketOnly, CHANGES_UNIT, "sign"),
        "ticket.return": stepping(Return, CHANGES_UNIT, "return", "reason"),
        "ticket.reply": stepping(Reply, CHANGES_UNIT, "reply", "text"),
        "ticket.extend": stepping(Extend, CHANGES_UNIT, "extend", "days", "reason"),
        "ticket.flow": get, "ticket.timeline": timeline, "ticket.flows": flows,
        "ticket.similar": similar, "units.list": units, "workdays.add": workdays,
        "ticket.scan": scan,
    }


__all__ = ["ANYONE", "CENTRE", "RATINGS", "loop_handlers", "visible", "who_of"]
