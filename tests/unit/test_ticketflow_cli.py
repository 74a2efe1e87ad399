"""The loop's command line as an operator uses it (``run.py ticket …``, ``units list``,
``workdays add``) on a store of its own: what it prints, a unit's user acting with ``--as``,
and the working days into 2027 with and without the admin's override file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import callcenter.cli as cli
from callcenter.paths import PROJECT_ROOT

LEAK = "城关区雁滩路小区暖气不热，家里有老人，请尽快派人来修"


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CALLCENTER_VAR", str(tmp_path / "var"))
    return tmp_path / "var"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_workdays_add_across_national_day(var: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "workdays", "add", "2026-09-30", "3")
    assert (code, out.strip(), err) == (0, "2026-10-10", "")  # the make-up Saturday


def test_workdays_into_2027_without_and_with_the_override_file(
        var: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "workdays", "add", "2026-12-31", "1")
    assert (code, out.strip()) == (0, "2027-01-01")  # a Friday, counted as a working day
    assert "2027" in err and "config/holidays.yaml" in err  # …and said so
    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    (config / "holidays.yaml").write_text(
        "years:\n  2027:\n    holidays: [2027-01-01]\n    workdays: []\n", encoding="utf-8")
    code, out, err = run(capsys, "--config", str(config), "workdays", "add", "2026-12-31", "1")
    assert (code, out.strip(), err) == (0, "2027-01-04", "")  # New Year's Day, a weekend


def test_a_request_by_letter_round_the_loop_on_the_command_line(
        var: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ticket", "new", "--channel", "letter", "--text", LEAK,
                       "--caller", "13812345678")
    assert code == 0
    first, suggested = out.splitlines()[:2]
    assert first.startswith("ticket: ") and suggested == "建议派单：城关区"
    ticket = first.removeprefix("ticket: ")
    code, out, _ = run(capsys, "ticket", "new", "--channel", "sms", "--text", "暖气还是不热",
                       "--caller", "13812345678")
    again = out.splitlines()[0].removeprefix("ticket: ")
    assert f"可能为同一事项（可并单）：工单 {ticket}，已受理，未派单" in out
    assert run(capsys, "ticket", "merge", again, "--into", ticket)[0] == 0
    assert run(capsys, "ticket", "dispatch", ticket, "--unit", "城关区")[0] == 0
    assert run(capsys, "user", "add", "li.na", "--role", "unit", "--unit", "城关区")[0] == 0
    assert run(capsys, "user", "add", "chen.yu", "--role", "unit", "--unit", "七里河区")[0] == 0
    code, _, err = run(capsys, "ticket", "sign", ticket, "--as", "chen.yu")
    assert code != 0 and "不是本单位" in err
    assert run(capsys, "ticket", "sign", ticket, "--as", "li.na")[0] == 0
    code, out, _ = run(capsys, "ticket", "list", "--unit", "城关区", "--json")
    listed = json.loads(out)
    assert [(f["ticket"], f["step"], f["unit"]) for f in listed] == [
        (int(ticket), "handling", "城关区")]
    code, out, _ = run(capsys, "ticket", "timeline", ticket)
    lines = out.splitlines()
    assert [line.split("  ")[1:4] for line in lines] == [
        ["root", "受理", "已受理 → 已受理"], ["root", "派单", "已受理 → 待签收"],
        ["li.na", "签收", "待签收 → 办理中"]]
    code, out, _ = run(capsys, "units", "list")
    assert "城关区\t兰州市城关区\tcounty\t兰州市" in out.splitlines()


def test_an_instance_keeps_its_store_and_log_in_its_own_var(var: Path) -> None:
    """(The loop's command lines above wrote into the project's own store before.)"""
    from callcenter.paths import Paths

    paths = Paths.default()
    assert paths.own("var/callcenter.sqlite3") == var.resolve() / "callcenter.sqlite3"
    assert paths.own("var/log/calls.jsonl") == var.resolve() / "log" / "calls.jsonl"
    assert paths.own("/srv/cc.sqlite3") == Path("/srv/cc.sqlite3")
    assert paths.resolve("var/models/x") == PROJECT_ROOT / "var" / "models" / "x"
