"""A supervisor's control of the floor (#17): forced pause / unpause / logout told to the
agent's desktop, an agent's queues for the rest of the shift, and a waiting caller moved to
another queue — on the real agent desk, with a fake AMI that answers as Asterisk does
(membership actions come back as QueueMember* events)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from callcenter import audit
from callcenter.actors import LOCAL, Actor, Role
from callcenter.agents.desk import AgentDesk
from callcenter.agents.skills import ShiftSkills, change, describe, shift_end
from callcenter.ami import actions
from callcenter.ami import events as ev
from callcenter.ami.client import AmiResponse
from callcenter.ami.wire import AmiFrame
from callcenter.calls.state import CallTracker
from callcenter.clock import iso_ts
from callcenter.config.loader import load_config
from callcenter.config.models import Shift
from callcenter.errors import (
    AgentConflict,
    AgentError,
    AmiActionFailed,
    CommandError,
    SupervisionConflict,
    SupervisionError,
    UnknownAgent,
)
from callcenter.paths import PROJECT_ROOT
from callcenter.queues.watch import QueueWatch
from callcenter.routing.decide import Router
from callcenter.supervision.floor_desk import FloorDesk
from tests.unit.live import Decided

CONFIG = load_config(PROJECT_ROOT / "config")
ZHAO = Actor("zhao.lei", "http", "127.0.0.1", Role.SUPERVISOR)
IFACE = "PJSIP/agent-1001"
CALLER = "PJSIP/carrier-00000001"
NOW = datetime(2026, 11, 30, 10, 0).timestamp()  # a Monday, 10:00 local time
NOW_DAY = datetime(2026, 11, 30).date()


def member(cls: type[ev.QueueMemberEvent], queue: str, iface: str = IFACE, paused: bool = False,
           reason: str = "") -> ev.QueueMemberEvent:
    return cls(queue=queue, interface=iface, member_name=iface[-4:], state_interface=iface,
               status=ev.DeviceState.NOT_INUSE, paused=paused, paused_reason=reason, penalty=0,
               in_call=False, calls_taken=0, dynamic=True)


class Asterisk:
    """Answers actions, and reports memberships by events as Asterisk does."""

    def __init__(self) -> None:
        self.sent: list[actions.AmiAction] = []
        self.refuse: set[str] = set()
        self.refuse_once: set[str] = set()  # the next one of these is refused
        self.desk: AgentDesk | None = None
        self.waiting: list[dict[str, str]] = []  # QueueEntry frames of QueueStatus

    async def send(self, action: actions.AmiAction) -> AmiResponse:
        self.sent.append(action)
        if action.name in self.refuse or action.name in self.refuse_once:
            self.refuse_once.discard(action.name)
            return AmiResponse(action.name, False, "No such channel", {})
        f = dict(action.fields)
        desk = self.desk
        assert desk is not None
        if action.name == "QueueAdd":
            desk.on_event(member(ev.QueueMemberAdded, f["Queue"], f["Interface"],
                                 f["Paused"] == "true", f.get("Reason", "")), NOW)
        elif action.name == "QueueRemove":
            desk.on_event(member(ev.QueueMemberRemoved, f["Queue"], f["Interface"]), NOW)
        elif action.name == "QueuePause":
            agent = desk.board.status(f["Interface"][-4:])
            for queue in sorted(agent.queues):
                desk.on_event(member(ev.QueueMemberPause, queue, f["Interface"],
                                     f["Paused"] == "true", f.get("Reason", "")), NOW)
        elif action.name == "DeviceStateList":
            items = tuple(AmiFrame({"Event": "DeviceStateChange", "Device": d, "State":
                                    "NOT_INUSE"}) for d in ("PJSIP/agent-1001",))
            return AmiResponse(action.name, True, "", {}, items)
        elif action.name == "QueueStatus":
            return AmiResponse(action.name, True, "", {},
                               tuple(AmiFrame(e) for e in self.waiting))
        return AmiResponse(action.name, True, "", {})

    def names(self) -> list[str]:
        return [a.name for a in self.sent]

    def of(self, name: str) -> list[dict[str, Any]]:
        return [a.as_dict() for a in self.sent if a.name == name]


class Floor:
    def __init__(self) -> None:
        self.ami = Asterisk()
        self.now = NOW
        self.desk = AgentDesk(CONFIG, self.ami.send, lambda: self.now)
        self.ami.desk = self.desk
        self.told: list[tuple[str, dict[str, Any]]] = []
        self.tracker = CallTracker()
        self.control = FloorDesk(self.desk, self.ami.send, self.tracker,
                                         lambda agent, event: self.told.append((agent, event)),
                                         lambda: self.now)

    def logged_in(self, agent: str = "1001", queues: tuple[str, ...] = ()) -> None:
        skills = queues or tuple(CONFIG.agents.agents[agent].skills)
        for queue in skills:
            self.desk.on_event(member(ev.QueueMemberAdded, queue, f"PJSIP/agent-{agent}"), NOW)


@pytest.fixture
def floor() -> Floor:
    return Floor()


# -- pause, unpause, logout -----------------------------------------------------------------

async def test_forced_pause_unpause_and_logout_are_told_to_the_agent(floor: Floor) -> None:
    floor.logged_in()
    paused = await floor.control.pause("1001", "请先完成培训", ZHAO)
    assert (paused["state"], paused["reason"]) == ("paused", "请先完成培训")
    pause = floor.ami.of("QueuePause")[-1]
    assert (pause["Interface"], pause["Paused"], pause["Reason"]) == (IFACE, "true",
                                                                     "请先完成培训")
    resumed = await floor.control.unpause("1001", "", ZHAO)
    assert resumed["state"] == "available"
    out = await floor.control.logout("1001", "下班", ZHAO)
    assert out["state"] == "logged_out"
    assert [(agent, e["type"], e["action"], e["by"]) for agent, e in floor.told] == [
        ("1001", "supervisor", "pause", "zhao.lei"), ("1001", "supervisor", "unpause",
                                                      "zhao.lei"),
        ("1001", "supervisor", "logout", "zhao.lei")]
    # the supervisor by name (agents.yaml supervisors:), not by user name
    assert floor.told[0][1]["text"] == "班长赵磊已将您置为暂停：请先完成培训"
    assert floor.told[1][1]["text"] == "班长赵磊已恢复您的接听"


async def test_reasons_are_required_and_one_short_line(floor: Floor) -> None:
    floor.logged_in()
    with pytest.raises(CommandError, match="请填写原因"):
        await floor.control.pause("1001", "  ", ZHAO)
    with pytest.raises(CommandError, match="一行，不超过 60 个字"):
        await floor.control.logout("1001", "下班\r\nAction: Originate", ZHAO)
    with pytest.raises(CommandError, match="一行，不超过 60 个字"):
        await floor.control.pause("1001", "长" * 61, ZHAO)
    with pytest.raises(UnknownAgent, match="没有工号为 9999 的话务员"):
        await floor.control.pause("9999", "小休", ZHAO)
    with pytest.raises(AgentError, match="话务员 1002 未签入，无法暂停"):
        await floor.control.pause("1002", "小休", ZHAO)
    assert floor.told == [] and "QueuePause" not in floor.ami.names()


# -- skills for the rest of the shift ----------------------------------------------------------

def test_the_change_joins_before_it_leaves_and_is_described() -> None:
    old, new = {"q12345": 2, "q12315": 3}, {"q12345": 0, "q12348": 1}
    diff = change(old, new)
    assert (dict(diff.join), dict(diff.repenalize), diff.leave) == (
        {"q12348": 1}, {"q12345": 0}, ("q12315",))
    assert describe(old, new) == "q12315 3→-, q12345 2→0, q12348 -→1"
    assert change(old, old).empty and describe(old, old) == "unchanged"


def test_a_shift_ends_when_agents_yaml_says() -> None:
    day = Shift.model_validate({"days": ["mon"], "from": "08:00", "to": "16:00"})
    night = Shift.model_validate({"days": ["sun"], "from": "22:00", "to": "06:00"})
    whole = Shift.model_validate({"days": ["mon"], "from": "00:00", "to": "24:00"})
    at = datetime(2026, 11, 30, 10, 0).timestamp()  # Monday 10:00
    assert shift_end([day], at) == datetime(2026, 11, 30, 16, 0).timestamp()
    assert shift_end([day, whole], at) == datetime(2026, 12, 1, 0, 0).timestamp()
    early = datetime(2026, 11, 30, 2, 0).timestamp()  # Monday 02:00, Sunday's night shift
    assert shift_end([night], early) == datetime(2026, 11, 30, 6, 0).timestamp()
    late = datetime(2026, 11, 29, 23, 0).timestamp()  # Sunday 23:00
    assert shift_end([night], late) == datetime(2026, 11, 30, 6, 0).timestamp()
    # no shift in progress: until midnight
    assert shift_end([night], at) == datetime(2026, 12, 1, 0, 0).timestamp()
    assert shift_end([], at) == datetime(2026, 12, 1, 0, 0).timestamp()


async def test_skills_change_a_logged_in_agents_queues_at_once(floor: Floor) -> None:
    floor.logged_in()
    before = floor.desk.skills("1001")
    assert before["q12345"] == 2  # level 3 in agents.yaml
    audit.NOTES.set(())
    result = await floor.control.skills("1001", {"q12345": 0, "q12348": 1}, ZHAO)
    assert result["queues"] == ["q12345", "q12348"] and result["skills"] == {
        "q12345": 0, "q12348": 1}
    assert result["until"] == iso_ts(datetime(2026, 11, 30, 16, 0).timestamp())  # local
    names = floor.ami.names()
    assert names.index("QueueAdd") < names.index("QueueRemove")  # never in no queue
    assert floor.ami.of("QueueAdd")[-1]["Penalty"] == "1"
    assert floor.ami.of("QueuePenalty") == [{"Action": "QueuePenalty", "Interface": IFACE,
                                             "Penalty": "0", "Queue": "q12345"}]
    assert sorted(a["Queue"] for a in floor.ami.of("QueueRemove")) == sorted(
        q for q in CONFIG.agents.agents["1001"].skills if q != "q12345")
    (note,) = audit.NOTES.get()
    assert note.startswith("skills q12315 3→-, q12318 3→-, q12319 3→-, q12328 3→-, "
                           "q12345 2→0, q12348 -→1, q12369 3→-") and "until" in note
    (agent, told), = floor.told
    assert (agent, told["action"]) == ("1001", "skills")
    # titles and levels as the supervisor chose them, not ids and penalties
    assert told["text"] == ("班长赵磊调整了您本班次的技能队列：12345政务服务便民热线：3级 → 5级"
                            "（专家）；12348公共法律服务（专家座席）：新增，4级；"
                            "12315市场监管投诉举报：不再接听；12318文化市场举报：不再接听；"
                            "12319城管热线：不再接听；12328交通运输服务监督：不再接听；"
                            "12369环境保护投诉举报：不再接听")
    assert "q1" not in told["text"] and "→-" not in told["text"]


async def test_only_a_supervisor_ends_a_supervisors_pause(floor: Floor) -> None:
    floor.logged_in()
    await floor.control.pause("1001", "质检辅导", ZHAO)
    with pytest.raises(AgentConflict, match="只有班长可以恢复"):
        await floor.desk.unpause("1001", own=True)  # the agent's 就绪
    assert floor.desk.board.status("1001").paused
    await floor.control.unpause("1001", "", ZHAO)
    await floor.desk.pause("1001", "小休")  # their own pause they end themselves
    assert (await floor.desk.unpause("1001", own=True))["state"] == "available"


async def test_a_pause_ended_in_asterisk_ends_the_supervisors_hold(floor: Floor) -> None:
    """Resumed by Asterisk's own CLI: nothing holds any more, and the agent's own next
    pause is theirs to end."""
    floor.logged_in()
    await floor.control.pause("1001", "质检辅导", ZHAO)
    for queue in CONFIG.agents.agents["1001"].skills:
        floor.desk.on_event(member(ev.QueueMemberPause, queue, IFACE, False), NOW)
    assert floor.desk.forced == {}
    await floor.desk.pause("1001", "小休")
    assert (await floor.desk.unpause("1001", own=True))["state"] == "available"


async def test_a_held_agent_on_a_call_stays_held(floor: Floor) -> None:
    """Paused while their phone rang, the agent answers: on a call outranks paused on the
    board, but Asterisk still has them paused: the hold stays, and so does a refused
    supervisor's unpause."""
    floor.logged_in()
    await floor.control.pause("1001", "质检辅导", ZHAO)
    for queue in CONFIG.agents.agents["1001"].skills:
        floor.desk.on_event(ev.QueueMemberStatus(
            queue=queue, interface=IFACE, member_name="1001", state_interface=IFACE,
            status=ev.DeviceState.INUSE, paused=True, paused_reason="质检辅导", penalty=0,
            in_call=True, calls_taken=1, dynamic=True), NOW)
    assert floor.desk.forced == {"1001": ("zhao.lei", "质检辅导")}
    floor.ami.refuse_once.add("QueuePause")
    with pytest.raises(AmiActionFailed):
        await floor.control.unpause("1001", "", ZHAO)
    assert floor.desk.forced == {"1001": ("zhao.lei", "质检辅导")}
    with pytest.raises(AgentConflict):
        await floor.desk.unpause("1001", own=True)


