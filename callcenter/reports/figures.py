"""Service figures from the call log (pure; streamed: one record at a time, per-call state
dropped when the call ends).

Definitions (GB/T 33358-2016 terms; how they are counted here):

- 呼入量 offered: calls from the public (``call.started`` in context ``from-carrier``) that
  started in the period — not one the dialplan refused as not the carrier's
  (``call.refused``: it came by Asterisk's WebSocket, not the carrier's SIP transport).
- 人工接通 answered: answered by a 12345 agent (``queue.answered``) or by a sub-center's seat
  (the sub-center's ``DialEnd`` ANSWER).
- 放弃 abandoned: hung up while waiting in a queue (``queue.abandoned``); those who gave up
  within 5 s are counted separately and, as usual for the standard's 接通率, left out of it.
- 接通率 connection rate = answered / (offered − abandoned within 5 s); target ≥ 95 %.
- 15秒接通率 = answered within 15 s of joining the queue / answered.
- 平均应答时长 ASA = mean queue wait of answered calls; 平均处理时长 AHT = mean talk time
  (answer → call end) + the queue's configured wrap-up.
- A caller a supervisor moved into another queue (``queue.moved``) counts in the queue that
  answered them (or that they left); their wait before the move counts in ASA, the 15 s rate
  and the 5 s rule.
- 溢出 overflowed: left a queue by its overflow rule (``queue.overflowed``) — per queue the
  calls that overflowed out of it, in the total the calls that overflowed at least once.
  The wallboard adds the overflows of calls still going (:meth:`ReportBuilder.overflowing`):
  an overflow is seen when it happens, not when the call ends.
- 进入队列 queued: joined a queue (``queue.joined``; or answered / abandoned in one). The
  total 接通率 counts every public call, also those that never reached a queue (hung up
  during the greeting or menu, answered by a sub-center's seats, or — nobody logged in —
  registered for a callback at once): :attr:`Tally.queued_connection_rate` is the rate of
  the queued calls alone, what the queues' own rates add up to.
- 漏接回拨 callbacks: missed calls that became callback tasks in the period (the dialplan's
  ``callback.requested``, or ``outbound.task`` — not a second task of the same number), how
  many were called back (``outbound.dialed``), reached (``outbound.ended`` reached) and the
  median time from the miss to the reaching call.

A call counts in the day it started (the machine's time zone: the centre's, Asia/Shanghai)
once it has ended. The wallboard counts today live with this same code
(:mod:`callcenter.wallboard.day`).
"""

from __future__ import annotations

import copy
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from callcenter.clock import parse_ts

PUBLIC_CONTEXT = "from-carrier"
SHORT_ABANDON_S = 5
SERVICE_LEVEL_S = 15
TARGET_RATE = 0.95
MODE_NAMES = {"main": "12345主号", "merged": "整体并入", "dual": "双号并行",
              "subcenter": "设分中心", "unknown": "其他号码"}
LATE_LINES_S = 5.0  # a call's last lines (queue.abandoned) follow its call.ended
CALL_LINES = frozenset({"call.started", "call.refused", "call.routed", "queue.joined",
                        "queue.answered", "queue.abandoned", "queue.overflowed", "queue.moved",
                        "callback.requested",
                        "subcenter.answered",
                        "call.ended"})


# 漏接回拨: a missed call's task (the dialplan's own request, or the outbound capability's),
# its calls and their ends (keyed by the missed call's id)
CALLBACK_LINES = frozenset({"callback.requested", "outbound.task", "outbound.dialed",
                            "outbound.ended"})


def pct(x: float | None) -> str:
    """A rate as a percentage for a table ("" when there is nothing to rate)."""
    return "" if x is None else f"{x * 100:.1f}"


def sec(x: float | None) -> str:
    """Seconds for a table ("" when there is nothing to average)."""
    return "" if x is None else f"{x:.1f}"


