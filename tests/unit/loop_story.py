"""A small hand-made history of the ticket loop, written through the real steps
(:mod:`callcenter.ticketflow.state`) into the real store (``FlowStore``): what the report's
loop figures are tested on. Each ticket's deadlines are worked out by hand below (the 2026
calendar: 国庆 10-01…10-07 off, Saturday 10-10 a make-up working day; default limits:
签收 1 working day, 求助 5, 咨询 2, 延期 as granted)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from callcenter.store.db import Store
from callcenter.ticketflow import state as st
from callcenter.ticketflow.limits import Limits
from callcenter.ticketflow.state import Flow, Side, Step, Transition, Who
from callcenter.ticketflow.store import MIGRATIONS, FlowStore, Matter
from callcenter.ticketflow.workdays import Calendar
from callcenter.tickets.store import TicketOpen, Tickets

RULES = st.Rules(Limits(), Calendar.of())
CENTRE = Who("wang", Side.CENTRE)
A, B, C = "城关区", "七里河区", "省住建厅"
IN_A, IN_B, IN_C = Who("li", Side.UNIT, A), Who("zhao", Side.UNIT, B), Who("sun", Side.UNIT, C)


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> float:
    """A local moment of 2026 (the report counts days in the machine's time zone)."""
    return datetime(2026, month, day, hour, minute, second).timestamp()


class Story:
    def __init__(self, store: Store, flows: FlowStore) -> None:
        self.store, self.flows = store, flows
        self.calls = 0

    async def new(self, moment: float, request_type: str = "求助") -> int:
        self.calls += 1
        ticket = await Tickets(self.store).open(TicketOpen(
            f"c{self.calls}", "13812345678", "12345", "12345", "12345热线", "", "q12345", "1001",
            datetime.fromtimestamp(moment).isoformat()))
        await self.flows.accept(
            Flow(ticket, Step.ACCEPTED, request_type, accepted_at=moment),
            Transition(ticket, moment, "wang", "accept_call", Step.ACCEPTED, Step.ACCEPTED),
            Matter())
        return ticket

    async def do(self, ticket: int,
                 step: Callable[[Flow], tuple[Flow, Transition]]) -> Flow:
        flow = await self.flows.need(ticket)
        (kept,) = await self.flows.step([(flow, *step(flow))])
        return kept


async def tell(database: Path) -> dict[str, int]:
    """The story, into a new store at ``database``: ticket ids by name."""
    store = await Store.open(database, MIGRATIONS)
    flows = FlowStore(await store.own_connection())
    try:
        return await _tell(Story(store, flows))
    finally:
        await flows.close()
        await store.close()


async def _tell(s: Story) -> dict[str, int]:
    t: dict[str, int] = {}
    # T1 (A): dispatched on 09-30, the day before 国庆: signing due at the end of 10-08, the
    # next working day; signed 10-08 (on time). 求助, 5 working days from 10-08: 10-09, 10-10
    # (Saturday, 调休), 10-12, 10-13, 10-14 → due at the end of 10-14; replied 10-14, accepted
    # 10-16 (after the deadline: the reply decides), rated 满意.
    t["T1"] = await s.new(at(9, 30, 9))
    await s.do(t["T1"], lambda f: st.dispatch(f, CENTRE, at(9, 30, 9, 30), RULES, A))
    await s.do(t["T1"], lambda f: st.sign(f, IN_A, at(10, 8, 16), RULES))
    await s.do(t["T1"], lambda f: st.reply(f, IN_A, at(10, 14, 17), "已修复"))
    await s.do(t["T1"], lambda f: st.review(f, CENTRE, at(10, 16, 10), RULES, True, ""))
    await s.do(t["T1"], lambda f: st.rate(f, CENTRE, at(10, 16, 11), RULES, "满意"))
    # T2 (A): signed 10-09 (late); 5 working days from 10-09: 10-10, 10-12 … 10-15 → due at
    # the end of 10-15 (Monday to Friday alone would give 10-16); replied 10-16 (late).
    t["T2"] = await s.new(at(9, 30, 10))
    await s.do(t["T2"], lambda f: st.dispatch(f, CENTRE, at(9, 30, 10), RULES, A))
    await s.do(t["T2"], lambda f: st.sign(f, IN_A, at(10, 9, 9), RULES))
    await s.do(t["T2"], lambda f: st.reply(f, IN_A, at(10, 16, 9), "已处理"))
    await s.do(t["T2"], lambda f: st.review(f, CENTRE, at(10, 16, 14), RULES, True, ""))
    await s.do(t["T2"], lambda f: st.rate(f, CENTRE, at(10, 16, 15), RULES, "基本满意"))
    # T3: dispatched to B 10-12, returned by B, 改派 to A (its lead unit now), signed 10-13
    # (due end of 10-13: on time), replied 10-15, sent back for 重办 10-16 (a new limit: end
    # of 10-23), replied 10-22, accepted, rated 不满意 10-23 (reopened: end of 10-30), replied
    # 10-30, accepted 11-02 (on time), rated 不满意 again (督办).
    t["T3"] = await s.new(at(10, 12, 9))
    await s.do(t["T3"], lambda f: st.dispatch(f, CENTRE, at(10, 12, 9, 10), RULES, B))
    await s.do(t["T3"], lambda f: st.give_back(f, IN_B, at(10, 12, 15), RULES, "非本单位职责"))
    await s.do(t["T3"], lambda f: st.redispatch(f, CENTRE, at(10, 12, 16), RULES, A))
    await s.do(t["T3"], lambda f: st.sign(f, IN_A, at(10, 13, 9), RULES))
    await s.do(t["T3"], lambda f: st.reply(f, IN_A, at(10, 15, 10), "已答复"))
    await s.do(t["T3"], lambda f: st.review(f, CENTRE, at(10, 16, 10), RULES, False, "重办"))
    await s.do(t["T3"], lambda f: st.reply(f, IN_A, at(10, 22, 10), "已重办"))
    await s.do(t["T3"], lambda f: st.review(f, CENTRE, at(10, 22, 15), RULES, True, ""))
    await s.do(t["T3"], lambda f: st.rate(f, CENTRE, at(10, 23, 10), RULES, "不满意"))
    await s.do(t["T3"], lambda f: st.reply(f, IN_A, at(10, 30, 10), "再次办理"))
    await s.do(t["T3"], lambda f: st.review(f, CENTRE, at(11, 2, 10), RULES, True, ""))
    await s.do(t["T3"], lambda f: st.rate(f, CENTRE, at(11, 2, 11), RULES, "不满意"))
    # T4 (C, 咨询): signed 11-02, due end of 11-04; 延期 3 working days granted → end of 11-09;
    # replied 11-09 (on time with the extension), accepted.
    t["T4"] = await s.new(at(11, 2, 9), "咨询")
    await s.do(t["T4"], lambda f: st.dispatch(f, CENTRE, at(11, 2, 9), RULES, C))
    await s.do(t["T4"], lambda f: st.sign(f, IN_C, at(11, 2, 10), RULES))
    await s.do(t["T4"], lambda f: st.ask_extension(f, IN_C, at(11, 3, 10), RULES, 3, "需现场核实"))
    await s.do(t["T4"], lambda f: st.decide_extension(f, CENTRE, at(11, 3, 11), RULES, True))
    await s.do(t["T4"], lambda f: st.reply(f, IN_C, at(11, 9, 10), "已核实"))
    await s.do(t["T4"], lambda f: st.review(f, CENTRE, at(11, 9, 11), RULES, True, ""))
    # T5 (B): dispatched 11-05 (Thursday), never signed: due at the end of 11-06.
    t["T5"] = await s.new(at(11, 5, 9))
    await s.do(t["T5"], lambda f: st.dispatch(f, CENTRE, at(11, 5, 9), RULES, B))
    # T6 (B, 咨询): signed 11-09, due at the end of 11-11, never replied.
    t["T6"] = await s.new(at(11, 9, 9), "咨询")
    await s.do(t["T6"], lambda f: st.dispatch(f, CENTRE, at(11, 9, 9), RULES, B))
    await s.do(t["T6"], lambda f: st.sign(f, IN_B, at(11, 9, 10), RULES))
    # T7: closed at the centre (直接办结), rated 满意; T8, the same matter, merged into it
    # (closes with it), rated too — counted in T7 alone.
    t["T7"], t["T8"] = await s.new(at(11, 10, 9)), await s.new(at(11, 10, 9, 1))
    main = await s.flows.need(t["T7"])
    await s.do(t["T8"], lambda f: st.merge(f, CENTRE, at(11, 10, 9, 2), main))
    main, line = st.close(main, CENTRE, at(11, 10, 9, 5), "已当场答复")
    merged = await s.flows.need(t["T8"])
    await s.flows.step([(await s.flows.need(t["T7"]), main, line),
                        (merged, *st.closed_with(merged, line))])
    await s.do(t["T7"], lambda f: st.rate(f, CENTRE, at(11, 10, 10), RULES, "满意"))
    await s.do(t["T8"], lambda f: st.rate(f, CENTRE, at(11, 10, 10, 30), RULES, "满意"))
    # T9 (B): dispatched 12-07, the report's day: signing not due yet.
    t["T9"] = await s.new(at(12, 7, 9))
    await s.do(t["T9"], lambda f: st.dispatch(f, CENTRE, at(12, 7, 9), RULES, B))
    # T10 (C, 咨询): signed 11-16, replied 11-18 (due end of 11-18), not reviewed yet.
    t["T10"] = await s.new(at(11, 16, 9), "咨询")
    await s.do(t["T10"], lambda f: st.dispatch(f, CENTRE, at(11, 16, 9), RULES, C))
    await s.do(t["T10"], lambda f: st.sign(f, IN_C, at(11, 16, 10), RULES))
    await s.do(t["T10"], lambda f: st.reply(f, IN_C, at(11, 18, 10), "已答复"))
    # T11 (A): returned the day it came, the centre has not decided yet.
    t["T11"] = await s.new(at(11, 16, 9))
    await s.do(t["T11"], lambda f: st.dispatch(f, CENTRE, at(11, 16, 9), RULES, A))
    await s.do(t["T11"], lambda f: st.give_back(f, IN_A, at(11, 16, 10), RULES, "不属本区"))
    return t


NOW = at(12, 7, 12)  # when the report is made (Monday 2026-12-07, noon)