async def test_a_supervisors_pause_holds_over_the_agents_own_logout(floor: Floor) -> None:
    """Signing out and in again (or switching phones) must not end a supervisor's pause:
    the agent comes back paused with the supervisor's reason; a supervisor's logout ends
    it."""
    floor.logged_in()
    await floor.control.pause("1001", "质检辅导", ZHAO)
    await floor.desk.logout("1001")  # the agent's own 签出
    back = await floor.desk.login("1001")
    assert (back["state"], back["reason"]) == ("paused", "质检辅导")
    assert {(a["Paused"], a["Reason"]) for a in floor.ami.of("QueueAdd")} == {
        ("true", "质检辅导")}
    with pytest.raises(AgentConflict, match="只有班长可以恢复"):
        await floor.desk.unpause("1001", own=True)
    await floor.control.logout("1001", "下班", ZHAO)
    assert (await floor.desk.login("1001"))["state"] == "available"


async def test_a_supervisors_pause_outlives_an_engine_restart(tmp_path: Path) -> None:
    """Asterisk keeps the pause over an engine restart; the engine must keep who paused,
    or the agent could end it themselves after one."""
    from callcenter.app import Engine
    from callcenter.paths import Paths
    from callcenter.secrets import Secrets

    async def engine(paused: bool = False) -> Engine:
        started = Engine(CONFIG, Paths(tmp_path, tmp_path / "var"), Secrets(ami_secret="x"))
        await started.open_store()
        asterisk = Asterisk()
        asterisk.desk, started.agent_desk.send = started.agent_desk, asterisk.send
        for queue in CONFIG.agents.agents["1001"].skills:  # as Asterisk lists its members
            started.agent_desk.on_event(member(ev.QueueMemberAdded, queue, IFACE, paused,
                                               "质检辅导" if paused else ""), NOW)
        return started

    first = await engine()
    await first.agent_desk.force_pause("1001", "质检辅导", "zhao.lei")
    await first._background.wait()
    assert first.store is not None
    await first.store.close()
    second = await engine(paused=True)  # a new process: the same database, Asterisk's pause
    assert second.agent_desk.forced == {"1001": ("zhao.lei", "质检辅导")}
    with pytest.raises(AgentConflict, match="只有班长可以恢复"):
        await second.agent_desk.unpause("1001", own=True)
    await second.agent_desk.unpause("1001")  # a supervisor's
    await second._background.wait()
    assert second.store is not None
    assert await second.store.supervisor_pauses() == {}
    await second.agent_desk.force_pause("1001", "质检辅导", "zhao.lei")
    await second._background.wait()
    await second.store.close()
    # resumed while the engine was away (Asterisk's CLI): the hold is gone with the pause,
    # and the agent's own pauses are theirs to end again
    third = await engine()
    assert third.agent_desk.forced == {"1001": ("zhao.lei", "质检辅导")}
    third.agent_desk.begin_resync()  # QueueStatus lists the member: logged in, not paused
    for queue in CONFIG.agents.agents["1001"].skills:
        third.agent_desk.on_event(member(ev.QueueMemberListed, queue), NOW)
    third.agent_desk.end_resync(NOW)
    await third._background.wait()
    assert third.agent_desk.forced == {}
    assert third.store is not None and await third.store.supervisor_pauses() == {}
    await third.agent_desk.pause("1001", "小休")
    assert (await third.agent_desk.unpause("1001", own=True))["state"] == "available"
    await third.store.close()


