"""Today's figures, live, counted by the report's own code: the facts about calls the
engine publishes (:mod:`callcenter.calls.facts`), each as the line the call log writes for
it, go through :class:`~callcenter.reports.figures.ReportBuilder`, one report per local day,
so the wallboard and ``run.py status`` show what ``run.py report --from D --to D`` prints for
the same lines — a call counts on the day it started, once it has ended.

After a restart the day so far, which this engine did not see, is read back once from the
call log (:mod:`.catchup`); facts published meanwhile are held and counted after it, each
once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from callcenter.reports.figures import CALL_LINES, Report, ReportBuilder, local_day

KEEP_DAYS = 2  # today, and yesterday for the calls that end after midnight
STALE_CALL_S = 2 * 86400.0  # a call whose end was never logged (an engine crash)


class DailyReports(ReportBuilder):
    """The report's counting, fed line by line, into one report per day a call started."""

    def __init__(self, wrapup_s: Mapping[str, int]) -> None:
        super().__init__(wrapup_s)
        self.days: dict[date, Report] = {}

    def _report_of(self, day: date) -> Report:
        report = self.days.get(day)
        if report is None:
            report = self.days[day] = Report(day, day)
            for old in sorted(self.days)[:-KEEP_DAYS]:
                del self.days[old]
        return report

    def add(self, record: Mapping[str, Any]) -> None:
        super().add(record)
        if record.get("event") == "call.ended":
            self._forget_stale()

    def _forget_stale(self) -> None:
        """Calls whose end never came (the engine stopped during them): not kept for ever."""
        if len(self._calls) < 1000:
            return
        newest = max((c.started for c in self._calls.values() if c.started is not None),
                     default=None)
        if newest is None:
            return
        for call_id, call in list(self._calls.items()):
            if call.started is not None and newest - call.started > STALE_CALL_S:
                del self._calls[call_id]


class DayFigures:
    """What the wallboard and the status count today from: a live :class:`DailyReports`."""

    def __init__(self, wrapup_s: Mapping[str, int]) -> None:
        self.reports = DailyReports(wrapup_s)
        self._held: list[dict[str, Any]] | None = None

    def reconfigure(self, wrapup_s: Mapping[str, int]) -> None:
        """A reloaded configuration's wrap-up times (AHT), as ``run.py report`` would use."""
        self.reports.wrapup_s = wrapup_s

    @property
    def catching_up(self) -> bool:
        return self._held is not None

    def count(self, record: Mapping[str, Any]) -> bool:
        """A fact's line (:meth:`~callcenter.calls.facts.CallFact.record`), or one read
        back; True when it may change the figures."""
        if record.get("event") not in CALL_LINES:
            return False
        if self._held is not None:
            self._held.append(dict(record))
        else:
            self.reports.add(record)
        return True

    def hold(self) -> None:
        """From now on lines are held: the day so far is being read from the call log."""
        self._held = []

    def caught_up(self, reports: DailyReports) -> None:
        """``reports``: the call log read up to where :meth:`hold` began; the held lines
        follow, and it replaces what was counted before."""
        held, self._held = self._held or [], None
        reports.wrapup_s = self.reports.wrapup_s
        for record in held:
            reports.add(record)
        self.reports = reports

    def give_up_catching_up(self) -> None:
        """The call log could not be read: count on from what was held (the day is then
        short of what came before the restart)."""
        held, self._held = self._held or [], None
        for record in held:
            self.reports.add(record)

    def today(self, now: float) -> Report:
        """The report of the local day of ``now``, as ``run.py report`` would print it."""
        return self.reports.settled(local_day(now))
