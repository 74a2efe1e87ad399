"""The outbound trunk (#26): engine.yaml's ``outbound:`` checked like the rest of the
configuration, the generated endpoint outbound-only, the lab's public network scenarios."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from callcenter.config.loader import collect, load_config
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.pbx.confgen import render
from callcenter.secrets import Secrets
from lab.public_network import scenario
from tests.unit.test_config import config_dir, edit, problems_of  # noqa: F401

CONFIG = load_config(PROJECT_ROOT / "config")
SECRETS = Secrets("ami-secret", {name: f"pw-{name}" for name in CONFIG.sip_endpoints})


def _pjsip(directory: Path) -> str:
    config = load_config(directory)
    files = render(config, SECRETS, Paths(PROJECT_ROOT, PROJECT_ROOT / "var"),
                   date(2026, 12, 7), host_addresses=["127.0.0.1"])
    return {f.name: f.text for f in files}["pjsip.conf"]


def _section(text: str, name: str, kind: str) -> str:
    for block in re.split(r"\n(?=\[)", text):
        if block.startswith(f"[{name}]") and f"type = {kind}\n" in block:
            return block
    raise AssertionError(f"no [{name}] of type {kind}")


def test_shipped_defaults() -> None:
    outbound = CONFIG.engine.outbound
    assert (outbound.trunk, outbound.caller_id, outbound.attempts, outbound.spacing_s) == (
        "127.0.0.1:5070", "12345", 3, 600)
    assert (outbound.quiet_from, outbound.quiet_until) == ("21:00", "08:00")
    assert outbound.quiet_minutes == (1260, 480)


@pytest.mark.parametrize(("trunk", "problem"), [
    ("127.0.0.1", "not HOST:PORT"),
    ("127.0.0.1:0", "not HOST:PORT"),
    ("127.0.0.1:５０７０", "not HOST:PORT"),
    ("carrier.example:5070", "is not an IP address"),
    ("127.0.0.1:5060", "Asterisk's own SIP or HTTP port"),
])
def test_a_bad_trunk_is_refused_with_its_line(config_dir: Path, trunk: str,  # noqa: F811
                                              problem: str) -> None:
    line = edit(config_dir / "engine.yaml", "trunk: 127.0.0.1:5070", f"trunk: {trunk}")
    found = problems_of(config_dir)
    assert any(problem in p for p in found), found
    if "own SIP" not in problem:  # (a rule across sections: reported at the section)
        assert any(f"engine.yaml:{line}" in p for p in found), found


def test_quiet_hours_are_clock_times(config_dir: Path) -> None:  # noqa: F811
    edit(config_dir / "engine.yaml", 'quiet_from: "21:00"', 'quiet_from: "25:00"')
    edit(config_dir / "engine.yaml", 'quiet_until: "08:00"', 'quiet_until: "8 am"')
    found = problems_of(config_dir)
    assert any("quiet_from" in p for p in found), found
    assert any("quiet_until" in p for p in found), found


def test_the_outbound_endpoint_is_never_taken_for_a_caller(config_dir: Path) -> None:  # noqa: F811
    edit(config_dir / "engine.yaml", "trunk: 127.0.0.1:5070", "trunk: 127.0.0.9:5072")
    edit(config_dir / "engine.yaml", 'caller_id: "12345"', 'caller_id: "093112345"')
    pjsip = _pjsip(config_dir)
    endpoint = _section(pjsip, "outbound-trunk", "endpoint")
    assert "identify_by = ip\n" in endpoint  # never by a From user
    assert "context = cc-outbound-refused\n" in endpoint
    assert "callerid = 093112345 <093112345>\n" in endpoint
    assert "from_user = 0931012345" not in endpoint and "from_user = 093112345\n" in endpoint
    assert "auth" not in endpoint.replace("authenticat", "")
    assert "contact = sip:127.0.0.9:5072\n" in _section(pjsip, "outbound-trunk", "aor")
    # the only identify is the carrier's, by the carrier's address alone
    identifies = re.findall(r"type = identify\nendpoint = (\S+)\nmatch = (\S+)", pjsip)
    assert identifies == [("carrier", "127.0.0.1")]


def test_an_ipv6_trunk_is_bracketed(config_dir: Path) -> None:  # noqa: F811
    edit(config_dir / "engine.yaml", "trunk: 127.0.0.1:5070", 'trunk: "[::1]:5070"')
    assert not problems_of(config_dir)
    assert "contact = sip:[::1]:5070\n" in _section(_pjsip(config_dir), "outbound-trunk", "aor")


def test_a_sub_center_cannot_take_the_trunks_name(config_dir: Path) -> None:  # noqa: F811
    text = (config_dir / "hotlines.yaml").read_text(encoding="utf-8")
    endpoint = re.search(r"endpoint: ([a-z0-9-]+)", text)
    assert endpoint is not None
    edit(config_dir / "hotlines.yaml", endpoint.group(0), "endpoint: outbound-trunk")
    _config, found = collect(config_dir)
    assert any("pjsip.conf has its own [outbound-trunk]" in str(p) for p in found)


def test_the_outbound_dialplan_puts_the_citizen_at_the_head_of_the_queue() -> None:
    config = load_config(PROJECT_ROOT / "config")
    files = render(config, SECRETS, Paths(PROJECT_ROOT, PROJECT_ROOT / "var"),
                   date(2026, 12, 7), host_addresses=["127.0.0.1"])
    dialplan = {f.name: f.text for f in files}["extensions.conf"]
    outbound = dialplan.split("[cc-outbound]", 1)[1].split("\n[", 1)[0]
    assert "Playback(/var/lib/callcenter/prompts/callback-intro)" in outbound
    assert "Set(QUEUE_PRIO=10)" in outbound and "Queue(${CC_QUEUE},i,,," in outbound
    refused = dialplan.split("[cc-outbound-refused]", 1)[1].split("\n[", 1)[0]
    assert refused.count("Hangup(21)") == 3 and "Goto" not in refused


def test_the_public_network_scenarios() -> None:
    assert "486 Busy Here" in scenario("busy")
    assert "CANCEL" in scenario("no-answer") and "200 OK" not in scenario(
        "no-answer").split("CANCEL")[0]
    keys = scenario("keys", [(1000, "1"), (800, "2"), (800, "3")])
    assert keys.index("dtmf_2833_1") < keys.index("dtmf_2833_2") < keys.index("dtmf_2833_3")
    with pytest.raises(ValueError, match=r"order 1\.\.9"):
        scenario("keys", [(1000, "3"), (800, "1")])
    with pytest.raises(ValueError, match="unknown behaviour"):
        scenario("hangs-up")