@pytest.mark.parametrize("reason", ["回电 13812345678", "身份证 620102 1990 0101 1234",
                                    "卡号１２３４５６７８"])
async def test_a_reason_carries_no_citizens_number(floor: Floor, reason: str) -> None:
    floor.logged_in()
    with pytest.raises(CommandError, match="不能有电话、身份证或卡号"):
        await floor.control.pause("1001", reason, ZHAO)
    assert "QueuePause" not in floor.ami.names()


async def test_a_skills_change_failing_half_way_puts_the_queues_back(floor: Floor) -> None:
    floor.logged_in()
    before = floor.desk.board.status("1001").queues
    floor.ami.refuse_once.add("QueueRemove")  # joined q12348, then could not leave q12315
    with pytest.raises(AmiActionFailed, match=r"技能未调整.*队列保持原样"):
        await floor.control.skills("1001", {"q12345": 0, "q12348": 1}, ZHAO)
    assert floor.desk.board.status("1001").queues == before
    assert floor.desk.shift_skills == {} and floor.told == []
    floor.ami.refuse.add("QueueRemove")  # and if Asterisk refuses the way back too: said so
    with pytest.raises(AmiActionFailed, match="部分队列未能恢复原样"):
        await floor.control.skills("1001", {"q12345": 0, "q12348": 1}, ZHAO)


