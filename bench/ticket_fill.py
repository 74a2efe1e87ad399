"""A store holding a province's tickets, for ``bench/tickets_scale.py``.

The schema is the engine's own (``Store.open`` with the loop's migrations); the rows are
written with plain sqlite3 in big transactions, the indexes dropped meanwhile and made again
from the very SQL the migrations left (faster than keeping them up to date row by row).

Each ticket is played through the loop's pure steps (``ticketflow.state``) on the shipped
configuration (units, dispatch catalogue, limits, working days): accepted (a call's mostly,
web/SMS/letter/e-mail otherwise), then answered at once, merged, or dispatched to the
catalogue's unit — returned and re-dispatched now and then, signed, extended, replied,
reviewed (now and then redone), rated — each step after a delay drawn with a tail of late
ones; and the scan's 催办/督办 lines where a deadline's light turned, as the engine's minutely
scan wrote them up to ``scanned`` (its last scan). Steps after ``now`` have not happened:
the recent tickets are open. A share (``backlog``) stopped at an open step — the province's
backlog, overdue. History lines go in in time order, as the engine appended them.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import json
import math
import multiprocessing
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from callcenter.paths import PROJECT_ROOT
from callcenter.prefill.places import Gazetteer
from callcenter.store.db import Store
from callcenter.ticketflow import state
from callcenter.ticketflow.files import LoopConfig, read_loop_config
from callcenter.ticketflow.schema import ASSISTS_SPLIT, MIGRATIONS
from callcenter.ticketflow.state import Flow, Rules, Side, Step, Transition, Who
from callcenter.ticketflow.store import COLUMNS, values_of
from callcenter.ticketflow.workdays import Calendar

H, DAY, YEARS = 3600.0, 86400.0, 3
TABLES = ("ticket", "ticket_flow", "ticket_event")
KINDS = {"咨询": 40, "求助": 22, "投诉": 22, "意见建议": 10, "举报": 6}
CHANNELS = {"phone": 85, "web": 8, "sms": 3, "letter": 1, "email": 3}
BACKLOG = {Step.ACCEPTED: 15, Step.DISPATCHED: 25, Step.RETURNED: 10, Step.HANDLING: 35,
           Step.REPLIED: 15}  # where the backlog's tickets stopped
CENTRE = [Who(f"a{n}", Side.CENTRE) for n in range(1001, 1121)]
CHUNK = 50_000  # tickets a worker plays at a time
PROGRESS = 500_000  # tickets between two lines of progress


@dataclass
class DayCalendar(Calendar):
    """The shipped calendar, its deadlines remembered by day (millions of tickets, few days)."""

    dues: dict[tuple[date, int], float] = field(default_factory=dict)

    def due(self, start: float, days: int) -> float:
        key = (datetime.fromtimestamp(start).date(), days)
        found = self.dues.get(key)
        if found is None:
            found = self.dues[key] = super().due(start, days)
        return found


class Province:
    """The shipped configuration, and what tickets are drawn from."""

    def __init__(self) -> None:
        self.config: LoopConfig = read_loop_config(PROJECT_ROOT / "config")[0]
        self.rules = Rules(self.config.rules.limits, DayCalendar(self.config.rules.calendar.years))
        gazetteer = Gazetteer.shipped()
        self.places: list[tuple[str, str | None]] = [
            (city, county) for county, city in gazetteer.counties.items()]
        self.places += [(city, None) for city in gazetteer.cities]  # only a city, now and then
        self.topics = [r.topic for r in self.config.units.catalogue.rules if r.topic]
        self.topic_weights = [1 / (k + 2) for k in range(len(self.topics))]
        self.users = {u: [Who(f"u{k}-{n}", Side.UNIT, u) for n in range(3)]
                      for k, u in enumerate(self.config.units.by_id)}
        self._matters: dict[tuple[str, str, tuple[str, str | None]], tuple[str, str]] = {}

    def matter(self, topic: str, kind: str, place: tuple[str, str | None]) -> tuple[str, str]:
        """The catalogue's unit, and the pre-fill as the ticket keeps it (JSON)."""
        key = (topic, kind, place)
        if key not in self._matters:
            city, county = place
            found = self.config.units.suggest({"topic": topic, "request_type": kind,
                                               "city": city, "county": county})
            prefill = {"phones": [], "place": {"city": city, "county": county, "detail": None},
                       "request_type": kind, "topic": topic, "unit": None, "hotline": None,
                       "urgent": False, "emergency_referral": None, "out_of_scope": False}
            self._matters[key] = (city if found is None else found.unit,
                                  json.dumps(prefill, ensure_ascii=False))
        return self._matters[key]