@dataclass
class Tally:
    offered: int = 0
    answered: int = 0
    answered_in_15s: int = 0
    abandoned: int = 0
    abandoned_5s: int = 0
    wait_total_s: float = 0.0
    talk_total_s: float = 0.0
    talk_count: int = 0
    wrapup_total_s: float = 0.0
    callbacks: int = 0
    overflowed: int = 0  # not in row(): the queue table adds it (render.py)
    queued: int = 0  # reached a queue (joined it)
    queue_answered: int = 0  # answered by an agent out of a queue
    callback_unqueued: int = 0  # registered for a callback without ever joining a queue

    @property
    def unqueued(self) -> int:
        """Calls that never reached a queue."""
        return self.offered - self.queued

    @property
    def queued_connection_rate(self) -> float | None:
        """接通率 of the calls that reached a queue (what the queues' own rates count)."""
        base = self.queued - self.abandoned_5s  # (every abandon is out of a queue)
        return self.queue_answered / base if base > 0 else None

    @property
    def connection_rate(self) -> float | None:
        base = self.offered - self.abandoned_5s
        return self.answered / base if base > 0 else None

    @property
    def service_level(self) -> float | None:
        return self.answered_in_15s / self.answered if self.answered else None

    @property
    def asa_s(self) -> float | None:
        return self.wait_total_s / self.answered if self.answered else None

    @property
    def talk_s(self) -> float | None:
        return self.talk_total_s / self.talk_count if self.talk_count else None

    @property
    def aht_s(self) -> float | None:
        if not self.talk_count:
            return None
        return (self.talk_total_s + self.wrapup_total_s) / self.talk_count

    def row(self) -> dict[str, Any]:
        return {"呼入量": self.offered, "人工接通": self.answered, "放弃": self.abandoned,
                "5秒内放弃": self.abandoned_5s, "接通率%": pct(self.connection_rate),
                "15秒接通率%": pct(self.service_level), "平均应答s": sec(self.asa_s),
                "平均通话s": sec(self.talk_s), "平均处理s": sec(self.aht_s),
                "回呼登记": self.callbacks}


@dataclass
class Callbacks:
    """漏接回拨: the period's missed calls that became callback tasks (not a second task of
    a number), how many of them were called back, reached, and how long after the miss."""

    missed: int = 0
    called: int = 0
    reached: int = 0
    waits_s: list[float] = field(default_factory=list)  # missed → reached

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.waits_s) if self.waits_s else None


@dataclass
class _Call:
    started: float | None = None  # None until its call.started line is read
    public: bool = False
    dialed: str = ""
    mode: str = ""
    hotline: str = ""
    routed_at: float | None = None  # the time of the call.routed line that set mode/hotline
    answered_at: float | None = None
    queue: str = ""
    agent: str = ""
    wait_s: float | None = None
    abandoned_wait: float | None = None
    callback: bool = False
    subcenter_answered: bool = False
    joined: bool = False  # joined a queue (queue.joined)
    moved_wait_s: float = 0.0  # waited in queues a supervisor moved the caller out of
    overflowed_from: list[str] = field(default_factory=list)


@dataclass
class Report:
    first: date | None
    last: date | None
    total: Tally = field(default_factory=Tally)
    by_hotline: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_mode: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_queue: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_hour: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_agent: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    transfers: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    days: set[date] = field(default_factory=set)
    unfinished: int = 0  # calls still going at the end of the log
    tickets: int | None = None  # from the ticket store, where there is one
    handoffs: Counter[str] = field(default_factory=Counter)
    callbacks: Callbacks = field(default_factory=Callbacks)


def local_day(ts: float) -> date:
    """The day a moment belongs to, as the centre counts days (the machine's time zone)."""
    return datetime.fromtimestamp(ts).date()


