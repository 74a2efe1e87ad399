from __future__ import annotations

import re
from datetime import date

import pytest

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.pbx.confgen import not_prefixed, render
from callcenter.secrets import Secrets

CONFIG = load_config(PROJECT_ROOT / "config")
SECRETS = Secrets("ami-secret", {name: f"pw-{name}" for name in CONFIG.sip_endpoints})


def _files() -> dict[str, str]:
    config = load_config(PROJECT_ROOT / "config")
    paths = Paths(PROJECT_ROOT, PROJECT_ROOT / "var")
    return {f.name: f.text for f in render(config, SECRETS, paths, date(2026, 11, 28))}


RENDER_ELSEWHERE = """
import json, sys
from datetime import date
from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.pbx.confgen import render
from callcenter.secrets import Secrets
config = load_config(PROJECT_ROOT / "config")
secrets = Secrets("ami-secret", {name: f"pw-{name}" for name in config.sip_endpoints})
files = render(config, secrets, Paths(PROJECT_ROOT, PROJECT_ROOT / "var"), date(2026, 11, 28))
json.dump({f.name: f.text for f in files}, sys.stdout)
"""


def test_same_yaml_same_files_in_any_process() -> None:
    """Rendered in other processes with other hash seeds (set and dict orders of strings
    differ between them): byte for byte the same files, so a regenerate changes nothing."""
    import json
    import os
    import subprocess
    import sys

    here = _files()
    for seed in ("1", "4242"):
        out = subprocess.run([sys.executable, "-c", RENDER_ELSEWHERE], cwd=PROJECT_ROOT,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=True,
                             capture_output=True, text=True).stdout
        assert json.loads(out) == here


def test_everything_binds_to_loopback_and_modules_are_explicit() -> None:
    files = _files()
    assert "[directories]\n" in files["asterisk.conf"]  # not the "(!)" template
    assert "autoload = no" in files["modules.conf"]
    assert "bindaddr = 127.0.0.1" in files["manager.conf"]
    assert "bind = 127.0.0.1:5060" in files["pjsip.conf"]
    assert "enabled = yes\nbindaddr = 127.0.0.1\n" in files["http.conf"]  # browser phones
    # sub-centers, agents' and supervisors' desk and browser phones
    seats = 5 + 2 * len(CONFIG.agents.agents) + 2 * len(CONFIG.agents.supervisors)
    # ... and the carrier's two trunks (in, out)
    assert files["pjsip.conf"].count("bind_rtp_to_media_address = yes") == 2 + seats


def test_static_route_for_every_dial_form() -> None:
    dialplan = _files()["extensions.conf"]
    static = dialplan.split("\n[cc-static]\n")[1].split("\n[")[0]
    extens = re.findall(r"^exten => ([^,]+),1,Gosub", static, re.M)
    assert len(extens) == 58 + 26 + 2  # every number, 26 landlines without 0931, catch-alls
    assert "exten => 8929999,1,Gosub(cc-set-route,s,1(queue,merged,09318929999," in static
    assert "exten => 12366,1,Gosub(cc-set-route,s,1(subcenter,subcenter,12366,,,,," \
           "PJSIP/subcenter-12366,20))" in static


def test_every_queue_starts_from_an_empty_queuestatus() -> None:
    """Queue() sets QUEUESTATUS only when the caller leaves unanswered: an answered caller
    keeps the status of an earlier Queue() (an overflow's TIMEOUT), and the dialplan would
    then offer a callback, or put back in a queue, a caller whose call was just taken."""
    lines = _files()["extensions.conf"].splitlines()
    queues = [i for i, line in enumerate(lines) if "Queue(" in line.split(",", 1)[-1]
              and "QueueStatus" not in line]
    assert len(queues) >= 7
    for i in queues:
        assert lines[i - 1].endswith("Set(QUEUESTATUS=)"), lines[i - 1:i + 1]
    back = "\n".join(lines[lines.index("[cc-xfer-back]"):])
    assert back.index("Queue(${CC_QUEUE},i)") < back.index(
        'GotoIf($["${QUEUESTATUS}" != ""]?cc-callback,s,1)') < back.index("Hangup()")


def test_secrets_only_from_the_secrets_object() -> None:
    files = _files()
    assert "secret = ami-secret" in files["manager.conf"]
    assert "password = pw-subcenter-12366" in files["pjsip.conf"]
    assert "password = pw-agent-1001" in files["pjsip.conf"]


