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

By lead unit: 按时签收 is the signing unit's, 退单 the unit the ticket was first dispatched to
(after a 改派 the ticket is another's: the history keeps whose it was after each step), the
others the unit the ticket has now (history kept before that: the unit of today for all);
tickets closed at the centre, never dispatched, are the centre's row. Figures are counted
from the history as it is when the report is made: a 重办 in May changes April's 重办率.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
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
    unit: str = ""  # whose the ticket is after it ("": not kept, in lines before that)


@dataclass(frozen=True, slots=True)
class Mark:
    """A ticket counted in a figure: at ``at`` (its period), a hit or not."""

    figure: Figure
    at: float
    hit: bool
    unit: str = ""  # the unit it is charged to ("": the ticket's unit of today)


def rating_of(note: str) -> str:
    """The rating a 评价's history line gives (``满意``, ``不满意：重办`` …; "" if none)."""
    word = note.split("：", 1)[0]
    return word if word in RATINGS else ""


@dataclass(slots=True)
class _History:
    """What a ticket's history says for the figures (read in one pass)."""

    dispatched: float | None = None  # the 派单
    dispatched_to: str = ""  # … to this unit
    signed: float | None = None  # the 签收
    signed_by: str = ""  # … by this unit
    replied: float | None = None  # the first 答复
    closed: float | None = None  # the last 办结
    accepted_reply: float | None = None  # the last 答复 before it
    returned: bool = False  # 退单 at least once
    redone: bool = False  # 重办 at least once (退回重办, or 不满意 reopening it)
    ratings: list[tuple[float, str]] = field(default_factory=list)


def _read(events: Sequence[Event]) -> _History:
    found, last_reply = _History(), None
    for event in events:
        action = event.action
        if action == "dispatch" and found.dispatched is None:
            found.dispatched, found.dispatched_to = event.at, event.unit
        elif action == "sign" and found.signed is None:
            found.signed, found.signed_by = event.at, event.unit
        elif action == "reply":
            last_reply = event.at
            found.replied = event.at if found.replied is None else found.replied
        elif action in CLOSING:
            found.closed, found.accepted_reply = event.at, last_reply
        elif action == "return":
            found.returned = True
        elif action == "redo":
            found.redone = True
        elif action == "rate":
            found.redone = found.redone or event.after is Step.HANDLING
            rating = rating_of(event.note)
            if rating:
                found.ratings.append((event.at, rating))
    return found


def _ran_out(due: float) -> float:
    """The moment a deadline belongs to: its last day (a deadline ends at local midnight)."""
    return due - 1.0


def marks(ticket: Ticket, events: Sequence[Event], now: float) -> list[Mark]:
    """Where ``ticket`` counts, as of ``now`` (a deadline before it has run out)."""
    if ticket.merged_into is not None:
        return []
    seen, found = _read(events), []
    sign_due, handle_due = ticket.sign_due, ticket.handle_due
    if seen.signed is not None and sign_due is not None:
        found.append(Mark(Figure.SIGNED, seen.signed, seen.signed < sign_due, seen.signed_by))
    elif ticket.step is Step.DISPATCHED and sign_due is not None and sign_due <= now:
        found.append(Mark(Figure.SIGNED, _ran_out(sign_due), False))
    if ticket.step is Step.CLOSED and seen.closed is not None:
        if ticket.unit != CENTRE:
            reply = seen.accepted_reply
            found.append(Mark(Figure.CLOSED_ON_TIME, seen.closed, reply is not None
                              and handle_due is not None and reply < handle_due))
        found.append(Mark(Figure.FIRST_TIME, seen.closed, not (seen.redone or seen.returned)))
    elif ticket.step is Step.HANDLING and handle_due is not None and handle_due <= now:
        found.append(Mark(Figure.CLOSED_ON_TIME, _ran_out(handle_due), False))
    if seen.replied is not None:
        found.append(Mark(Figure.REDONE, seen.replied, seen.redone))
    if seen.dispatched is not None:
        # charged to the unit it was first dispatched to (after a 改派 the ticket is another's)
        found.append(Mark(Figure.RETURNED, seen.dispatched, seen.returned, seen.dispatched_to))
    found += [Mark(Figure.SATISFIED, at, rating != UNSATISFIED) for at, rating in seen.ratings]
    return found


@dataclass
class Tally:
    """Per figure: the tickets counted (the rate's base) and the hits among them."""

    base: Counter[Figure] = field(default_factory=Counter)
    hits: Counter[Figure] = field(default_factory=Counter)

    def add(self, figure: Figure, hit: bool, times: int = 1) -> None:
        self.base[figure] += times
        self.hits[figure] += times if hit else 0

    def rate(self, figure: Figure) -> float | None:
        """hits / base (None: nothing to rate)."""
        base = self.base[figure]
        return self.hits[figure] / base if base else None


@dataclass
class LoopFigures:
    """The figures of a period: by lead unit (``""``: the centre), by month, in all."""

    period: Period
    # how many marks of each (unit, month, figure, hit): the tallies are summed from it
    counts: Counter[tuple[str, str, Figure, bool]] = field(default_factory=Counter)
    _months: dict[int, str] = field(default_factory=dict)  # by quarter hour: time zones' step

    def add(self, ticket: Ticket, events: Sequence[Event]) -> None:
        for mark in marks(ticket, events, self.period.now):
            if self.period.holds(mark.at):
                self.counts[(mark.unit or ticket.unit, self._month(mark.at), mark.figure,
                             mark.hit)] += 1

    def _month(self, moment: float) -> str:
        """The local month of ``moment`` (``2026-10``)."""
        quarter = int(moment // 900)
        found = self._months.get(quarter)
        if found is None:
            found = self._months[quarter] = datetime.fromtimestamp(moment).strftime("%Y-%m")
        return found

    @property
    def by_unit(self) -> dict[str, Tally]:
        tallies: dict[str, Tally] = {}
        for (unit, _, figure, hit), times in self.counts.items():
            tallies.setdefault(unit, Tally()).add(figure, hit, times)
        return tallies

    @property
    def by_month(self) -> dict[str, Tally]:
        tallies: dict[str, Tally] = {}
        for (_, month, figure, hit), times in self.counts.items():
            tallies.setdefault(month, Tally()).add(figure, hit, times)
        return tallies

    @property
    def total(self) -> Tally:
        tally = Tally()
        for (_, _, figure, hit), times in self.counts.items():
            tally.add(figure, hit, times)
        return tally