async def test_a_paused_agent_joins_new_queues_paused(floor: Floor) -> None:
    floor.logged_in()
    await floor.control.pause("1001", "会议", ZHAO)
    await floor.control.skills("1001", {"q12345": 2, "q12348": 0}, ZHAO)
    add = floor.ami.of("QueueAdd")[-1]
    assert (add["Queue"], add["Paused"], add["Reason"]) == ("q12348", "true", "会议")


async def test_skills_last_the_shift_a_relogin_and_a_reload(floor: Floor) -> None:
    await floor.control.skills("1001", {"q12348": 1}, LOCAL)  # logged out: nothing sent
    assert floor.ami.names() == []
    assert floor.desk.shift_skills["1001"].by == "root"
    floor.desk.reconfigure(CONFIG)  # a reload keeps them
    await floor.desk.login("1001")
    assert [a["Queue"] for a in floor.ami.of("QueueAdd")] == ["q12348"]
    floor.now = datetime(2026, 11, 30, 16, 0).timestamp()  # the shift is over
    assert floor.desk.skills("1001")["q12345"] == 2 and "1001" not in floor.desk.shift_skills


async def test_skills_of_queues_no_longer_configured_fall_back(floor: Floor) -> None:
    floor.desk.shift_skills["1001"] = ShiftSkills({"q-gone": 0}, NOW + 3600, "zhao.lei")
    assert floor.desk.skills("1001") == {q: CONFIG.agents.agents["1001"].penalty(q)
                                         for q in CONFIG.agents.agents["1001"].skills}


