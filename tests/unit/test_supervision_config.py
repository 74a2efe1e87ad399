"""The supervisors' softphones in the configuration and the generated files, the dialplan
that moves a caller, and how a moved call is counted (#17)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.pbx.confgen import render
from callcenter.reports.figures import ReportBuilder
from callcenter.secrets import Secrets
from tests.unit.test_config import config_dir, edit, problems_of  # noqa: F401 (a fixture)
from tests.unit.test_reports import call, rec

CONFIG = load_config(PROJECT_ROOT / "config")


def _files() -> dict[str, str]:
    secrets = Secrets("ami-secret", {name: f"pw-{name}" for name in CONFIG.sip_endpoints})
    files = render(CONFIG, secrets, Paths(PROJECT_ROOT, PROJECT_ROOT / "var"),
                   date(2026, 11, 28), host_addresses=["127.0.0.1"])
    return {f.name: f.text for f in files}


def test_each_supervisor_has_a_desk_and_a_browser_softphone() -> None:
    assert {"supervisor-zhao.lei", "supervisor-zhao.lei-web"} <= set(CONFIG.sip_endpoints)
    pjsip = _files()["pjsip.conf"]
    desk = pjsip.split("[supervisor-zhao.lei]\ntype = endpoint\n")[1].split("\n\n")[0]
    assert "context = cc-seats" in desk and "webrtc" not in desk
    web = pjsip.split("[supervisor-zhao.lei-web]\ntype = endpoint\n")[1].split("\n\n")[0]
    assert "webrtc = yes" in web
    assert "password = pw-supervisor-zhao.lei-web" in pjsip
    assert "; Supervisor zhao.lei 赵磊: registers as supervisor-zhao.lei." in pjsip


def test_the_move_context_puts_a_caller_back_if_the_other_queue_refuses() -> None:
    dialplan = _files()["extensions.conf"]
    move = dialplan.split("\n[cc-move]\n")[1].split("\n[")[0]
    assert "exten => s,1,UserEvent(CcMoved,From: ${CC_MOVE_FROM},To: ${CC_MOVE_QUEUE})" in move
    assert "Queue(${CC_QUEUE},i)" in move and "(back),UserEvent(CcMoved" in move
    assert "Set(CC_QUEUE=${CC_MOVE_FROM})" in move


def test_supervisor_names_are_user_names(config_dir: Path) -> None:  # noqa: F811
    line = edit(config_dir / "agents.yaml", "  zhao.lei: {name: 赵磊}",
                "  Zhao Lei: {name: 赵磊}")
    problems = problems_of(config_dir)
    assert any(f"agents.yaml:{line}" in p and "is not a user name" in p for p in problems), \
        problems


def test_a_sub_center_cannot_take_a_supervisors_endpoint(config_dir: Path) -> None:  # noqa: F811
    edit(config_dir / "hotlines.yaml", "{endpoint: subcenter-12305}",
         "{endpoint: supervisor-x}")
    assert any("are the supervisors' softphones" in p for p in problems_of(config_dir))


def test_a_moved_call_counts_in_the_queue_that_answered_with_its_whole_wait() -> None:
    log = [*call("m1", "09:00:00.000", "12315", "dual", "12315",
                 rec("09:00:01.000", "queue.joined", call_id="m1", queue="q12315"),
                 rec("09:00:41.000", "queue.moved", call_id="m1", queue="q12315",
                     to="q12345", wait_s=40),
                 rec("09:00:51.000", "queue.answered", call_id="m1", queue="q12345",
                     agent="1001", wait_s=10), end="09:02:00.000"),
           *call("m2", "09:10:00.000", "12315", "dual", "12315",
                 rec("09:10:30.000", "queue.moved", call_id="m2", queue="q12315",
                     to="q12345", wait_s=30),
                 rec("09:10:33.000", "queue.abandoned", call_id="m2", queue="q12345",
                     wait_s=3), end="09:10:33.000")]
    report = ReportBuilder({"q12345": 10, "q12315": 10}).feed(log)
    assert set(report.by_queue) == {"q12345"}
    q = report.by_queue["q12345"]
    assert (q.offered, q.answered, q.abandoned) == (2, 1, 1)
    assert q.asa_s == 50.0 and q.answered_in_15s == 0
    assert q.abandoned_5s == 0  # waited 33 s in all: not a short abandon