class Played:
    """One ticket played through the pure steps, up to ``now``."""

    def __init__(self, p: Province, flow: Flow, now: float, scanned: float,
                 rng: random.Random) -> None:
        self.p, self.flow, self.now, self.scanned, self.rng = p, flow, now, scanned, rng
        self.lines: list[Transition] = []
        self.units: list[str] = []  # whose the ticket is after each line (ticket_event.unit)
        self.at = flow.accepted_at

    def wait(self, delay: float) -> bool:
        """Time passes (the scan reminding meanwhile); False when the next step would come
        after ``now`` (it has not happened)."""
        until = self.at + max(delay, 60.0)
        while True:
            moment = state.remind_at(self.flow, self.p.rules.limits)
            if moment is None or moment + 60 >= min(until, self.scanned):
                break
            reminded = state.remind(self.flow, moment + self.rng.uniform(1, 59), self.p.rules)
            if reminded is None:
                break
            self.flow, line = reminded
            self.lines.append(line)
            self.units.append(self.flow.unit)
        self.at = until
        return until <= self.now

    def do(self, step: Callable[..., tuple[Flow, Transition]], *args: Any) -> None:
        self.flow, line = step(self.flow, *args)
        self.lines.append(line)
        self.units.append(self.flow.unit)

    def limit_s(self) -> float:
        due = self.flow.due()
        return 0.0 if due is None else due - self.at


def play(p: Province, g: Played, kind: str, unit: str, stop: Step | None) -> None:
    """The ticket's way through the loop; ``stop``: it stays at that step (the backlog)."""
    r, rng, rules, ticket = g.rng.random, g.rng, p.rules, g.flow.ticket
    agent = CENTRE[ticket % len(CENTRE)]
    if stop is Step.ACCEPTED or not g.wait(rng.expovariate(1 / 600)):
        return
    if stop is None and r() < (0.55 if kind == "咨询" else 0.08):  # 直接答复
        g.do(state.close, agent, g.at, "已当场答复")
        if r() < 0.8 and g.wait(rng.uniform(H, 3 * DAY)):
            g.do(state.rate, agent, g.at, rules, rng.choices(state.RATINGS, (80, 14, 6))[0])
        return
    if stop is None and ticket > 500 and r() < 0.02:  # 并单 into an earlier one
        into = Flow(ticket - rng.randrange(1, 500), Step.HANDLING, kind)
        g.do(state.merge, agent, g.at, into)
        if g.wait(rng.uniform(DAY, 10 * DAY)):
            main = Transition(into.ticket, g.at, agent.name, "accept", Step.REPLIED, Step.CLOSED)
            g.do(state.closed_with, main)
        return
    if not g.wait(rng.expovariate(1 / H)):
        return
    g.do(state.dispatch, agent, g.at, rules, unit, (), "")
    if r() < 0.03 or stop is Step.RETURNED:
        if not g.wait(rng.uniform(0.5 * H, 4 * H)):
            return
        g.do(state.give_back, p.users[unit][0], g.at, rules, "非本单位职责")
        if stop is Step.RETURNED or not g.wait(rng.expovariate(1 / (2 * H))):
            return
        unit = rng.choice(list(p.users))
        g.do(state.redispatch, agent, g.at, rules, unit, "")
    user = p.users[unit][ticket % 3]
    late = r() < 0.05
    if stop is Step.DISPATCHED or not g.wait(
            g.limit_s() * rng.uniform(1.0, 3.0) if late else rng.expovariate(1 / (5 * H))):
        return
    g.do(state.sign, user, g.at, rules)
    redo = r() < 0.05
    for round_ in range(2 if redo else 1):
        if round_ == 0 and r() < 0.04:
            if not g.wait(g.limit_s() * 0.5):
                return
            g.do(state.ask_extension, user, g.at, rules, 5, "需现场核查")
            if not g.wait(rng.uniform(H, DAY)):
                return
            g.do(state.decide_extension, agent, g.at, rules, True, "")
        share = rng.uniform(1.0, 2.0) if r() < 0.07 else rng.uniform(0.1, 0.9)
        if stop is Step.HANDLING or not g.wait(g.limit_s() * share):
            return
        g.do(state.reply, user, g.at, "已办理，已电话告知来电人")
        if stop is Step.REPLIED or not g.wait(rng.expovariate(1 / (6 * H))):
            return
        g.do(state.review, agent, g.at, rules, not (redo and round_ == 0), "")
    if r() < 0.7 and g.wait(rng.uniform(H, 3 * DAY)):
        g.do(state.rate, agent, g.at, rules, "满意" if r() < 0.9 else "基本满意")