@pytest.mark.parametrize(("wanted", "why"), [
    ({}, "请至少保留一个队列"), ([1], "请至少保留一个队列"), ({"q9": 1}, "没有这个队列"),
    ({"q12345": 5}, "应为 0"), ({"q12345": True}, "应为 0"), ({"q12345": "1"}, "应为 0")])
async def test_skills_refused(floor: Floor, wanted: object, why: str) -> None:
    with pytest.raises(CommandError, match=why):
        await floor.control.skills("1001", wanted, ZHAO)
    assert floor.desk.shift_skills == {} and floor.told == []


# -- a waiting caller into another queue ----------------------------------------------------------

def waiting_caller(floor: Floor) -> None:
    floor.tracker.apply(ev.Newchannel(CALLER, "100.1", "100.1", ev.ChannelState.UP,
                                      "13812345678", "", "12315", "from-carrier"), NOW)
    floor.tracker.apply(ev.Newchannel("PJSIP/carrier-00000003", "100.3", "100.3",
                                      ev.ChannelState.UP, "13912345678", "", "12315",
                                      "from-carrier"), NOW)
    floor.ami.waiting = [
        {"Event": "QueueEntry", "Queue": "q12315", "Position": "1", "Channel": CALLER,
         "Uniqueid": "100.1", "Wait": "42"},
        {"Event": "QueueEntry", "Queue": "q12315", "Position": "2",
         "Channel": "PJSIP/carrier-00000003", "Uniqueid": "100.3", "Wait": "7"}]


