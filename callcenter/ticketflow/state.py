"""A ticket's way through the closed loop (受理 → 派单 → 签收 → 办理 → 答复 → 审核 → 办结 → 评价),
pure: a ticket's :class:`Flow` and a request (who asks what, when) give the new flow and the
:class:`Transition` that the store appends to the ticket's history — or an error saying why
not (the step forbids it now: 409; the person may not: 403). Time is passed in; deadlines come
from :class:`~.limits.Limits` over the working-day calendar.

The steps (one Chinese word each, :data:`callcenter.glossary.GLOSSARY` ``ticket_step``):
accepted 已受理 (at the centre) → dispatched 待签收 (at a unit) → handling 办理中 → replied 待审核
→ closed 已办结; returned 退单待审 (the unit says it is not theirs: the centre re-dispatches or
upholds); merged 已并单 (another ticket of the same matter carries it; closed with it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from callcenter.errors import TicketFlowConflict, TicketFlowForbidden
from callcenter.glossary import GLOSSARY
from callcenter.ticketflow.limits import Limits
from callcenter.ticketflow.workdays import Calendar


class Step(StrEnum):
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    RETURNED = "returned"
    HANDLING = "handling"
    REPLIED = "replied"
    CLOSED = "closed"
    MERGED = "merged"


class Side(StrEnum):
    """Who acts in the loop: the 12345 centre, a unit (承办单位), the engine's own scan."""

    CENTRE = "centre"
    UNIT = "unit"
    ENGINE = "engine"
    ROOT = "root"  # the server's command line: any step of either side


RATINGS = ("满意", "基本满意", "不满意")
UNSATISFIED = "不满意"


@dataclass(frozen=True, slots=True)
class Flow:
    """A ticket's place in the loop (what the store keeps beside the ticket)."""

    ticket: int
    step: Step
    request_type: str  # 咨询 求助 投诉 举报 意见建议 (the limits' key)
    urgent: bool = False
    accepted_at: float = 0.0
    unit: str = ""  # the lead unit (主办)
    assists: tuple[str, ...] = ()  # assisting units (协办)
    dispatched_at: float | None = None
    sign_due: float | None = None
    handle_due: float | None = None
    returns: int = 0
    extensions: int = 0
    extension_asked: int = 0  # working days asked for, awaiting the centre (0: none)
    redos: int = 0  # 重办: sent back by a review or by an unsatisfied rating
    reopened: bool = False  # an unsatisfied rating reopened it once
    rating: str = ""
    supervised: bool = False  # on the supervisors' 督办 list
    reminded: str = ""  # the last reminder: "", "near" (催办) or "overdue" (督办)
    merged_into: int | None = None
    version: int = 0  # the store's: two people acting at once, one wins

    def due(self) -> float | None:
        """The deadline running now (signing, then handling)."""
        if self.step is Step.DISPATCHED:
            return self.sign_due
        if self.step in (Step.HANDLING, Step.REPLIED):
            return self.handle_due
        return None


@dataclass(frozen=True, slots=True)
class Who:
    name: str
    side: Side
    unit: str = ""  # a unit user's unit


@dataclass(frozen=True, slots=True)
class Transition:
    """One line of a ticket's history: who did what, when, from which step to which."""

    ticket: int
    at: float
    who: str
    action: str
    before: Step
    after: Step
    note: str = ""


@dataclass(frozen=True, slots=True)
class Rules:
    """What a step is decided with: the limits and the working-day calendar."""

    limits: Limits
    calendar: Calendar

    def sign_due(self, flow: Flow, now: float) -> float:
        if flow.urgent:
            return now + self.limits.urgent_sign_h * 3600
        return self.calendar.due(now, self.limits.sign_days)

    def handle_due(self, flow: Flow, now: float) -> float:
        if flow.urgent:
            return now + self.limits.urgent_handle_h * 3600
        return self.calendar.due(now, self.limits.handle_days_of(flow.request_type))


