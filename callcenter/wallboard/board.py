"""The wallboard (监控大屏) at one moment, from the engine's live state (pure: the time is
passed in; nothing here reads a clock, the store or AMI).

Per queue: callers waiting now and since when (the page counts the seconds itself), agents
logged in / available / busy / paused, and today's answered, abandoned, overflowed, 15-second
rate and 接通率 against their targets, callbacks waiting; per agent: state, pause reason,
since when, calls answered today and their average handling time; the monitoring sessions
(supervisor, agent, mode — never the call's parties); the alerts
(:mod:`.alerts`). Today's figures are the report's (:mod:`.day`), and the queue rows are
those of ``run.py status`` (:meth:`QueueWatch.snapshot`), so all three agree.

No caller's number, nor anything of a call, is on the board.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from callcenter.agents.state import AgentBoard, AgentState, AgentStatus
from callcenter.config.loader import Config
from callcenter.queues.watch import QueueWatch
from callcenter.reports.figures import Report, Tally, local_day
from callcenter.wallboard.alerts import QueueView, Targets, alerts, next_change


@dataclass(frozen=True, slots=True)
class BoardState:
    """Everything the board is computed from."""

    config: Config
    watch: QueueWatch
    agents: AgentBoard
    since: Mapping[str, float]  # when each agent entered their state
    today: Report  # the report of the day so far (DayFigures.today)
    callbacks: Mapping[str, int] | None  # open callback requests per queue (None: unknown)
    targets: Targets = field(default_factory=Targets)
    catching_up: bool = False  # the day so far is still being read from the call log
    monitoring: Sequence[Mapping[str, Any]] = ()  # live monitoring sessions (MonitorDesk)


MONITOR_FIELDS = ("session", "supervisor", "agent", "mode", "mode_text", "phase",
                  "reason_text")


def _rate(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _secs(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _figures(t: Tally) -> dict[str, Any]:
    return {"offered": t.offered, "answered": t.answered, "abandoned": t.abandoned,
            "abandoned_5s": t.abandoned_5s, "overflowed": t.overflowed,
            "service_rate": _rate(t.service_level), "connection_rate": _rate(t.connection_rate),
            "asa_s": _secs(t.asa_s), "aht_s": _secs(t.aht_s)}


def next_midnight(now: float) -> float:
    return datetime.combine(local_day(now) + timedelta(days=1), time()).timestamp()


def _agent_row(agent_id: str, name: str, status: AgentStatus | None, since: float | None,
               today: Tally | None, now: float) -> dict[str, Any]:
    state = status.state(now) if status is not None else AgentState.LOGGED_OUT
    return {"agent": agent_id, "name": name, "state": state.value,
            "reason": status.pause_reason if status is not None and status.paused else "",
            "since": since, "queues": sorted(status.queues) if status is not None else [],
            "calls_today": today.answered if today is not None else 0,
            "aht_s": _secs(today.aht_s) if today is not None else None}


def board(state: BoardState, now: float) -> dict[str, Any]:
    config, today = state.config, state.today
    taking = set(config.queues_taking_calls)
    queues, views = [], []
    for row in state.watch.snapshot(state.agents, now, today):
        name = row["queue"]
        spec = config.queues.queues.get(name)
        tally = today.by_queue.get(name, Tally())
        logged_in = sum(name in a.queues for a in state.agents.agents.values())
        view = QueueView(name, row["title"], name in taking,
                         spec.service_level_s if spec else state.targets.answer_within_s,
                         state.watch.oldest(name), logged_in, tally.service_level)
        views.append(view)
        queues.append({
            **row, **_figures(tally), "takes_calls": view.takes_calls,
            "service_level_s": view.service_level_s, "oldest_joined_at": view.oldest_joined_at,
            "logged_in": logged_in,
            "callbacks_waiting": None if state.callbacks is None
            else state.callbacks.get(name, 0)})
    names = {a: agent.name for a, agent in config.agents.agents.items()}
    agents = [_agent_row(a, names.get(a, ""), state.agents.agents.get(a), state.since.get(a),
                         today.by_agent.get(a), now)
              for a in sorted(set(names) | set(state.agents.agents))]
    due = [t for t in (next_change(views, now), next_midnight(now)) if t is not None]
    return {
        "day": local_day(now).isoformat(), "now": round(now, 3),
        "catching_up": state.catching_up,
        "targets": {"answer_within_s": state.targets.answer_within_s,
                    "service_rate": state.targets.service_rate,
                    "connection_rate": state.targets.connection_rate},
        "totals": {**_figures(today.total),
                   "waiting": sum(q["waiting"] for q in queues),
                   "callbacks_waiting": None if state.callbacks is None
                   else sum(state.callbacks.values()),
                   "logged_in": sum(bool(a.queues) for a in state.agents.agents.values())},
        "queues": queues,
        "agents": agents,
        # who listens to whom: every supervisor sees it, the page drives its own session
        "monitoring": [{k: m.get(k) for k in MONITOR_FIELDS} for m in state.monitoring],
        "alerts": [a.as_dict() for a in alerts(views, state.targets, now)],
        "next_change_at": min(due),
    }