async def test_a_waiting_caller_is_redirected_into_the_other_queue(floor: Floor) -> None:
    waiting_caller(floor)
    floor.logged_in("2001")  # q12348, q12345
    audit.NOTES.set(())
    with capture_logs() as lines:
        moved = await floor.control.move_caller("100.1", "", "", "q12345")
    assert moved == {"call_id": "100.1", "from": "q12315", "to": "q12345", "position": 1,
                     "from_title": "12315市场监管投诉举报", "to_title": "12345政务服务便民热线",
                     "waited_s": 42}
    assert floor.ami.names()[-4:] == ["QueueStatus", "Setvar", "Setvar", "Redirect"]
    assert [(a["Variable"], a["Value"]) for a in floor.ami.of("Setvar")] == [
        ("CC_MOVE_FROM", "q12315"), ("CC_MOVE_QUEUE", "q12345")]
    assert floor.ami.of("Redirect")[-1] == {"Action": "Redirect", "Channel": CALLER,
                                            "Context": "cc-move", "Exten": "s",
                                            "Priority": "1"}
    assert audit.NOTES.get() == ("call 100.1 q12315→q12345",)
    assert "13812345678" not in str(lines)  # never a caller's number


async def test_a_caller_answered_meanwhile_is_not_taken_from_the_agent(floor: Floor) -> None:
    """An agent may answer between Asterisk listing the queue and the Redirect: the
    Redirect would pull the caller out of that conversation."""
    waiting_caller(floor)
    floor.logged_in("2001")
    send = floor.ami.send

    async def answered_meanwhile(action: actions.AmiAction) -> AmiResponse:
        reply = await send(action)
        if action.name == "QueueStatus":
            floor.tracker.apply(ev.Newchannel("PJSIP/agent-2001-00000009", "100.6", "100.1",
                                              ev.ChannelState.UP, "", "", "s", "cc-inbound"),
                                NOW)
            floor.tracker.apply(ev.AgentConnect(CALLER, "100.1", "100.1", "q12315",
                                                "PJSIP/agent-2001", "2001",
                                                "PJSIP/agent-2001-00000009", 42, 1), NOW)
        return reply

    floor.control.send = answered_meanwhile
    with pytest.raises(SupervisionConflict, match="已被接听"):
        await floor.control.move_caller("100.1", "", "", "q12345")
    assert "Redirect" not in floor.ami.names()


async def test_a_caller_back_in_a_queue_after_an_agent_left_is_moved(floor: Floor) -> None:
    """Answered once (its agent gone: a transfer that reached nobody put the caller back
    into the queue), the caller waits again and may be moved."""
    waiting_caller(floor)
    floor.logged_in("2001")
    agent_leg = "PJSIP/agent-1001-00000009"
    floor.tracker.apply(ev.Newchannel(agent_leg, "100.5", "100.1", ev.ChannelState.UP, "",
                                      "", "s", "cc-inbound"), NOW)
    floor.tracker.apply(ev.AgentConnect(CALLER, "100.1", "100.1", "q12315",
                                        "PJSIP/agent-1001", "1001", agent_leg, 42, 1), NOW)
    floor.tracker.apply(ev.Hangup(agent_leg, "100.5", "100.1", 16, "Normal Clearing"), NOW)
    moved = await floor.control.move_caller("100.1", "", "", "q12345")
    assert moved["to"] == "q12345" and floor.ami.of("Redirect")[-1]["Channel"] == CALLER


async def test_by_queue_and_position(floor: Floor) -> None:
    waiting_caller(floor)
    floor.logged_in("2001")
    moved = await floor.control.move_caller("", "q12315", "2", "q12345")
    assert (moved["position"], moved["call_id"]) == (2, "100.3")
    assert floor.ami.of("QueueStatus")[-1]["Queue"] == "q12315"
    assert floor.ami.of("Redirect")[-1]["Channel"] == "PJSIP/carrier-00000003"


