"""The ticket loop's figures (pure): what each ticket's history says for each figure, counted
by lead unit and by month over a period. The store's query is :mod:`.report`'s.

A ticket's figures come from its history (``ticket_event``: when each step happened) and its
place in the loop (``ticket_flow``: its lead unit and the deadlines running, as the loop
computed them on the working-day calendar, with 延期 granted counted in). A ticket counts in
the period, and the month, of the moment that decides the figure; tickets merged into
another (并单) are left out — their matter is counted once, in the ticket they joined.

- 按时签收率 = signed before the signing deadline / signing due: the tickets signed (decided at
  the 签收) and those still waiting to be signed whose deadline has run out (decided on the
  deadline's last day; late). A ticket the unit returned (退单) is not one to sign.
- 按时办结率 = closed on time / closing due: the tickets closed (decided at the 办结, the
  centre's acceptance of the reply) — on time when the unit's accepted 答复 came before the
  handling deadline then running (延期 granted included; a 重办 starts a new limit, as the loop
  does) — and those the unit still handles past their deadline (decided on its last day;
  late). A reply waiting for the centre's review is not decided yet. Tickets closed at the
  centre (直接办结) had no handling limit and are not counted here.
- 一次办结率 = closed with no 重办 and no 退单 / closed (decided at the last 办结; a ticket closed
  at the centre counts, in the centre's row).
- 重办率 = sent back for 重办 at least once (a review's 退回重办, or a 不满意 rating reopening it)
  / replied (decided at its first 答复; a later 重办 counts with it).
- 退单率 = returned (退单) at least once / dispatched (decided at its 派单).
- 满意率 = (满意 + 基本满意) / ratings: every rating counts, at the time it was given (a ticket
  rated 不满意, redone and rated again counts twice).

By lead unit: the unit the ticket has now (after a 改派, the new one: the history does not
say which unit a ticket was dispatched to before); tickets closed at the centre, never
dispatched, are the centre's row. Figures are counted from the history as it is when the
report is made: a 重办 in May changes April's 重办率.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from callcenter.reports.sections import Period
from callcenter.ticketflow.state import RATINGS, UNSATISFIED, Step

CENTRE = ""  # the "unit" of the tickets closed at the centre
CLOSING = ("accept", "close", "closed_with")  # the actions that close a ticket
# the actions the figures read (the others — reminders, extensions asked — decide none)
ACTIONS = ("dispatch", "sign", "return", "reply", "redo", "accept", "close", "closed_with",
           "rate")


class Figure(StrEnum):
    SIGNED = "signed"  # 按时签收
    CLOSED_ON_TIME = "closed_on_time"  # 按时办结
    FIRST_TIME = "first_time"  # 一次办结
    REDONE = "redone"  # 重办
    RETURNED = "returned"  # 退单
    SATISFIED = "satisfied"  # 满意


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the ticket's place in the loop says (``ticket_flow``)."""

    ticket: int
    unit: str
    step: Step
    sign_due: float | None
    handle_due: float | None
    merged_into: int | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One line of its history (``ticket_event``), oldest first."""

    at: float
    action: str
    after: Step
    note: str = ""


@dataclass(frozen=True, slots=True)
class Mark:
    """A ticket counted in a figure: at ``at`` (its period), a hit or not."""

    figure: Figure
    at: float
    hit: bool


def rating_of(note: str) -> str:
    """The rating a 评价's history line gives (``满意``, ``不满意：重办`` …; "" if none)."""
    word = note.split("：", 1)[0]
    return word if word in RATINGS else ""


def _redo(event: Event) -> bool:
    return event.action == "redo" or (event.action == "rate" and event.after is Step.HANDLING)


def _ran_out(due: float) -> float:
    """The moment a deadline belongs to: its last day (a deadline ends at local midnight)."""
    return due - 1.0


def marks(ticket: Ticket, events: Sequence[Event], now: float) -> list[Mark]:
    """Where ``ticket`` counts, as of ``now`` (a deadline before it has run out)."""
    if ticket.merged_into is not None:
        return []
    found: list[Mark] = []
    sign = next((e for e in events if e.action == "sign"), None)
    if sign is not None and ticket.sign_due is not None:
        found.append(Mark(Figure.SIGNED, sign.at, sign.at < ticket.sign_due))
    elif ticket.step is Step.DISPATCHED and ticket.sign_due is not None \
            and ticket.sign_due <= now:
        found.append(Mark(Figure.SIGNED, _ran_out(ticket.sign_due), False))
    closings = [i for i, e in enumerate(events) if e.action in CLOSING]
    closed = ticket.step is Step.CLOSED and bool(closings)
    if closed:
        closing = events[closings[-1]]
        if ticket.unit != CENTRE:
            reply = next((e for e in reversed(events[:closings[-1]]) if e.action == "reply"),
                         None)
            found.append(Mark(Figure.CLOSED_ON_TIME, closing.at,
                              reply is not None and ticket.handle_due is not None
                              and reply.at < ticket.handle_due))
        found.append(Mark(Figure.FIRST_TIME, closing.at,
                          not any(_redo(e) or e.action == "return" for e in events)))
    elif ticket.step is Step.HANDLING and ticket.handle_due is not None \
            and ticket.handle_due <= now:
        found.append(Mark(Figure.CLOSED_ON_TIME, _ran_out(ticket.handle_due), False))
    reply = next((e for e in events if e.action == "reply"), None)
    if reply is not None:
        found.append(Mark(Figure.REDONE, reply.at, any(_redo(e) for e in events)))
    dispatch = next((e for e in events if e.action == "dispatch"), None)
    if dispatch is not None:
        found.append(Mark(Figure.RETURNED, dispatch.at,
                          any(e.action == "return" for e in events)))
    for event in events:
        rating = rating_of(event.note) if event.action == "rate" else ""
        if rating:
            found.append(Mark(Figure.SATISFIED, event.at, rating != UNSATISFIED))
    return found


@dataclass
class Tally:
    """Per figure: the tickets counted (the rate's base) and the hits among them."""

    base: Counter[Figure] = field(default_factory=Counter)
    hits: Counter[Figure] = field(default_factory=Counter)

    def add(self, mark: Mark) -> None:
        self.base[mark.figure] += 1
        self.hits[mark.figure] += mark.hit

    def rate(self, figure: Figure) -> float | None:
        """hits / base (None: nothing to rate)."""
        base = self.base[figure]
        return self.hits[figure] / base if base else None


@dataclass
class LoopFigures:
    """The figures of a period: by lead unit (``""``: the centre), by month, in all."""

    period: Period
    by_unit: dict[str, Tally] = field(default_factory=dict)
    by_month: dict[str, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)

    def add(self, ticket: Ticket, events: Sequence[Event]) -> None:
        for mark in marks(ticket, events, self.period.now):
            if not self.period.holds(mark.at):
                continue
            month = datetime.fromtimestamp(mark.at).strftime("%Y-%m")
            for tally in (self.by_unit.setdefault(ticket.unit, Tally()),
                          self.by_month.setdefault(month, Tally()), self.total):
                tally.add(mark)


def count(period: Period, tickets: Iterable[tuple[Ticket, Sequence[Event]]]) -> LoopFigures:
    figures = LoopFigures(period)
    for ticket, events in tickets:
        figures.add(ticket, events)
    return figures
