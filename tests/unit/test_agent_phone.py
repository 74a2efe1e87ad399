"""The agent's phone and the desk: rows say whether it is registered and which device
answers; signing out during a call is refused (the supervisor keeps listening, whispering,
barging); the desktop hears of the phone going offline and of the engine signing them out."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.actors import LOCAL
from callcenter.agents.state import LogoutAgent, PhoneChange
from callcenter.ami import events as ev
from callcenter.config.loader import agent_interface
from callcenter.desktop.notifier import DesktopNotifier
from callcenter.errors import AgentConflict
from callcenter.hub import Hub
from callcenter.tickets.live import AgentBus
from tests.unit.people import open_door
from tests.unit.test_api import FakeEngine
from tests.unit.test_browser_phone import _desk, _interfaces

WEB = agent_interface("1001", "webrtc")


def connect(interface: str = WEB) -> ev.AgentConnect:
    return ev.AgentConnect("PJSIP/carrier-1", "1.1", "1.1", "q12345", interface, "1001",
                           "PJSIP/agent-1001-web-1", 3, 1)


async def test_an_agent_on_a_call_cannot_sign_out() -> None:
    desk, asterisk = _desk({WEB})
    await desk.login("1001", device="webrtc")
    desk.on_event(connect(), 1.0)
    assert desk.describe("1001")["state"] == "on_call"
    with pytest.raises(AgentConflict, match="正在通话中，不能签出：请先结束通话"):
        await desk.logout("1001", refuse_on_call=True)
    assert not _interfaces(asterisk, "QueueRemove")  # nothing was sent
    assert desk.board.status("1001").queues
    desk.on_event(ev.AgentComplete("PJSIP/carrier-1", "1.1", "1.1", "q12345", WEB, "1001", 3,
                                   60, "caller"), 2.0)
    await desk.logout("1001", refuse_on_call=True)  # after the call: signed out
    assert not desk.board.status("1001").queues


async def test_a_supervisor_and_the_servers_cli_may_sign_out_an_agent_on_a_call() -> None:
    for forced in ({"by_supervisor": True}, {}):
        desk, _asterisk = _desk({WEB})
        await desk.login("1001", device="webrtc")
        desk.on_event(connect(), 1.0)
        await desk.logout("1001", **forced)
        assert not desk.board.status("1001").queues


async def test_the_command_refuses_a_persons_sign_out_on_a_call(tmp_path: Path) -> None:
    """agent.logout through the API (an agent, a supervisor): refused on a call, audited;
    root (the server's CLI) may."""
    desk, _asterisk = _desk({WEB})
    engine = FakeEngine()
    engine.agent_desk = desk
    door = await open_door(tmp_path, engine)
    try:
        await desk.login("1001", device="webrtc")
        desk.on_event(connect(), 1.0)
        for who in ("li", "zhao"):
            with pytest.raises(AgentConflict):
                await door.commands.run("agent.logout", {"agent": "1001"}, door.actor(who))
        assert desk.board.status("1001").queues
        rows = [(r["user"], r["action"], r["result"]) for r in await door.audit()]
        assert ("li", "agent.logout", "CC702") in rows
        await door.commands.run("agent.logout", {"agent": "1001"}, LOCAL)
        assert not desk.board.status("1001").queues
    finally:
        await door.store.close()


async def test_rows_say_the_phone_and_the_device() -> None:
    desk, _asterisk = _desk({WEB})
    row = desk.describe("1001")
    assert (row["phone"], row["device"]) == ("offline", "")  # nothing heard of it yet
    desk.on_event(ev.DeviceStateChange(WEB, ev.DeviceState.NOT_INUSE), 0.0)
    await desk.login("1001", device="webrtc")
    row = desk.describe("1001")
    assert (row["state"], row["phone"], row["device"]) == ("available", "online", "webrtc")
    desk.on_event(ev.DeviceStateChange(WEB, ev.DeviceState.UNAVAILABLE), 1.0)
    assert desk.describe("1001")["phone"] == "offline"
    assert all(r["phone"] in ("online", "offline") for r in desk.snapshot())


def test_the_desktop_hears_of_its_phone_and_of_being_signed_out() -> None:
    desk, _asterisk = _desk({WEB})
    bus = AgentBus()
    queue = bus.subscribe("1001")
    notifier = DesktopNotifier(bus, lambda _u: None, desk.describe,
                               offline_after_s=lambda: 60)
    hub = Hub()  # as the engine wires them: the desk publishes, the notifier subscribes
    hub.subscribe("desktop", notifier.on_phone, PhoneChange)
    hub.subscribe("desktop", notifier.on_auto_logout, LogoutAgent)
    desk.publish = hub.publish
    desk.on_event(ev.DeviceStateChange(WEB, ev.DeviceState.NOT_INUSE), 0.0)
    told = queue.get_nowait()
    assert (told["type"], told["phone"]) == ("state", "online")
    desk._handle([LogoutAgent("1001", "软电话离线")], 61.0)
    notice = queue.get_nowait()
    assert notice["type"] == "notice" and notice["level"] == "warning"
    assert "60 秒" in notice["text"] and "重新签入" in notice["text"]