def _need(flow: Flow, who: Who, action: str, steps: tuple[Step, ...], side: Side) -> None:
    if who.side is not side and who.side is not Side.ROOT \
            and not (side is Side.CENTRE and who.side is Side.ENGINE):
        raise TicketFlowForbidden(f"{ACTION_WORDS[action]}须由{SIDE_WORDS[side]}办理")
    if side is Side.UNIT and who.side is Side.UNIT and who.unit != flow.unit:
        raise TicketFlowForbidden(f"工单{flow.ticket}不是本单位承办的工单")
    if flow.step not in steps:
        raise TicketFlowConflict(f"工单{flow.ticket}当前为“{STEP_WORDS[flow.step]}”，"
                                 f"不能{ACTION_WORDS[action]}")


def _moved(flow: Flow, new: Flow, who: Who, action: str, now: float,
           note: str = "") -> tuple[Flow, Transition]:
    return new, Transition(flow.ticket, now, who.name, action, flow.step, new.step, note)


# -- the centre ---------------------------------------------------------------------------------

def close(flow: Flow, who: Who, now: float, note: str) -> tuple[Flow, Transition]:
    """直接答复: answered at the centre (on the call, from the knowledge base) → 办结."""
    _need(flow, who, "close", (Step.ACCEPTED,), Side.CENTRE)
    return _moved(flow, replace(flow, step=Step.CLOSED), who, "close", now, note)


def dispatch(flow: Flow, who: Who, now: float, rules: Rules, unit: str,
             assists: tuple[str, ...] = (), note: str = "", *, request_type: str | None = None,
             urgent: bool | None = None) -> tuple[Flow, Transition]:
    """派单 to ``unit`` (主办) with ``assists`` (协办); the unit's time to sign starts, on the
    limits of ``request_type`` and ``urgent`` as confirmed by now (unchanged when None)."""
    _need(flow, who, "dispatch", (Step.ACCEPTED,), Side.CENTRE)
    new = replace(flow, step=Step.DISPATCHED, unit=unit,
                  request_type=flow.request_type if request_type is None else request_type,
                  urgent=flow.urgent if urgent is None else urgent,
                  assists=tuple(a for a in dict.fromkeys(assists) if a != unit),
                  dispatched_at=now, reminded="")
    new = replace(new, sign_due=rules.sign_due(new, now))
    return _moved(flow, new, who, "dispatch", now, note or _units_note(new))


def redispatch(flow: Flow, who: Who, now: float, rules: Rules, unit: str,
               note: str = "") -> tuple[Flow, Transition]:
    """改派: a returned ticket to another unit (or, :func:`uphold`, back to the same)."""
    _need(flow, who, "redispatch", (Step.RETURNED,), Side.CENTRE)
    new = replace(flow, step=Step.DISPATCHED, unit=unit,
                  assists=tuple(a for a in flow.assists if a != unit), dispatched_at=now,
                  reminded="")
    new = replace(new, sign_due=rules.sign_due(new, now))
    return _moved(flow, new, who, "redispatch", now, note or _units_note(new))


def uphold(flow: Flow, who: Who, now: float, rules: Rules, note: str) -> tuple[Flow, Transition]:
    """The return is not accepted: the same unit has it again, to sign."""
    _need(flow, who, "uphold", (Step.RETURNED,), Side.CENTRE)
    new = replace(flow, step=Step.DISPATCHED, dispatched_at=now, reminded="")
    new = replace(new, sign_due=rules.sign_due(new, now))
    return _moved(flow, new, who, "uphold", now, note)


def review(flow: Flow, who: Who, now: float, rules: Rules, accept: bool,
           note: str) -> tuple[Flow, Transition]:
    """审核 of the unit's reply: accepted → 办结; or back for 重办 (a new handling limit)."""
    _need(flow, who, "review", (Step.REPLIED,), Side.CENTRE)
    if accept:
        return _moved(flow, replace(flow, step=Step.CLOSED), who, "accept", now, note)
    new = replace(flow, step=Step.HANDLING, redos=flow.redos + 1, reminded="")
    new = replace(new, handle_due=rules.handle_due(new, now))
    return _moved(flow, new, who, "redo", now, note)


