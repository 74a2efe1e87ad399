"""The supervisor's commands through the one command layer and the HTTP API (#17): only a
supervisor may run them, every run and refusal is an audit row (with what only the command
knows: old → new skills, the session and call), and the routes answer as the others do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter import permissions
from callcenter.actors import LOCAL, Actor, Role
from callcenter.agents.desk import AgentDesk
from callcenter.ami import events as ev
from callcenter.calls.state import CallTracker
from callcenter.config.loader import Config, load_config
from callcenter.config.models import Supervisor
from callcenter.errors import Forbidden
from callcenter.paths import PROJECT_ROOT
from callcenter.supervision.commands import supervision_handlers
from callcenter.supervision.desk import MonitorDesk
from callcenter.supervision.floor_desk import FloorDesk
from callcenter.tickets.live import AgentBus
from tests.unit.live import AGENT, agent_on_a_call
from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeEngine
from tests.unit.test_supervisor_floor import NOW, Asterisk, member

SUPERVISOR_ONLY = ("supervise.pause", "supervise.unpause", "supervise.logout",
                   "supervise.skills", "supervise.move_caller", "monitor.start",
                   "monitor.mode", "monitor.stop", "monitor.list")


def _with_supervisor(config: Config, user: str) -> Config:
    agents = config.agents.model_copy(update={"supervisors": {user: Supervisor(name="赵磊")}})
    return Config(config.directory, config.engine, config.prompts, config.hotlines,
                  config.queues, agents, config.prefill)


CONFIG = _with_supervisor(load_config(PROJECT_ROOT / "config"), "zhao")  # the door's supervisor


@pytest.mark.parametrize("name", SUPERVISOR_ONLY)
@pytest.mark.parametrize("role", ["agent", "supervisor", "admin", "none"])
def test_only_a_supervisor(name: str, role: str) -> None:
    actor = Actor("x", "http", "", Role(role), "1001" if role == "agent" else "")
    if role == "supervisor":
        permissions.check(actor, name, {"agent": "1001"})
    else:
        with pytest.raises(Forbidden):
            permissions.check(actor, name, {"agent": "1001"})
    permissions.check(LOCAL, name, {})
    assert permissions.rule(name).changes is (name != "monitor.list")


@dataclass
class Site:
    client: TestClient  # type: ignore[type-arg]
    door: Door
    ami: Asterisk
    bus: AgentBus
    monitor: MonitorDesk

    async def post(self, who: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = await self.client.post(path, headers=self.door.auth(who), json=body)
        return response.status, await response.json()

    async def rows(self) -> list[tuple[str, str, str, str, str]]:
        await self.monitor._tasks.wait()
        return [(r["user"], r["action"], r["target"], r["result"], r["detail"])
                for r in await self.door.audit() if r["action"] not in ("sign-in",)]


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    ami, tracker, bus = Asterisk(), CallTracker(), AgentBus()
    desk = AgentDesk(CONFIG, ami.send, lambda: NOW)
    ami.desk = desk
    for queue in CONFIG.agents.agents["1001"].skills:
        desk.on_event(member(ev.QueueMemberAdded, queue), NOW)
    agent_on_a_call(tracker)
    monitor = MonitorDesk(ami.send, tracker, lambda: CONFIG, lambda: NOW)
    control = FloorDesk(desk, ami.send, tracker, bus.publish, lambda: NOW)
    door = await open_door(tmp_path, FakeEngine(), supervision_handlers(monitor, control))
    monitor.audit_trail = lambda: door.trail
    client = TestClient(TestServer(door.app(agent_events=bus)))
    await client.start_server()
    yield Site(client, door, ami, bus, monitor)
    await client.close()
    await door.store.close()


async def test_control_routes_tell_the_agent_and_are_audited(site: Site) -> None:
    screen = site.bus.subscribe("1001")
    status, body = await site.post("zhao", "/api/supervise/agents/1001/pause",
                                   {"reason": "请先完成培训"})
    assert (status, body["state"], body["reason"]) == (200, "paused", "请先完成培训")
    told = screen.get_nowait()
    assert (told["type"], told["action"], told["text"]) == (
        "supervisor", "pause", "班长赵磊已将您置为暂停：请先完成培训")  # by name
    status, body = await site.post("zhao", "/api/supervise/agents/1001/skills",
                                   {"skills": {"q12345": 0, "q12348": 1}})
    assert (status, body["skills"]) == (200, {"q12345": 0, "q12348": 1})
    status, body = await site.post("zhao", "/api/supervise/agents/1001/skills",
                                   {"skills": {"q12345": 9}})
    assert status == 400 and "penalty" in body["error"]
    status, body = await site.post("li", "/api/supervise/agents/1001/unpause", {})
    assert (status, body["error_id"]) == (403, "CC1301")
    status, body = await site.post("zhao", "/api/supervise/agents/1001/dance", {})
    assert status == 404
    rows = await site.rows()
    assert ("zhao", "supervise.pause", "agent 1001", "ok", "reason=请先完成培训") in rows
    (skills,) = [r for r in rows if r[1] == "supervise.skills" and r[3] == "ok"]
    assert "skills q12315 3→-" in skills[4] and "q12345 2→0, q12348 -→1" in skills[4]
    assert ("li", "supervise.unpause", "agent 1001", "CC1301") in [r[:4] for r in rows]
    assert [r[3] for r in rows if r[1] == "supervise.skills"] == ["ok", "CC1200"]


async def test_move_caller_route(site: Site) -> None:
    status, body = await site.post("zhao", "/api/supervise/move-caller",
                                   {"queue": "q12315", "position": 1, "to_queue": "q12345"})
    assert (status, body["error_id"]) == (409, "CC1501")  # nobody waits there
    site.monitor.tracker.apply(ev.Newchannel("PJSIP/carrier-00000009", "200.1", "200.1",
                                     ev.ChannelState.UP, "13812345678", "", "12315",
                                     "from-carrier"), NOW)
    site.ami.waiting = [{"Event": "QueueEntry", "Queue": "q12315", "Position": "1",
                         "Channel": "PJSIP/carrier-00000009", "Uniqueid": "200.1",
                         "Wait": "12"}]
    status, body = await site.post("zhao", "/api/supervise/move-caller",
                                   {"queue": "q12315", "position": 1, "to_queue": "q12345"})
    assert (status, body["to"], body["call_id"]) == (200, "q12345", "200.1")
    rows = await site.rows()
    (moved,) = [r for r in rows if r[1] == "supervise.move_caller" and r[3] == "ok"]
    assert moved[4] == "queue=q12315; position=1; to_queue=q12345; call 200.1 q12315→q12345"


async def test_monitor_routes(site: Site) -> None:
    status, body = await site.post("zhao", "/api/monitor", {"agent": "1001", "mode": "whisper"})
    assert (status, body["phase"], body["mode"]) == (200, "ringing", "whisper")
    sid = body["session"]
    listed = await site.client.get("/api/monitor", headers=site.door.auth("zhao"))
    assert [s["session"] for s in await listed.json()] == [sid]
    status, body = await site.post("zhao", f"/api/monitor/{sid}/mode", {"mode": "barge"})
    assert (status, body["error_id"]) == (409, "CC1501")  # not answered yet
    status, body = await site.post("zhao", f"/api/monitor/{sid}/mode", {"mode": "sing"})
    assert (status, body["error_id"]) == (400, "CC1500")
    status, body = await site.post("zhao", "/api/monitor", {"agent": "1002"})
    assert (status, body["error_id"]) == (409, "CC1501")  # no call
    status, body = await site.post("chen", "/api/monitor", {"agent": "1001"})
    assert status == 403
    status, body = await site.post("zhao", f"/api/monitor/{sid}/stop")
    assert (status, body["reason"]) == (200, "stopped")
    status, body = await site.post("zhao", f"/api/monitor/{sid}/stop")
    assert (status, body["error_id"]) == (404, "CC1502")
    rows = await site.rows()
    (start,) = [r for r in rows if r[1] == "monitor.start" and r[3] == "ok"]
    assert start[2] == "agent 1001"
    assert start[4] == (f"mode=whisper; session {sid}, call 100.1, from "
                        "PJSIP/supervisor-zhao")
    assert ("zhao", "monitor.stop", f"monitor session {sid}", "ok") in [r[:4] for r in rows]
    (session,) = [r for r in rows if r[1] == "monitor.session"]
    assert session[:4] == ("zhao", "monitor.session", "agent 1001", "ok")
    assert "reason=stopped" in session[4] and "modes=whisper" in session[4]
    originate = [a.as_dict() for a in site.ami.sent if a.name == "Originate"][-1]
    assert originate["Data"] == f"{AGENT},qESudw"


@pytest.mark.parametrize(("argv", "name", "given"), [
    (["supervise", "pause", "1001", "--reason", "会议"], "supervise.pause",
     {"agent": "1001", "reason": "会议"}),
    (["supervise", "unpause", "1001"], "supervise.unpause", {"agent": "1001", "reason": ""}),
    (["supervise", "skills", "1001", "q12345=0", "q12348=1"], "supervise.skills",
     {"agent": "1001", "skills": {"q12345": 0, "q12348": 1}}),
    (["supervise", "move", "--queue", "q12315", "--position", "2", "--to", "q12345"],
     "supervise.move_caller", {"queue": "q12315", "position": "2", "to_queue": "q12345"}),
    (["monitor", "start", "1001", "--mode", "barge", "--supervisor", "zhao.lei"],
     "monitor.start", {"agent": "1001", "mode": "barge", "supervisor": "zhao.lei",
                       "device": "sip"}),
    (["monitor", "mode", "abc", "whisper"], "monitor.mode", {"session": "abc",
                                                             "mode": "whisper"}),
    (["monitor", "list"], "monitor.list", {}),
])
def test_the_cli_asks_the_engine_the_same_commands(argv: list[str], name: str,
                                                   given: dict[str, Any]) -> None:
    from callcenter.cli import build_parser
    from callcenter.supervision.cli import _request

    assert _request(build_parser().parse_args(argv)) == (name, given)