async def test_move_refusals_leave_the_caller_where_they_are(floor: Floor) -> None:
    waiting_caller(floor)
    control = floor.control
    with pytest.raises(CommandError, match="没有这个队列"):
        await control.move_caller("100.1", "", "", "q9")
    with pytest.raises(CommandError, match="请指明来电"):
        await control.move_caller("", "q12315", "", "q12345")
    with pytest.raises(CommandError, match="应为 1、2、3"):
        await control.move_caller("", "q12315", "0", "q12345")
    with pytest.raises(SupervisionConflict, match="12345政务服务便民热线无话务员签入"):
        await control.move_caller("100.1", "", "", "q12345")
    floor.logged_in("2001")
    with pytest.raises(SupervisionError, match="已在12315市场监管投诉举报排队"):
        await control.move_caller("100.1", "", "", "q12315")
    with pytest.raises(SupervisionConflict, match="第 3 位已无来电等待"):
        await control.move_caller("", "q12315", "3", "q12345")
    with pytest.raises(SupervisionConflict, match="已不在排队"):
        await control.move_caller("555.5", "", "", "q12345")
    with pytest.raises(CommandError, match="没有这个队列"):
        await control.move_caller("", "q1;x", "1", "q12345")  # never into QueueStatus
    with pytest.raises(CommandError, match="应为 1、2、3"):
        await control.move_caller("", "q12315", "²", "q12345")
    # a transfer's Local leg waiting in a queue is not a caller who dialed in
    floor.ami.waiting.append({"Event": "QueueEntry", "Queue": "q12315", "Position": "3",
                              "Channel": "Local/12345@cc-xfer-00000001;2",
                              "Uniqueid": "100.9", "Linkedid": "100.1", "Wait": "3"})
    floor.tracker.apply(ev.Newchannel("Local/12345@cc-xfer-00000001;2", "100.9", "100.1",
                                      ev.ChannelState.UP, "", "", "s", "cc-xfer"), NOW)
    with pytest.raises(SupervisionConflict, match="不是呼入的来电人"):
        await control.move_caller("", "q12315", "3", "q12345")
    assert "Redirect" not in floor.ami.names()
    assert all(a.get("Queue") in (None, "q12315") for a in floor.ami.of("QueueStatus"))
    floor.ami.refuse.add("Redirect")
    with pytest.raises(AmiActionFailed, match="未能调队，来电仍在12315市场监管投诉举报排队"):
        await control.move_caller("100.1", "", "", "q12345")


def test_the_move_out_of_a_queue_is_not_an_abandon() -> None:
    """Asterisk reports a Redirect out of Queue() as an abandon; [cc-move] says it was not."""
    watch = QueueWatch(CONFIG.queues)
    lines = Decided(watch)
    lines.on_event(ev.QueueCallerJoin(CALLER, "100.1", "100.1", "q12315", 1, 1), 100.0)
    lines.on_event(ev.QueueCallerAbandon(CALLER, "100.1", "100.1", "q12315", 1, 1, 42),
                   142.0)
    lines.on_event(ev.QueueCallerLeave(CALLER, "100.1", "100.1", "q12315", 1, 0), 142.0)
    lines.on_event(ev.UserEvent(CALLER, "100.1", "100.1", "CcMoved",
                                (("From", "q12315"), ("To", "q12345"))), 142.1)
    lines.on_event(ev.QueueCallerJoin(CALLER, "100.1", "100.1", "q12345", 1, 1), 142.2)
    lines.on_event(ev.Hangup(CALLER, "100.1", "100.1", 16, "Normal Clearing"), 150.0)
    events = [(line["event"], line.get("queue")) for line in lines]
    assert events == [("queue.joined", "q12315"), ("queue.moved", "q12315"),
                      ("queue.joined", "q12345")]
    moved = lines[1]
    assert (moved["to"], moved["wait_s"], moved["call_id"]) == ("q12345", 42, "100.1")


# -- moving a caller as a shift does it (#22) ----------------------------------------------------

def test_the_wait_keeps_counting_after_a_move() -> None:
    """Moved at 142 s into q12345, the caller has waited since 100 s (as the report counts
    it), and is known to come from q12315; one who overflows waits since the new join."""
    watch = QueueWatch(CONFIG.queues)
    watch.on_event(ev.QueueCallerJoin(CALLER, "100.1", "100.1", "q12315", 1, 1), 100.0)
    watch.on_event(ev.QueueCallerAbandon(CALLER, "100.1", "100.1", "q12315", 1, 1, 42), 142.0)
    watch.on_event(ev.QueueCallerLeave(CALLER, "100.1", "100.1", "q12315", 1, 0), 142.0)
    watch.on_event(ev.UserEvent(CALLER, "100.1", "100.1", "CcMoved",
                                (("From", "q12315"), ("To", "q12345"))), 142.1)
    watch.on_event(ev.QueueCallerJoin(CALLER, "100.1", "100.1", "q12345", 1, 1), 142.2)
    assert watch.oldest("q12345") == 100.0 and watch.joined_at("q12345", "100.1") == 100.0
    assert watch.came_from("q12345", "100.1") == ("moved", "q12315")
    other = "PJSIP/carrier-00000002"
    watch.on_event(ev.QueueCallerJoin(other, "100.2", "100.2", "q12348", 1, 1), 100.0)
    watch.on_event(ev.QueueCallerAbandon(other, "100.2", "100.2", "q12348", 1, 1, 30), 130.0)
    watch.on_event(ev.UserEvent(other, "100.2", "100.2", "CcOverflow",
                                (("From", "q12348"), ("To", "q12345"))), 130.1)
    watch.on_event(ev.QueueCallerJoin(other, "100.2", "100.2", "q12345", 2, 2), 130.2)
    assert watch.joined_at("q12345", "100.2") == 130.2
    assert watch.came_from("q12345", "100.2") == ("overflowed", "q12348")
    watch.on_event(ev.QueueCallerLeave(CALLER, "100.1", "100.1", "q12345", 1, 1), 160.0)
    watch.on_event(ev.Hangup(CALLER, "100.1", "100.1", 16, "Normal Clearing"), 170.0)
    assert watch.came_from("q12345", "100.1") is None and watch.oldest("q12345") == 130.2


