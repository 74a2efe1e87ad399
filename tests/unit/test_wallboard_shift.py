"""The wallboard through a shift (#22): a softphone that went offline, a supervisor's pause
during a call, a signed-out agent's old pause, overflows seen when they happen, and a day's
接通率 that says what it counts. Pure: the board from live state, time passed in."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from callcenter.agents.state import AgentBoard
from callcenter.ami import events as ev
from callcenter.clock import iso_ts
from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT
from callcenter.queues.watch import QueueWatch
from callcenter.reports.figures import Report, ReportBuilder
from callcenter.wallboard.alerts import PHONE_OFFLINE, AgentView, Targets, alerts
from callcenter.wallboard.day import DayFigures
from callcenter.wallboard.live import wrapups
from callcenter.wallboard.screen import ScreenState, screen

CONFIG = load_config(PROJECT_ROOT / "config")
NOW = 1_000_000.0
DAY = date(1970, 1, 12)


def _state(agents: AgentBoard, **given: Any) -> ScreenState:
    return dataclasses.replace(
        ScreenState(CONFIG, QueueWatch(CONFIG.queues), agents, {}, Report(DAY, DAY), {}),
        **given)


def _member(kind: type[ev.QueueMemberEvent], agent: str, status: ev.DeviceState,
            paused: bool = False, reason: str = "") -> ev.QueueMemberEvent:
    interface = f"PJSIP/agent-{agent}-web"
    return kind("q12345", interface, agent, interface, status, paused, reason, 0, False, 0,
                True)


def _signed_in(agents: AgentBoard, agent: str, *queues: str) -> None:
    agents.status(agent).queues = set(queues or ("q12345",))


def _row(shown: dict[str, Any], agent: str) -> dict[str, Any]:
    return next(a for a in shown["agents"] if a["agent"] == agent)


def _queue(shown: dict[str, Any], queue: str) -> dict[str, Any]:
    return next(q for q in shown["queues"] if q["queue"] == queue)


# -- 软电话离线 ----------------------------------------------------------------------------

def test_an_agent_whose_softphone_is_offline_is_shown_and_raises_an_alert() -> None:
    agents = AgentBoard({}, 2)
    _signed_in(agents, "1001")
    _signed_in(agents, "1002")
    rows = {"1001": {"agent": "1001", "phone": "offline"},
            "1002": {"agent": "1002", "phone": "online"}}
    shown = screen(_state(agents, desk_rows=rows), NOW)
    li, wang = _row(shown, "1001"), _row(shown, "1002")
    assert (li["state"], li["phone"]) == ("available", "offline")
    assert wang["phone"] == "online"
    (alert,) = [a for a in shown["alerts"] if a["kind"] == PHONE_OFFLINE]
    assert alert["agent"] == "1001" and "王芳" in alert["text"] and "软电话离线" in alert["text"]
    assert shown["alerts"][0]["kind"] != "service_rate"
    q = _queue(shown, "q12345")
    # not free, whatever Asterisk counts: the offline agent is not offered calls
    assert (q["logged_in"], q["available"], q["phone_offline"]) == (2, 1, 1)


def test_a_row_without_the_phone_field_is_online() -> None:
    agents = AgentBoard({}, 2)
    _signed_in(agents, "1001")
    shown = screen(_state(agents, desk_rows={"1001": {"agent": "1001"}}), NOW)
    assert _row(shown, "1001")["phone"] == "online"
    assert not [a for a in shown["alerts"] if a["kind"] == PHONE_OFFLINE]
    assert _queue(shown, "q12345")["available"] == 1


def test_asterisk_saying_the_device_is_unreachable_is_offline_too() -> None:
    agents = AgentBoard({}, 2, logout_unreachable_after_s=60)
    agents.apply(_member(ev.QueueMemberAdded, "1001", ev.DeviceState.NOT_INUSE), NOW - 30)
    agents.apply(_member(ev.QueueMemberStatus, "1001", ev.DeviceState.UNAVAILABLE), NOW - 12)
    shown = screen(_state(agents), NOW)
    assert _row(shown, "1001")["phone"] == "offline"
    (alert,) = [a for a in shown["alerts"] if a["kind"] == PHONE_OFFLINE]
    assert alert["since"] == NOW - 12


def test_a_signed_out_agent_is_no_alert() -> None:
    rows = {"1001": {"agent": "1001", "phone": "offline"}}
    shown = screen(_state(AgentBoard({}, 2), desk_rows=rows), NOW)
    assert _row(shown, "1001")["state"] == "logged_out"
    assert not [a for a in shown["alerts"] if a["kind"] == PHONE_OFFLINE]


def test_the_alert_rules_with_rows_that_carry_the_field() -> None:
    found = alerts([], Targets(), NOW, [
        AgentView("1001", "王芳", signed_in=True, phone_offline=True),
        AgentView("1002", "", signed_in=True, phone_offline=True),
        AgentView("1003", "张伟", signed_in=False, phone_offline=True),
        AgentView("1004", "李娜", signed_in=True, phone_offline=False)])
    assert [(a.kind, a.agent) for a in found] == [(PHONE_OFFLINE, "1001"),
                                                  (PHONE_OFFLINE, "1002")]
    assert "工号1002" in found[1].text  # no name: the work number


# -- pauses -------------------------------------------------------------------------------

def test_a_supervisors_pause_during_a_call_shows_the_call_and_the_pause() -> None:
    agents = AgentBoard({}, 2)
    li = agents.status("1001")
    li.queues, li.on_call_with = {"q12345"}, "1.5"
    li.paused, li.pause_reason = True, "质检辅导"
    shown = screen(_state(agents, forced={"1001": ("zhao.lei", "质检辅导")}), NOW)
    row = _row(shown, "1001")
    assert (row["state"], row["paused"], row["reason"]) == ("on_call", True, "质检辅导")
    assert (row["forced"], row["paused_by"]) == (True, "赵磊")  # by name, not zhao.lei
    assert _queue(shown, "q12345")["busy"] == 1


def test_a_signed_out_agent_drops_their_pause_reason() -> None:
    agents = AgentBoard({}, 2)
    for event in (_member(ev.QueueMemberAdded, "1001", ev.DeviceState.NOT_INUSE),
                  _member(ev.QueueMemberPause, "1001", ev.DeviceState.NOT_INUSE, True, "小休"),
                  _member(ev.QueueMemberRemoved, "1001", ev.DeviceState.NOT_INUSE, True,
                          "小休")):
        agents.apply(event, NOW - 10)
    row = _row(screen(_state(agents), NOW), "1001")
    assert (row["state"], row["paused"], row["reason"]) == ("logged_out", False, "")


# -- the day's figures ---------------------------------------------------------------------

def _line(event: str, at: float, call: str, **fields: Any) -> dict[str, Any]:
    return {"ts": iso_ts(at), "event": event, "call_id": call, **fields}


def _started(at: float, call: str) -> dict[str, Any]:
    return _line("call.started", at, call, context="from-carrier", dialed="12348")


def test_an_overflow_counts_when_it_happens() -> None:
    day = DayFigures(wrapups(CONFIG))
    for line in (_started(NOW - 60, "o1"),
                 _line("queue.joined", NOW - 58, "o1", queue="q12348"),
                 _line("queue.overflowed", NOW - 28, "o1", queue="q12348", to="q12345"),
                 _line("queue.joined", NOW - 28, "o1", queue="q12345")):
        day.count(line)
    local = date.fromtimestamp(NOW)
    today = day.today(NOW)
    assert today.total.overflowed == 0  # the report counts the call once it ended …
    shown = screen(_state(AgentBoard({}, 2), today=today,
                         overflowing=day.reports.overflowing(local)), NOW)
    assert _queue(shown, "q12348")["overflowed"] == 1  # … the board as it happens
    assert shown["totals"]["overflowed"] == 1
    day.count(_line("call.ended", NOW - 1, "o1"))
    today = day.today(NOW)
    shown = screen(_state(AgentBoard({}, 2), today=today,
                         overflowing=day.reports.overflowing(local)), NOW)
    assert (today.total.overflowed, shown["totals"]["overflowed"]) == (1, 1)  # once
    assert _queue(shown, "q12348")["overflowed"] == 1


def test_the_days_connection_rate_says_what_it_counts() -> None:
    """Ten calls: four reach q12345 (three answered, one gives up after 20 s); six never
    reach a queue — five registered for a callback at once (nobody logged in anywhere),
    one hung up during the greeting. The day's 接通率 is 3/10, the queued calls' 3/4."""
    lines: list[dict[str, Any]] = []
    for n in range(4):
        call, at = f"q{n}", NOW - 600 + n * 60
        lines += [_started(at, call), _line("queue.joined", at + 2, call, queue="q12345")]
        if n < 3:
            lines.append(_line("queue.answered", at + 5, call, queue="q12345", agent="1001",
                               wait_s=3))
        else:
            lines.append(_line("queue.abandoned", at + 22, call, queue="q12345", wait_s=20))
        lines.append(_line("call.ended", at + 40, call))
    for n in range(6):
        call, at = f"u{n}", NOW - 300 + n * 20
        lines.append(_started(at, call))
        if n < 5:
            lines += [_line("queue.overflowed", at + 2, call, queue="q12348", to="q12345",
                            queue_status="JOINEMPTY"),
                      _line("callback.requested", at + 3, call, queue="q12345")]
        lines.append(_line("call.ended", at + 8, call))
    local = date.fromtimestamp(NOW)
    report = ReportBuilder(wrapups(CONFIG), local, local).feed(lines)
    t = report.total
    assert (t.offered, t.queued, t.unqueued, t.callback_unqueued) == (10, 4, 6, 5)
    assert t.connection_rate == 0.3 and t.queued_connection_rate == 0.75
    shown = screen(_state(AgentBoard({}, 2), today=report), NOW)["totals"]
    assert (shown["connection_rate"], shown["queued_connection_rate"]) == (0.3, 0.75)
    assert (shown["queued"], shown["unqueued"], shown["unqueued_callback"],
            shown["unqueued_subcenter"]) == (4, 6, 5, 0)
    q = _queue(screen(_state(AgentBoard({}, 2), today=report), NOW), "q12345")
    assert q["connection_rate"] == 0.75  # what the queue's own row says