def ticket_row(ticket: int, at: float, caller: str, channel: str, prefill: str) -> tuple[
        Any, ...]:
    opened = datetime.fromtimestamp(at, UTC)
    return (ticket, f"{channel}-{ticket}", caller, "12345", "12345", "12345政务服务便民热线",
            "省12345中心", "q12345", CENTRE[ticket % len(CENTRE)].name,
            opened.strftime("%Y-%m-%dT%H:%M:%SZ"),
            (opened + timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ"), prefill, "{}")


@dataclass
class Chunk:
    """``CHUNK`` tickets played (a worker's share of the fill): their rows, history lines."""

    tickets: list[tuple[Any, ...]]
    flows: list[tuple[Any, ...]]
    lines: list[tuple[Any, ...]]
    open: int
    last: float  # the last one's acceptance


@dataclass(frozen=True)
class Plan:
    """How many tickets, up to when (``now``), the engine's last scan (``scanned``), the share
    stopped at an open step (``backlog``), the random seed."""

    tickets: int
    now: float
    scanned: float
    backlog: float
    seed: int


PROVINCE: list[Province] = []  # a worker's


def chunk(plan: Plan, first: int) -> Chunk:
    """Tickets ``first`` … ``first + CHUNK - 1`` (in a worker: its province made once)."""
    if not PROVINCE:
        PROVINCE.append(Province())
    p, rng = PROVINCE[0], random.Random(plan.seed * 1_000_003 + first)
    made = Chunk([], [], [], 0, 0.0)
    kinds, channels, stops = list(KINDS), list(CHANNELS), list(BACKLOG)
    start = plan.now - YEARS * 365 * DAY
    for ticket in range(first, min(first + CHUNK, plan.tickets + 1)):
        at = start + (ticket - 1 + rng.random()) * (plan.now - 120 - start) / plan.tickets
        kind = rng.choices(kinds, list(KINDS.values()))[0]
        topic = rng.choices(p.topics, p.topic_weights)[0]
        place = rng.choice(p.places)
        unit, prefill = p.matter(topic, kind, place)
        channel = rng.choices(channels, list(CHANNELS.values()))[0]
        caller = "" if channel in ("letter", "email") else \
            f"1{rng.choice('3578')}{rng.randrange(min(plan.tickets * 2, 10**9)):09d}"
        g = Played(p, Flow(ticket, Step.ACCEPTED, kind, rng.random() < 0.005, accepted_at=at),
                   plan.now, plan.scanned, rng)
        g.lines.append(Transition(ticket, at, CENTRE[ticket % len(CENTRE)].name, "accept_call",
                                  Step.ACCEPTED, Step.ACCEPTED, f"渠道：{channel}"))
        g.units.append("")
        play(p, g, kind, unit, rng.choices(stops, list(BACKLOG.values()))[0]
             if rng.random() < plan.backlog else None)
        g.wait(math.inf)  # the scan's lines up to its last run
        flow = g.flow
        made.open += flow.step not in (Step.CLOSED, Step.MERGED)
        made.tickets.append(ticket_row(ticket, at, caller, channel, prefill))
        made.flows.append((ticket, channel, caller, topic, place[1] or place[0], flow.due(),
                           state.remind_at(flow, p.rules.limits), len(g.lines) - 1,
                           *values_of(flow)))
        made.lines += [(ln.ticket, ln.at, ln.who, ln.action, ln.before.value, ln.after.value,
                        ln.note, unit) for ln, unit in zip(g.lines, g.units, strict=True)]
        made.last = at
    return made


INSERTS = (
    f"INSERT INTO ticket VALUES ({', '.join('?' * 13)})",
    f"INSERT INTO ticket_flow (ticket, channel, caller, topic, place, due, remind_at, version, "
    f"{', '.join(COLUMNS)}) VALUES ({', '.join('?' * (len(COLUMNS) + 8))})",
    "INSERT INTO ticket_event (ticket, at, who, action, before, after, note, unit) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def fill(path: Path, plan: Plan, jobs: int = 2,
         told: Callable[[str], None] = print) -> dict[str, int]:
    """Make the store at ``path`` (it must not exist) with ``plan.tickets`` tickets over the
    ``YEARS`` before ``plan.now``, played by ``jobs`` processes; how many tickets, history
    lines, open tickets."""
    asyncio.run(_create(path))
    db = sqlite3.connect(path, isolation_level=None)
    indexes = list(db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN {TABLES}"))
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1000000"):
        db.execute(f"PRAGMA {pragma}")
    counts = {"tickets": plan.tickets, "events": 0, "open": 0}
    pending: list[tuple[Any, ...]] = []  # history lines, until the tickets before them are in
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for made in pool.imap(functools.partial(chunk, plan), range(1, plan.tickets + 1, CHUNK)):
            pending += made.lines
            pending.sort(key=lambda e: e[1])
            cut = bisect.bisect_right(pending, made.last, key=lambda e: e[1]) \
                if made.flows[-1][0] < plan.tickets else len(pending)
            db.execute("BEGIN")
            for sql, rows in zip(INSERTS, (made.tickets, made.flows, pending[:cut]), strict=True):
                db.executemany(sql, rows)
            db.execute("COMMIT")
            counts["events"] += cut
            counts["open"] += made.open
            del pending[:cut]
            if made.flows[-1][0] % PROGRESS == 0:
                told(f"  {made.flows[-1][0]:,} tickets, {counts['events']:,} history lines")
    start = time.monotonic()
    for _, sql in indexes:
        db.execute(sql)
    told(f"  {len(indexes)} indexes made in {time.monotonic() - start:.0f} s")
    limits = read_loop_config(PROJECT_ROOT / "config")[0].rules.limits
    db.execute(ASSISTS_SPLIT)  # the units' ticket_assist rows, as the migration makes them
    db.execute("INSERT OR REPLACE INTO ticket_reminder_timing (id, yellow_share) VALUES (1, ?)",
               (limits.yellow_share,))
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    return counts


async def _create(path: Path) -> None:
    store = await Store.open(path, MIGRATIONS)
    await store.close()
