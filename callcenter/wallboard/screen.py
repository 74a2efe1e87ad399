"""The wallboard (监控大屏) at one moment, from the engine's live state (pure: the time is
passed in; nothing here reads a clock, the store or AMI).

Per queue: callers waiting now and since when (the page counts the seconds itself), agents
logged in / available / busy / paused / with their softphone offline, and today's answered,
abandoned, overflowed (the overflows of calls still going included), 15-second rate and
接通率 against their targets, callbacks waiting; per agent: state, whether paused (a
supervisor's pause during a call shows with the call) and why and by whom, the softphone
(online / offline), since when, calls answered today and their average handling time; the
monitoring sessions (supervisor, agent, mode — never the call's parties); the alerts
(:mod:`.alerts`). The totals say how many calls reached a queue and their own 接通率 beside
the day's (which counts every call). Today's figures are the report's (:mod:`.day`), and
the queue rows are those of ``run.py status`` (:meth:`QueueWatch.snapshot`), so all three
agree.

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
from callcenter.supervision.floor import OFFLINE, ONLINE, person, phone_of
from callcenter.wallboard.alerts import AgentView, QueueView, Targets, alerts, next_change


@dataclass(frozen=True, slots=True)
class ScreenState:
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
    # the agent desk's rows (AgentDesk.snapshot): their "phone" ("online" | "offline"; a row
    # without it is online)
    desk_rows: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    forced: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # AgentDesk.forced
    # overflows of today's calls still going (ReportBuilder.overflowing): per queue, calls
    overflowing: tuple[Mapping[str, int], int] = ({}, 0)


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


def _agent_row(state: ScreenState, agent_id: str, name: str, now: float) -> dict[str, Any]:
    status = state.agents.agents.get(agent_id)
    today = state.today.by_agent.get(agent_id)
    shown = status.state(now) if status is not None else AgentState.LOGGED_OUT
    # signed out: no pause shown (Asterisk's last pause of the member is history)
    paused = status is not None and status.paused and shown is not AgentState.LOGGED_OUT
    by = state.forced.get(agent_id, ("", ""))[0] if paused else ""
    return {"agent": agent_id, "name": name, "state": shown.value, "paused": paused,
            "reason": status.pause_reason if paused and status is not None else "",
            "paused_by": person(state.config, by) if by and by != "root" else "",
            "forced": bool(by),
            "phone": phone_of(state.desk_rows.get(agent_id), status)
            if shown is not AgentState.LOGGED_OUT else ONLINE,
            "since": state.since.get(agent_id),
            "queues": sorted(status.queues) if status is not None else [],
            "calls_today": today.answered if today is not None else 0,
            "aht_s": _secs(today.aht_s) if today is not None else None}


def _totals(state: ScreenState, queues: list[dict[str, Any]]) -> dict[str, Any]:
    t = state.today.total
    return {**_figures(t), "overflowed": t.overflowed + state.overflowing[1],
            "waiting": sum(q["waiting"] for q in queues),
            "queued": t.queued, "unqueued": t.unqueued,
            "queued_connection_rate": _rate(t.queued_connection_rate),
            # of the calls that never reached a queue: answered by a sub-center's seats,
            # registered for a callback at once (nobody logged in), the rest hung up first
            "unqueued_subcenter": t.answered - t.queue_answered,
            "unqueued_callback": t.callback_unqueued,
            "callbacks_waiting": None if state.callbacks is None
            else sum(state.callbacks.values()),
            "logged_in": sum(bool(a.queues) for a in state.agents.agents.values())}


def _offline_since(status: AgentStatus | None) -> float | None:
    return status.unreachable_since if status is not None else None


def screen(state: ScreenState, now: float) -> dict[str, Any]:
    config, today = state.config, state.today
    taking = set(config.queues_taking_calls)
    names = {a: agent.name for a, agent in config.agents.agents.items()}
    agents = [_agent_row(state, a, names.get(a, ""), now)
              for a in sorted(set(names) | set(state.agents.agents))]
    shown = {a["agent"]: a for a in agents}
    queues, views = [], []
    for row in state.watch.snapshot(state.agents, now, today):
        name = row["queue"]
        spec = config.queues.queues.get(name)
        tally = today.by_queue.get(name, Tally())
        members = [shown[a] for a, s in state.agents.agents.items()
                   if name in s.queues and a in shown]
        view = QueueView(name, row["title"], name in taking,
                         spec.service_level_s if spec else state.targets.answer_within_s,
                         state.watch.oldest(name), len(members), tally.service_level)
        views.append(view)
        queues.append({
            **row, **_figures(tally), "takes_calls": view.takes_calls,
            "overflowed": tally.overflowed + state.overflowing[0].get(name, 0),
            "service_level_s": view.service_level_s, "oldest_joined_at": view.oldest_joined_at,
            "logged_in": len(members),
            "phone_offline": sum(a["phone"] == OFFLINE for a in members),
            # free: 就绪 with their softphone online (Asterisk rings no unregistered phone)
            "available": sum(a["state"] == AgentState.AVAILABLE and a["phone"] == ONLINE
                             for a in members),
            "callbacks_waiting": None if state.callbacks is None
            else state.callbacks.get(name, 0)})
    people = [AgentView(a["agent"], a["name"], a["state"] != AgentState.LOGGED_OUT,
                        a["phone"] == OFFLINE, _offline_since(state.agents.agents.get(a["agent"])))
              for a in agents]
    due = [t for t in (next_change(views, now), next_midnight(now)) if t is not None]
    return {
        "day": local_day(now).isoformat(), "now": round(now, 3),
        "catching_up": state.catching_up,
        "targets": {"answer_within_s": state.targets.answer_within_s,
                    "service_rate": state.targets.service_rate,
                    "connection_rate": state.targets.connection_rate},
        "totals": _totals(state, queues),
        "queues": queues,
        "agents": agents,
        # who listens to whom: every supervisor sees it, the page drives its own session
        # supervisors by their names (agents.yaml supervisors:): the page names its person
        "supervisors": {user: person(config, user) for user in config.agents.supervisors},
        "monitoring": [{**{k: m.get(k) for k in MONITOR_FIELDS},
                        "supervisor_name": person(config, str(m.get("supervisor", "")))}
                       for m in state.monitoring],
        "alerts": [a.as_dict() for a in alerts(views, state.targets, now, people)],
        "next_change_at": min(due),
    }