class ReportBuilder:
    def __init__(self, wrapup_s: Mapping[str, int], first: date | None = None,
                 last: date | None = None) -> None:
        self.wrapup_s = wrapup_s
        self.report = Report(first, last)
        self._calls: dict[str, _Call] = {}
        self._ended: dict[str, tuple[_Call, float]] = {}
        self._hotline_names: dict[str, str] = {}
        # 漏接回拨: missed call id → when it became a task (in the period); called, reached
        self._missed: dict[str, float] = {}
        self._called: set[str] = set()
        self._reached: set[str] = set()

    def feed(self, records: Iterable[Mapping[str, Any]]) -> Report:
        for record in records:
            self.add(record)
        for call, ended in self._ended.values():
            self._finish(call, ended)
        self._ended.clear()
        self.report.unfinished = sum(c.started is not None for c in self._calls.values())
        return self.report

    def _in_period(self, day: date) -> bool:
        r = self.report
        return (r.first is None or day >= r.first) and (r.last is None or day <= r.last)

    def add(self, record: Mapping[str, Any]) -> None:
        event = record.get("event")
        call_id = str(record.get("call_id", ""))
        if event == "ami.frame":
            return
        if event and str(event).startswith("transfer.") and event != "transfer.handoff":
            if event != "transfer.started" and event != "transfer.answered":
                ts = parse_ts(str(record["ts"]))
                if self._in_period(local_day(ts)):
                    self.report.transfers[(str(record.get("destination", "")),
                                           str(record.get("mode", "")),
                                           str(event).split(".", 1)[1])] += 1
            return
        if event in CALLBACK_LINES:
            self._callback_line(str(event), call_id, record)
        if event not in CALL_LINES or not call_id:
            return
        call = self._call(call_id)
        if event == "call.started":
            call.started = parse_ts(str(record["ts"]))
            call.public = record.get("context") == PUBLIC_CONTEXT
        elif event == "call.refused":  # came in as the carrier by another way: hung up
            call.public = False
            call.dialed = str(record.get("dialed", ""))
        elif event == "call.routed":
            # the first routing decides (a sub-center's fallback is logged after it), by
            # time, not by the order of the lines
            ts = parse_ts(str(record["ts"]))
            if call.routed_at is None or ts < call.routed_at:
                call.routed_at = ts
                call.mode = str(record.get("mode", ""))
                number = str(record.get("number") or record.get("dialed") or "")
                call.hotline = number
                if record.get("hotline"):
                    self._hotline_names.setdefault(number, str(record["hotline"]))
        elif event == "queue.joined":
            call.joined = True
        elif event == "queue.answered" and call.answered_at is None:
            call.answered_at = parse_ts(str(record["ts"]))
            call.queue, call.agent = str(record.get("queue", "")), str(record.get("agent", ""))
            call.wait_s = float(record.get("wait_s", 0)) + call.moved_wait_s
        elif event == "queue.abandoned":
            call.abandoned_wait = float(record.get("wait_s", 0)) + call.moved_wait_s
            if call.answered_at is None:  # the queue that answered counts, whatever the order
                call.queue = str(record.get("queue", ""))
        elif event == "queue.overflowed":
            call.overflowed_from.append(str(record.get("queue", "")))
        elif event == "queue.moved":  # the wait before the move counts in the answer's
            call.moved_wait_s += float(record.get("wait_s", 0))
        elif event == "callback.requested":
            call.callback = True
        elif event == "subcenter.answered":  # the engine's decision (no frames read here)
            call.subcenter_answered = True
        elif event == "call.ended" and call_id in self._calls:
            ended = parse_ts(str(record["ts"]))
            del self._calls[call_id]
            self._ended[call_id] = (call, ended)
            self._finish_ended(ended)

    def _callback_line(self, event: str, call_id: str, record: Mapping[str, Any]) -> None:
        ts = parse_ts(str(record["ts"]))
        figures = self.report.callbacks
        if event == "callback.requested" or (event == "outbound.task"
                                             and record.get("state") != "closed"):
            if call_id and call_id not in self._missed and self._in_period(local_day(ts)):
                self._missed[call_id] = ts
                figures.missed += 1
            return
        missed = str(record.get("missed_call", ""))
        if missed not in self._missed:
            return
        if event == "outbound.dialed" and missed not in self._called:
            self._called.add(missed)
            figures.called += 1
        elif event == "outbound.ended" and record.get("outcome") == "reached" \
                and missed not in self._reached:
            self._reached.add(missed)
            figures.reached += 1
            figures.waits_s.append(ts - self._missed[missed])

    def _call(self, call_id: str) -> _Call:
        """The call's state, made by whichever of its lines comes first (in a burst
        ``call.routed`` or a queue line can be written before ``call.started``)."""
        ended = self._ended.get(call_id)
        if ended is not None:
            return ended[0]
        call = self._calls.get(call_id)
        if call is None:
            call = self._calls[call_id] = _Call()
        return call

    def _finish_ended(self, now: float) -> None:
        """Calls ended long enough ago that no more of their lines can come."""
        done = [k for k, (_, ended) in self._ended.items() if now - ended > LATE_LINES_S]
        for key in done:
            call, ended = self._ended.pop(key)
            self._finish(call, ended)

    def _report_of(self, day: date) -> Report:
        """Where a call that started on ``day`` counts (a live count keeps one per day)."""
        return self.report

    def settled(self, day: date | None = None) -> Report:
        """The figures as if the log ended now (what :meth:`feed` gives at its end), without
        ending anything: a copy of the report of ``day`` (default: the one report) with the
        calls that ended but may still get late lines counted in."""
        report = copy.deepcopy(self.report if day is None else self._report_of(day))
        for call, ended in self._ended.values():
            if day is None or (call.started is not None and local_day(call.started) == day):
                self._finish(call, ended, report)
        report.unfinished = sum(c.started is not None for c in self._calls.values())
        return report

    def _finish(self, call: _Call, ended: float, into: Report | None = None) -> None:
        if call.started is None:  # began before the log did
            return
        day = local_day(call.started)
        if not call.public or not self._in_period(day):
            return
        report = into if into is not None else self._report_of(day)
        report.days.add(day)
        hour = datetime.fromtimestamp(call.started).hour
        hotline = call.hotline or call.dialed
        groups = [report.total, report.by_hotline[hotline],
                  report.by_mode[call.mode or "unknown"], report.by_hour[hour]]
        if call.queue:
            groups.append(report.by_queue[call.queue])
        for queue in call.overflowed_from:
            report.by_queue[queue].overflowed += 1
        report.total.overflowed += bool(call.overflowed_from)
        answered = call.answered_at is not None or call.subcenter_answered
        queued = call.joined or bool(call.queue)
        agent_tally = report.by_agent[call.agent] if call.agent else None
        for tally in groups + ([agent_tally] if agent_tally is not None else []):
            if tally is not agent_tally:
                tally.offered += 1
            if answered:
                tally.answered += 1
            if call.wait_s is not None:
                tally.wait_total_s += call.wait_s
                tally.answered_in_15s += call.wait_s <= SERVICE_LEVEL_S
            elif call.subcenter_answered:
                tally.answered_in_15s += 1  # straight to the seats: no queue wait
            if call.answered_at is not None:
                tally.talk_total_s += max(0.0, ended - call.answered_at)
                tally.talk_count += 1
                tally.wrapup_total_s += self.wrapup_s.get(call.queue, 0)
            if call.abandoned_wait is not None and not answered:
                tally.abandoned += 1
                tally.abandoned_5s += call.abandoned_wait <= SHORT_ABANDON_S
            tally.callbacks += call.callback
            tally.queued += queued
            tally.queue_answered += call.answered_at is not None
            tally.callback_unqueued += call.callback and not queued

    def overflowing(self, day: date) -> tuple[Counter[str], int]:
        """Overflows of the calls of ``day`` still going (the report counts a call once it
        ended): per queue overflowed out of, and the calls that overflowed at least once."""
        per_queue: Counter[str] = Counter()
        calls = 0
        for call in self._calls.values():
            if call.overflowed_from and call.public and call.started is not None \
                    and local_day(call.started) == day:
                per_queue.update(call.overflowed_from)
                calls += 1
        return per_queue, calls

    def hotline_name(self, number: str) -> str:
        return self._hotline_names.get(number, "")
