"""The browser softphone's Asterisk side and the agent's choice of device: ICE host
candidates from the machine's addresses, the generated WebRTC endpoints, and an agent desk
that logs in, pauses and logs out with the device the agent chose."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from callcenter.agents.desk import AgentDesk
from callcenter.agents.state import agent_of
from callcenter.ami.actions import AmiAction
from callcenter.ami.adapter import adapt
from callcenter.ami.client import AmiResponse
from callcenter.ami.wire import AmiFrame
from callcenter.config.loader import agent_interface, agent_web_endpoint, load_config
from callcenter.errors import CommandError
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.pbx import ice
from callcenter.pbx.confgen import render
from callcenter.secrets import Secrets
from tests.asterisk_conf import parse

CONFIG = load_config(PROJECT_ROOT / "config")
IP_ADDR = """\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever
4: eth0    inet 192.0.2.9/24 scope global secondary eth0\\       valid_lft forever
7: wg0    inet 10.8.0.1/32 scope global wg0\\       valid_lft forever preferred_lft forever
"""


def test_ice_candidates_are_the_machines_other_ipv4_addresses() -> None:
    assert ice.parse_ip_addr(IP_ADDR) == ["127.0.0.1", "192.0.2.2", "192.0.2.9", "10.8.0.1"]
    assert ice.parse_ip_addr("") == []
    given = [*ice.parse_ip_addr(IP_ADDR), "192.0.2.2", "::1", "fe80::1", "127.0.0.2", "junk"]
    assert ice.host_candidates(given, "127.0.0.1") == ["10.8.0.1", "192.0.2.2", "192.0.2.9"]
    assert ice.host_candidates(["192.0.2.2"], "192.0.2.2") == []
    assert "127.0.0.1" in ice.host_addresses()  # this machine's, through `ip`


def _files(addresses: list[str]) -> dict[str, str]:
    secrets = Secrets("ami", {name: f"pw-{name}" for name in CONFIG.sip_endpoints})
    files = render(CONFIG, secrets, Paths(PROJECT_ROOT, PROJECT_ROOT / "var"),
                   date(2026, 11, 28), host_addresses=addresses)
    return {f.name: f.text for f in files}


def test_asterisk_takes_browser_softphones_on_loopback() -> None:
    files = _files(["127.0.0.1", "192.0.2.2", "10.8.0.1"])
    rtp = parse(files["rtp.conf"])
    assert rtp.section("general").value("icesupport") == "yes"
    assert [(e.key, e.value, e.arrow) for e in rtp.section("ice_host_candidates").entries] == [
        ("10.8.0.1", "127.0.0.1", True), ("192.0.2.2", "127.0.0.1", True)]
    assert "[ice_host_candidates]" not in _files(["127.0.0.1"])["rtp.conf"]
    http = parse(files["http.conf"]).section("general")
    assert (http.value("enabled"), http.value("bindaddr"), http.value("bindport")) == (
        "yes", "127.0.0.1", "8088")
    modules = parse(files["modules.conf"]).section("modules")
    for module in ("res_crypto", "res_srtp", "res_http_websocket", "codec_opus_open_source",
                   "res_pjsip_transport_websocket", "res_format_attr_opus"):
        assert f"load = {module}.so" in files["modules.conf"], module
    assert modules.value("autoload") == "no"
    pjsip = parse(files["pjsip.conf"])
    assert pjsip.section("transport-ws").value("protocol") == "ws"
    for agent_id in CONFIG.agents.agents:
        name = agent_web_endpoint(agent_id)
        endpoint, auth, aor = pjsip.named(name)
        assert endpoint.value("webrtc") == "yes"
        assert endpoint.value("allow") == "opus,ulaw,alaw"
        assert (endpoint.value("media_address"), endpoint.value("bind_rtp_to_media_address"),
                endpoint.value("direct_media")) == ("127.0.0.1", "yes", "no")
        assert (auth.value("username"), auth.value("password")) == (name, f"pw-{name}")
        assert (aor.value("max_contacts"), aor.value("remove_existing")) == ("1", "yes")
        # the desk softphone stays as it was
        (desk, *_rest) = pjsip.named(f"agent-{agent_id}")
        assert "webrtc" not in desk.keys and desk.value("allow") == "ulaw,alaw"


def test_interfaces_of_both_devices_lead_back_to_the_agent() -> None:
    assert agent_interface("1001") == "PJSIP/agent-1001"
    assert agent_interface("1001", "webrtc") == "PJSIP/agent-1001-web"
    with pytest.raises(ValueError):
        agent_interface("1001", "pstn")
    for device in ("sip", "webrtc"):
        assert agent_of(agent_interface("1001", device)) == "1001"
    assert agent_of("PJSIP/subcenter-12366") is None


@dataclass
class FakeAsterisk:
    """Registered devices; queue actions answered, and their events sent to the desk."""

    registered: set[str]
    desk: AgentDesk | None = None
    actions: list[AmiAction] = field(default_factory=list)

    async def __call__(self, action: AmiAction) -> AmiResponse:
        self.actions.append(action)
        fields = dict(action.fields)
        if action.name == "DeviceStateList":
            items = tuple(AmiFrame({"Event": "DeviceStateChange", "Device": device,
                                    "State": "NOT_INUSE" if device in self.registered
                                    else "UNAVAILABLE"})
                          for device in (agent_interface("1001", d) for d in ("sip", "webrtc")))
            return AmiResponse(action.name, True, "", {}, items)
        event = {"QueueAdd": "QueueMemberAdded", "QueueRemove": "QueueMemberRemoved",
                 "QueuePause": "QueueMemberPause"}[action.name]
        assert self.desk is not None
        queues = [fields["Queue"]] if "Queue" in fields else sorted(
            self.desk.board.status("1001").queues)
        for queue in queues:
            adapted = adapt(AmiFrame({
                "Event": event, "Queue": queue, "Interface": fields["Interface"],
                "MemberName": "1001", "Status": "1",
                "Paused": "1" if fields.get("Paused") == "true" else "0",
                "PausedReason": fields.get("Reason", "")}))
            assert adapted is not None
            self.desk.on_event(adapted, 0.0)
        return AmiResponse(action.name, True, "", {})


def _desk(registered: set[str]) -> tuple[AgentDesk, FakeAsterisk]:
    asterisk = FakeAsterisk(registered)
    desk = AgentDesk(CONFIG, asterisk, lambda: 0.0)
    asterisk.desk = desk
    return desk, asterisk


def _interfaces(asterisk: FakeAsterisk, name: str) -> set[str]:
    return {dict(a.fields)["Interface"] for a in asterisk.actions if a.name == name}


async def test_the_agent_answers_on_the_device_chosen_at_login() -> None:
    web = agent_interface("1001", "webrtc")
    desk, asterisk = _desk({web})
    assert await desk.registered("1001", device="webrtc")
    assert not await desk.registered("1001")  # the desk softphone is off
    with pytest.raises(CommandError, match="接听方式"):
        await desk.login("1001", device="pstn")
    assert (await desk.login("1001", device="webrtc"))["state"] == "available"
    adds = [dict(a.fields) for a in asterisk.actions if a.name == "QueueAdd"]
    assert {(a["Interface"], a["StateInterface"]) for a in adds} == {(web, web)}
    await desk.pause("1001", "小休")
    await desk.unpause("1001")
    await desk.logout("1001")
    assert _interfaces(asterisk, "QueuePause") == _interfaces(asterisk, "QueueRemove") == {web}
    assert not desk.board.status("1001").queues


async def test_logging_in_on_the_other_device_moves_the_agent() -> None:
    sip, web = agent_interface("1001"), agent_interface("1001", "webrtc")
    desk, asterisk = _desk({sip, web})
    await desk.login("1001")
    await desk.login("1001", device="webrtc")
    assert _interfaces(asterisk, "QueueRemove") == {sip}
    assert desk.board.status("1001").interface == web
    assert desk.board.status("1001").queues == set(CONFIG.agents.agents["1001"].skills)