def decide_extension(flow: Flow, who: Who, now: float, rules: Rules, approve: bool,
                     note: str = "") -> tuple[Flow, Transition]:
    _need(flow, who, "extend", (Step.HANDLING,), Side.CENTRE)
    if not flow.extension_asked:
        raise TicketFlowConflict(f"工单{flow.ticket}没有待审批的延期申请")
    if not approve:
        return _moved(flow, replace(flow, extension_asked=0), who, "extension_refused", now,
                      note)
    due = flow.handle_due if flow.handle_due is not None else now
    new = replace(flow, extension_asked=0, extensions=flow.extensions + 1, reminded="",
                  supervised=False,
                  handle_due=rules.calendar.due(due - 1, flow.extension_asked))
    return _moved(flow, new, who, "extension_approved", now,
                  note or f"延期{flow.extension_asked}个工作日")


def rate(flow: Flow, who: Who, now: float, rules: Rules, rating: str) -> tuple[Flow, Transition]:
    """评价 after 办结. 不满意 reopens the ticket for 重办 once; after that it goes to 督办."""
    _need(flow, who, "rate", (Step.CLOSED,), Side.CENTRE)
    if rating not in RATINGS:
        raise TicketFlowConflict(f"评价只能是{'、'.join(RATINGS)}")
    if flow.rating:
        raise TicketFlowConflict(f"工单{flow.ticket}已评价（{flow.rating}）")
    if rating == UNSATISFIED and flow.unit and not flow.reopened:
        new = replace(flow, step=Step.HANDLING, redos=flow.redos + 1, reopened=True,
                      reminded="")
        new = replace(new, handle_due=rules.handle_due(new, now))
        return _moved(flow, new, who, "rate", now, f"{rating}：重办")
    supervised = rating == UNSATISFIED
    new = replace(flow, rating=rating, supervised=flow.supervised or supervised)
    return _moved(flow, new, who, "rate", now, f"{rating}：督办" if supervised else rating)


def merge(flow: Flow, who: Who, now: float, into: Flow) -> tuple[Flow, Transition]:
    """并单: this ticket's matter is ``into``'s; it closes when ``into`` closes."""
    _need(flow, who, "merge", (Step.ACCEPTED,), Side.CENTRE)
    if into.ticket == flow.ticket or into.step in (Step.CLOSED, Step.MERGED):
        raise TicketFlowConflict(f"工单{into.ticket}不能作为并单的主单")
    return _moved(flow, replace(flow, step=Step.MERGED, merged_into=into.ticket), who, "merge",
                  now, f"并入工单{into.ticket}")


def closed_with(flow: Flow, main: Transition) -> tuple[Flow, Transition]:
    """A merged ticket closes with the ticket it was merged into."""
    new = replace(flow, step=Step.CLOSED)
    return new, Transition(flow.ticket, main.at, main.who, "closed_with", flow.step, new.step,
                           f"随工单{main.ticket}办结")


# -- the unit -----------------------------------------------------------------------------------

def sign(flow: Flow, who: Who, now: float, rules: Rules) -> tuple[Flow, Transition]:
    """签收: the unit takes the ticket; its time to handle starts."""
    _need(flow, who, "sign", (Step.DISPATCHED,), Side.UNIT)
    new = replace(flow, step=Step.HANDLING, reminded="")
    new = replace(new, handle_due=rules.handle_due(new, now))
    return _moved(flow, new, who, "sign", now)