def test_queue_announcements_follow_queues_yaml() -> None:
    config = load_config(PROJECT_ROOT / "config")
    config.queues.queues["q12315"] = config.queues.queues["q12315"].model_copy(
        update={"announce_every_s": 0})
    config.queues.queues["q12329"] = config.queues.queues["q12329"].model_copy(
        update={"announce_every_s": 45, "announce_hold_time": False})
    paths = Paths(PROJECT_ROOT, PROJECT_ROOT / "var")
    queues = {f.name: f.text for f in render(config, SECRETS, paths)}["queues.conf"]
    sections = {s.split("]")[0]: s for s in queues.split("\n[")[1:]}
    assert "announce-frequency = 30\n" in sections["q12345"]
    assert "announce-holdtime = yes\n" in sections["q12345"]
    assert "announce-frequency = 0\n" in sections["q12315"]
    assert "announce-position = no\n" in sections["q12315"]
    assert "announce-frequency = 45\n" in sections["q12329"]
    assert "announce-holdtime = no\n" in sections["q12329"]


def test_the_carriers_numbers_are_filtered_before_anything_uses_them() -> None:
    """What the carrier's SIP says reaches FastAGI and AMI only as digits: the number dialed
    (it goes into the AGI request's query) and the caller's number."""
    dialplan = _files()["extensions.conf"]
    carrier = dialplan.split("[from-carrier]", 1)[1].split("\n[", 1)[0]
    assert carrier.count("Set(CC_DIALED=${FILTER(0-9,") == 3
    assert "Set(CC_DIALED=${EXTEN" not in carrier
    assert carrier.count("Gosub(cc-clean-callerid,s,1)") == 3
    assert "Set(CALLERID(num)=${FILTER(0-9+,${CALLERID(num)})})" in dialplan


@pytest.mark.parametrize(("channel", "excluded"), [
    ("PJSIP/supervisor-zhao.lei-00000007", False), ("PJSIP/supervisor-", False),
    ("PJSIP/agent-1001-00000002", True), ("PJSIP/carrier-00000001", True),
    ("Local/12345@from-carrier-00000001;2", True), ("AudioSocket/127.0.0.1:4674-1", True),
    ("PJSIP/supervisorX-1", True), ("PJSIP/sup", True), ("", True)])
def test_only_supervisors_legs_send_dtmf_to_the_engine(channel: str, excluded: bool) -> None:
    """The DTMFEnd filter of manager.conf (a POSIX ERE; Python's re reads it alike): a
    caller's digits never leave Asterisk."""
    assert (re.search(not_prefixed("PJSIP/supervisor-"), channel) is not None) is excluded


def test_not_prefixed_takes_plain_prefixes_only() -> None:
    with pytest.raises(ValueError):
        not_prefixed("PJSIP/(x|y)")


def test_no_phone_can_send_a_call_elsewhere_or_be_the_carrier_another_way() -> None:
    """Second walls behind the /sip filter (issue #21 review): every Queue() and Dial() that
    rings a phone ignores its call forwards (option i: a 302 from an agent's page would
    send the citizen's call out through the carrier trunk, or into any context); the
    carrier's context takes a SIP channel only from the carrier's own transport (its UDP
    port, never the browsers' WebSocket on the HTTP port)."""
    dialplan = _files()["extensions.conf"]
    lines = "\n".join(line for line in dialplan.splitlines() if not line.startswith(";"))
    queues = re.findall(r"\bQueue\(([^)]*)\)", lines)
    dials = re.findall(r"\bDial\(([^)]*)\)", lines)
    assert queues and dials
    for args in queues:
        assert "i" in [*args.split(","), ""][1], args
    for args in dials:
        assert "i" in [*args.split(","), "", ""][2], args
    carrier = dialplan.split("[from-carrier]", 1)[1].split("\n[", 1)[0]
    assert carrier.count("Gosub(cc-carrier-only,s,1)") == 3
    gate = dialplan.split("[cc-carrier-only]", 1)[1].split("\n[", 1)[0]
    assert '"${CHANNEL(pjsip,local_addr):-5}" = ":5060"' in gate and "Hangup(21)" in gate


def test_a_caller_put_back_after_a_reload_is_told_to_hold() -> None:
    """call.requeue (the desktop's 转回队列) sends the caller to [cc-requeue]: the head of
    their queue, told to hold — not that a transfer failed — and a callback if unanswered."""
    dialplan = _files()["extensions.conf"]
    requeue = dialplan.split("[cc-requeue]", 1)[1].split("\n[", 1)[0]
    assert "please-hold" in requeue and "transfer-failed" not in requeue
    assert "Set(QUEUE_PRIO=10)" in requeue and "Queue(${CC_QUEUE},i)" in requeue
    assert "cc-callback,s,1" in requeue
