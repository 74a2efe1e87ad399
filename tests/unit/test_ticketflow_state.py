"""The ticket loop's pure steps: who may do what at which step, the deadlines each step
starts (working days over the official calendar), and the history line of each."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from callcenter.errors import TicketFlowConflict, TicketFlowForbidden
from callcenter.ticketflow import state as s
from callcenter.ticketflow.limits import Limits
from callcenter.ticketflow.state import Flow, Side, Step, Who
from callcenter.ticketflow.workdays import Calendar

RULES = s.Rules(Limits(), Calendar.of())
AGENT = Who("wang", Side.CENTRE)
COUNTY = Who("li", Side.UNIT, "lanzhou-chengguan")
OTHER = Who("zhao", Side.UNIT, "tianshui-qinzhou")
MON = datetime(2026, 9, 28, 10, 0).timestamp()  # Monday before the National Day holiday


def at(*args: int) -> float:
    return datetime(*args).timestamp()  # type: ignore[arg-type]


def new(request_type: str = "求助", urgent: bool = False) -> Flow:
    return Flow(7, Step.ACCEPTED, request_type, urgent, accepted_at=MON)


def test_the_whole_loop_across_the_national_day_holiday() -> None:
    flow, line = s.dispatch(new(), AGENT, MON, RULES, "lanzhou-chengguan",
                            ("lanzhou-chengguan", "gansu-rst"))
    assert (line.before, line.after, line.action) == (Step.ACCEPTED, Step.DISPATCHED, "dispatch")
    assert flow.assists == ("gansu-rst",)  # the lead unit is not its own assistant
    assert line.note == "主办：lanzhou-chengguan；协办：gansu-rst"
    assert flow.sign_due == at(2026, 9, 30)  # 1 working day: Tuesday, to midnight
    flow, line = s.sign(flow, COUNTY, at(2026, 9, 29, 9), RULES)
    # 求助: 5 working days from Tuesday 29 Sept: 30, 8, 9, 10 (make-up Saturday), 12 Oct
    assert flow.step is Step.HANDLING and flow.handle_due == at(2026, 10, 13)
    flow, line = s.reply(flow, COUNTY, at(2026, 10, 9, 15), "已协调社区上门处理")
    assert (flow.step, line.note) == (Step.REPLIED, "已协调社区上门处理")
    flow, line = s.review(flow, AGENT, at(2026, 10, 9, 16), RULES, True, "")
    assert (flow.step, line.action) == (Step.CLOSED, "accept")
    flow, line = s.rate(flow, AGENT, at(2026, 10, 10, 9), RULES, "满意")
    assert (flow.step, flow.rating, flow.supervised) == (Step.CLOSED, "满意", False)


def test_each_side_does_its_own_steps_on_its_own_tickets() -> None:
    with pytest.raises(TicketFlowForbidden, match="派单须由12345中心办理"):
        s.dispatch(new(), COUNTY, MON, RULES, "lanzhou-chengguan")
    flow, _ = s.dispatch(new(), AGENT, MON, RULES, "lanzhou-chengguan")
    with pytest.raises(TicketFlowForbidden, match="不是本单位承办的工单"):
        s.sign(flow, OTHER, MON + 60, RULES)
    with pytest.raises(TicketFlowForbidden, match="签收须由承办单位办理"):
        s.sign(flow, AGENT, MON + 60, RULES)
    with pytest.raises(TicketFlowConflict, match="当前为“待签收”，不能答复"):
        s.reply(flow, COUNTY, MON + 60, "好了")
    with pytest.raises(TicketFlowConflict, match="不能直接办结"):
        s.close(flow, AGENT, MON + 60, "")


def test_a_return_within_its_limit_goes_back_to_the_centre() -> None:
    flow, _ = s.dispatch(new(), AGENT, MON, RULES, "lanzhou-chengguan")
    with pytest.raises(TicketFlowConflict, match="须写明理由"):
        s.give_back(flow, COUNTY, MON + 60, RULES, " ")
    with pytest.raises(TicketFlowConflict, match="已过退单时限"):
        s.give_back(flow, COUNTY, at(2026, 9, 30, 0, 1), RULES, "不属本单位职责")
    back, line = s.give_back(flow, COUNTY, MON + 60, RULES, "不属本单位职责")
    assert (back.step, back.returns, line.note) == (Step.RETURNED, 1, "不属本单位职责")
    moved, line = s.redispatch(back, AGENT, MON + 120, RULES, "tianshui-qinzhou")
    assert (moved.step, moved.unit, line.action) == (Step.DISPATCHED, "tianshui-qinzhou",
                                                     "redispatch")
    kept, line = s.uphold(back, AGENT, MON + 120, RULES, "属地管理，由城关区办理")
    assert (kept.step, kept.unit) == (Step.DISPATCHED, "lanzhou-chengguan")


def test_extensions_are_asked_approved_and_limited() -> None:
    flow, _ = s.dispatch(new("投诉"), AGENT, MON, RULES, "lanzhou-chengguan")
    flow, _ = s.sign(flow, COUNTY, MON + 60, RULES)
    due = flow.handle_due
    with pytest.raises(TicketFlowConflict, match="1到10个工作日"):
        s.ask_extension(flow, COUNTY, MON + 120, RULES, 11, "需现场勘查")
    flow, line = s.ask_extension(flow, COUNTY, MON + 120, RULES, 3, "需现场勘查")
    assert line.note == "3个工作日：需现场勘查" and flow.handle_due == due
    with pytest.raises(TicketFlowConflict, match="已有待审批的延期申请"):
        s.ask_extension(flow, COUNTY, MON + 130, RULES, 3, "再延")
    with pytest.raises(TicketFlowForbidden):
        s.decide_extension(flow, COUNTY, MON + 140, RULES, True)
    flow, line = s.decide_extension(flow, AGENT, MON + 140, RULES, True)
    assert flow.extensions == 1 and flow.handle_due is not None and due is not None
    assert RULES.calendar.add(datetime.fromtimestamp(due - 1).date(), 3) == \
        datetime.fromtimestamp(flow.handle_due - 1).date()
    flow, _ = s.ask_extension(flow, COUNTY, MON + 150, RULES, 2, "再延")
    flow, line = s.decide_extension(flow, AGENT, MON + 160, RULES, False, "不予延期")
    assert (flow.extensions, flow.extension_asked, line.action) == (1, 0, "extension_refused")
    flow = replace(flow, extensions=2)
    with pytest.raises(TicketFlowConflict, match="已延期2次"):
        s.ask_extension(flow, COUNTY, MON + 170, RULES, 1, "再延")


def test_unsatisfied_reopens_once_then_goes_to_the_supervisors() -> None:
    flow, _ = s.dispatch(new(), AGENT, MON, RULES, "lanzhou-chengguan")
    flow, _ = s.sign(flow, COUNTY, MON + 60, RULES)
    flow, _ = s.reply(flow, COUNTY, MON + 120, "已处理")
    flow, _ = s.review(flow, AGENT, MON + 180, RULES, True, "")
    flow, line = s.rate(flow, AGENT, MON + 240, RULES, "不满意")
    assert (flow.step, flow.redos, flow.reopened, line.note) == (Step.HANDLING, 1, True,
                                                                 "不满意：重办")
    flow, _ = s.reply(flow, COUNTY, MON + 300, "再次处理")
    flow, _ = s.review(flow, AGENT, MON + 360, RULES, True, "")
    flow, line = s.rate(flow, AGENT, MON + 420, RULES, "不满意")
    assert (flow.step, flow.rating, flow.supervised) == (Step.CLOSED, "不满意", True)
    with pytest.raises(TicketFlowConflict, match="已评价"):
        s.rate(flow, AGENT, MON + 480, RULES, "满意")


def test_a_review_may_send_the_reply_back() -> None:
    flow, _ = s.dispatch(new(), AGENT, MON, RULES, "lanzhou-chengguan")
    flow, _ = s.sign(flow, COUNTY, MON + 60, RULES)
    flow, _ = s.reply(flow, COUNTY, MON + 120, "已处理")
    flow, line = s.review(flow, AGENT, MON + 180, RULES, False, "答复未说明处理结果")
    assert (flow.step, flow.redos, line.action) == (Step.HANDLING, 1, "redo")


def test_merged_tickets_close_with_their_main_ticket() -> None:
    main = replace(new(), ticket=8)
    merged, line = s.merge(new(), AGENT, MON, main)
    assert (merged.step, merged.merged_into, line.note) == (Step.MERGED, 8, "并入工单8")
    with pytest.raises(TicketFlowConflict):
        s.merge(new(), AGENT, MON, replace(new(), step=Step.CLOSED, ticket=9))
    main, closing = s.close(main, AGENT, MON + 60, "已当场答复")
    done, line = s.closed_with(merged, closing)
    assert (done.step, line.note, line.who) == (Step.CLOSED, "随工单8办结", "wang")


def test_reminders_come_once_per_deadline() -> None:
    flow, _ = s.dispatch(new(), AGENT, MON, RULES, "lanzhou-chengguan")
    assert flow.sign_due is not None
    assert s.remind(flow, MON + 60, RULES) is None  # green
    near = flow.sign_due - 3600
    flow, line = s.remind(flow, near, RULES) or (flow, None)
    assert line is not None and (line.action, flow.reminded) == ("remind", "near")
    assert s.remind(flow, near + 60, RULES) is None  # said already
    flow, line = s.remind(flow, flow.sign_due + 1, RULES) or (flow, None)
    assert line is not None and (line.action, flow.supervised) == ("overdue", True)
    assert s.remind(flow, flow.sign_due + 3600, RULES) is None
    flow, _ = s.sign(flow, COUNTY, flow.sign_due + 7200, RULES)  # a new deadline runs
    assert flow.reminded == "" and flow.supervised


def test_the_moment_the_scan_has_something_to_do_is_when_remind_does() -> None:
    flow, _ = s.dispatch(new(), AGENT, MON, RULES, "lanzhou-chengguan")
    # to sign by Wednesday 0:00, 38 h after Monday 10:00: yellow with a quarter (9.5 h) left
    assert s.remind_at(flow, RULES.limits) == at(2026, 9, 29, 14, 30)
    assert s.remind(flow, at(2026, 9, 29, 14, 29), RULES) is None
    flow, line = s.remind(flow, at(2026, 9, 29, 14, 31), RULES) or (flow, None)
    assert line is not None and s.remind_at(flow, RULES.limits) == at(2026, 9, 30)
    assert s.remind(flow, at(2026, 9, 29, 23, 59), RULES) is None
    flow, line = s.remind(flow, at(2026, 9, 30, 0, 1), RULES) or (flow, None)
    assert line is not None and s.remind_at(flow, RULES.limits) is None  # 督办 said
    flow, _ = s.sign(flow, COUNTY, at(2026, 9, 30, 9), RULES)
    # to handle by 14 Oct 0:00 (8, 9, 10, 12, 13 Oct); the light counts from the dispatch:
    # 374 h, a quarter of it 93.5 h
    assert s.remind_at(flow, RULES.limits) == at(2026, 10, 10, 2, 30)
    flow, _ = s.reply(flow, COUNTY, at(2026, 10, 9, 9), "已处理")
    assert s.remind_at(flow, RULES.limits) == at(2026, 10, 10, 2, 30)  # the centre's turn
    flow, _ = s.review(flow, AGENT, at(2026, 10, 9, 10), RULES, True, "")
    assert s.remind_at(flow, RULES.limits) is None


def test_an_urgent_ticket_counts_hours() -> None:
    flow, _ = s.dispatch(new(urgent=True), AGENT, MON, RULES, "lanzhou-chengguan")
    assert flow.sign_due == MON + 2 * 3600
    flow, _ = s.sign(flow, COUNTY, MON + 600, RULES)
    assert flow.handle_due == MON + 600 + 24 * 3600