async def test_the_callers_waiting_are_listed_with_their_hotline_wait_and_origin(
        floor: Floor) -> None:
    waiting_caller(floor)
    watch = QueueWatch(CONFIG.queues)
    floor.control.watch = watch
    router = Router.of(CONFIG.hotlines, CONFIG.queues)
    floor.tracker.calls["100.1"].route = router.decide("12396", NOW_DAY)
    floor.tracker.calls["100.3"].route = router.decide("12345", NOW_DAY)
    watch.on_event(ev.QueueCallerJoin(CALLER, "100.1", "100.1", "q12348", 1, 1), NOW - 90)
    watch.on_event(ev.QueueCallerAbandon(CALLER, "100.1", "100.1", "q12348", 1, 1, 48), NOW - 42)
    watch.on_event(ev.UserEvent(CALLER, "100.1", "100.1", "CcMoved",
                                (("From", "q12348"), ("To", "q12315"))), NOW - 42)
    watch.on_event(ev.QueueCallerJoin(CALLER, "100.1", "100.1", "q12315", 1, 1), NOW - 42)
    floor.logged_in("2001")  # q12348, q12345
    await floor.control.pause("2001", "培训", ZHAO)
    floor.logged_in("1002", ("q12345",))
    listed = await floor.control.waiting("q12315")
    first, second = listed["callers"]
    assert (first["position"], first["call"], first["joined_at"]) == (1, "100.1", NOW - 90)
    assert (first["dialed"], first["mode_text"]) == ("12396", "整体并入")
    assert first["hotline"]  # the merged hotline's name
    assert first["came_from"]["text"] == "由班长从12348公共法律服务（专家座席）调入"
    assert (second["dialed"], second["mode_text"], second["came_from"]) == (
        "12345", "12345 主号", None)
    assert second["joined_at"] == NOW - 7  # Asterisk's wait when the watch does not know
    assert "13812345678" not in str(listed) and "13912345678" not in str(listed)
    targets = {t["queue"]: t for t in listed["targets"]}
    assert "q12315" not in targets
    assert (targets["q12345"]["answering"], targets["q12345"]["unavailable"]) == (1, "")
    assert targets["q12348"]["unavailable"] == "话务员均暂停或软电话离线"  # 2001 is paused
    assert targets["q12333"]["unavailable"] == "无话务员签入"


async def test_a_queue_where_nobody_can_answer_is_refused(floor: Floor) -> None:
    waiting_caller(floor)
    floor.logged_in("2001")  # q12348, q12345
    await floor.control.pause("2001", "培训", ZHAO)
    with pytest.raises(SupervisionConflict, match="的话务员均暂停或软电话离线"):
        await floor.control.move_caller("100.1", "", "", "q12345")
    assert "Redirect" not in floor.ami.names()
    await floor.control.unpause("2001", "", ZHAO)
    floor.desk.on_event(ev.QueueMemberStatus(
        "q12345", "PJSIP/agent-2001", "2001", "PJSIP/agent-2001",
        ev.DeviceState.UNAVAILABLE, False, "", 0, False, 0, True), NOW)
    with pytest.raises(SupervisionConflict, match="软电话离线"):  # the phone is gone
        await floor.control.move_caller("100.1", "", "", "q12345")