def give_back(flow: Flow, who: Who, now: float, rules: Rules,
              reason: str) -> tuple[Flow, Transition]:
    """退单: not this unit's matter (a reason), within the return limit after dispatch."""
    _need(flow, who, "return", (Step.DISPATCHED,), Side.UNIT)
    if not reason.strip():
        raise TicketFlowConflict("退单须写明理由")
    start = flow.dispatched_at if flow.dispatched_at is not None else now
    if now >= rules.calendar.due(start, rules.limits.return_days):
        raise TicketFlowConflict(f"工单{flow.ticket}已过退单时限"
                                 f"（派单后{rules.limits.return_days}个工作日）")
    new = replace(flow, step=Step.RETURNED, returns=flow.returns + 1, reminded="")
    return _moved(flow, new, who, "return", now, reason)


def reply(flow: Flow, who: Who, now: float, text: str) -> tuple[Flow, Transition]:
    """答复: the unit's answer, for the centre's review."""
    _need(flow, who, "reply", (Step.HANDLING,), Side.UNIT)
    if not text.strip():
        raise TicketFlowConflict("答复内容不能为空")
    return _moved(flow, replace(flow, step=Step.REPLIED, extension_asked=0), who, "reply",
                  now, text)


def ask_extension(flow: Flow, who: Who, now: float, rules: Rules, days: int,
                  reason: str) -> tuple[Flow, Transition]:
    """延期申请: at most ``limits.extension_times`` times, each up to ``extension_days``."""
    _need(flow, who, "extend", (Step.HANDLING,), Side.UNIT)
    limits = rules.limits
    if flow.extension_asked:
        raise TicketFlowConflict(f"工单{flow.ticket}已有待审批的延期申请")
    if flow.extensions >= limits.extension_times:
        raise TicketFlowConflict(f"工单{flow.ticket}已延期{flow.extensions}次，不能再申请")
    if not 1 <= days <= limits.extension_days:
        raise TicketFlowConflict(f"延期天数须为1到{limits.extension_days}个工作日")
    if not reason.strip():
        raise TicketFlowConflict("延期申请须写明理由")
    return _moved(flow, replace(flow, extension_asked=days), who, "extension_asked", now,
                  f"{days}个工作日：{reason}")


# -- the engine's scan --------------------------------------------------------------------------

def remind(flow: Flow, now: float, rules: Rules) -> tuple[Flow, Transition] | None:
    """催办 when a deadline is near, 督办 (the supervisors' list) once it has passed — each
    once per deadline (the scan may run again on the same tickets: nothing new then)."""
    due = flow.due()
    if due is None:
        return None
    light = rules.limits.light(flow.dispatched_at or flow.accepted_at, due, now)
    if light == "red" and flow.reminded != "overdue":
        new = replace(flow, reminded="overdue", supervised=True)
        return new, Transition(flow.ticket, now, "engine", "overdue", flow.step, flow.step,
                               "已超期，转督办")
    if light == "yellow" and not flow.reminded:
        new = replace(flow, reminded="near")
        return new, Transition(flow.ticket, now, "engine", "remind", flow.step, flow.step,
                               "即将超期，催办")
    return None


def remind_at(flow: Flow, limits: Limits) -> float | None:
    """From when :func:`remind` may have something to do for ``flow``: the running deadline's
    yellow light (nothing said yet), its red one (催办 said), never (no deadline running, or
    督办 said) — None, until a step starts another deadline. The store keeps it beside the
    flow, indexed, so the scan reads only the tickets whose moment has come; ``remind``
    still decides."""
    due = flow.due()
    if due is None or flow.reminded == "overdue":
        return None
    if flow.reminded == "near":
        return due
    return limits.yellow_from(flow.dispatched_at or flow.accepted_at, due)


def _units_note(flow: Flow) -> str:
    return f"主办：{flow.unit}" + (f"；协办：{'、'.join(flow.assists)}" if flow.assists else "")


SIDE_WORDS = {Side.CENTRE: "12345中心", Side.UNIT: "承办单位", Side.ENGINE: "系统",
              Side.ROOT: "服务器命令行"}
STEP_WORDS = {step: GLOSSARY["ticket_step"][step.value] for step in Step}
ACTION_WORDS = GLOSSARY["ticket_action"]
