"""The command line without Asterisk or the engine: tables at 80 columns, `agent list ID`,
ids SQLite cannot hold."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

import callcenter.cli as cli
from callcenter.cli_tables import calls_table, queues_table
from callcenter.config.loader import load_config
from callcenter.errors import EngineControlError
from callcenter.paths import PROJECT_ROOT
from callcenter.tickets.cli import tickets_table

CONFIG = load_config(PROJECT_ROOT / "config")

CALLS = [
    {"call_id": "1795872055.12", "dialed": "09318929999", "caller": "138****5678",
     "state": "up", "recovered": True, "age_s": 123.4, "channels": 3, "queue": "q12345",
     "agent": "1001"},
    {"call_id": "1795872084.170", "dialed": "12367", "caller": "139****0000",
     "state": "ring", "recovered": False, "age_s": 2.0, "channels": 1, "queue": "",
     "agent": ""},
]
QUEUES = [
    {"queue": name, "title": spec.title, "waiting": 3, "longest_wait_s": 41.5,
     "available": 2, "busy": 1, "paused": 0, "answered": 120, "in_target_pct": 96.7,
     "abandoned": 4, "overflowed": 1}
    for name, spec in CONFIG.queues.queues.items()
]
TICKETS = [
    {"id": 1234567, "call_id": "1795872055.12", "dialed": "09318929999",
     "hotline_name": "省政府政务大厅政务服务热线", "agent": "1001",
     "opened_at": "2026-11-28T13:20:55.646Z", "closed_at": None},
    {"id": 1234566, "call_id": "1795872000.3", "dialed": "12345",
     "hotline_name": "12345政务服务便民热线", "agent": "1002",
     "opened_at": "2026-11-28T13:10:00.000Z", "closed_at": "2026-11-28T13:15:00.000Z"},
]


def console(width: int = 80) -> Console:
    return Console(width=width, file=io.StringIO(), record=True, color_system=None)


def rendered(out: Console) -> str:
    text = out.export_text()
    assert all(len(line) <= out.width for line in text.splitlines())
    assert "…" not in text  # nothing cut
    return text


def test_status_tables_are_whole_at_80_columns() -> None:
    out = console()
    out.print(calls_table(out, CALLS))
    out.print(queues_table(out, QUEUES))
    text = rendered(out)
    words = set(text.split())
    for value in ("1795872055.12", "1795872084.170", "09318929999", "12367", "138****5678",
                  "q12345", "1001", "41.5", "96.7"):
        assert value in words, value
    for name, spec in CONFIG.queues.queues.items():
        assert name in words and spec.title in text, name
    assert "（重启后接管）" in text and "当前通话（2）" in text
    assert "已接通" in text and "振铃" in text  # channel states in Chinese
    for header in ("排队", "最长等待秒", "就绪", "暂停", "接通", "放弃", "溢出"):
        assert header in text, header  # the glossary's 就绪 and 暂停, not 空闲 / available


def test_ticket_list_is_whole_at_80_columns() -> None:
    out = console()
    out.print(tickets_table(out, TICKETS))
    text = rendered(out)
    words = set(text.split())
    for value in ("1234567", "1234566", "1795872055.12", "09318929999", "12345", "1001",
                  "1002"):
        assert value in words, value
    assert "省政府政务大厅政务服务热线" in text
    # times in the local zone, not …Z
    for moment in ("2026-11-28T13:20:55.646+00:00", "2026-11-28T13:15:00+00:00"):
        local = datetime.fromisoformat(moment).astimezone()
        assert local.strftime("%H:%M:%S") in text
    assert "Z" not in text and "T13:" not in text


def test_a_wide_terminal_keeps_the_table() -> None:
    out = console(200)
    assert isinstance(tickets_table(out, TICKETS), Table)
    assert isinstance(calls_table(out, CALLS), Table)
    assert not isinstance(tickets_table(console(), TICKETS), Table)


class _State:
    running, pid, uptime, version, detail = True, 4242, "1 hour", "22.0", ""


class _Control:
    def state(self) -> _State:
        return _State()


def test_status_command_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    import callcenter.control.client as control

    snap = {"engine": {"pid": 77, "uptime_s": 12.5, "resyncs": 0},
            "ami": {"connected": True, "connects": 1, "frames": 9000, "last_error": ""},
            "agi": {"entry": 5}, "calls": CALLS, "queues": QUEUES}
    out = console()
    monkeypatch.setattr(cli, "console", out)
    monkeypatch.setattr(cli, "_asterisk", lambda _args, _paths: _Control())
    monkeypatch.setattr(control, "query", lambda *_a, **_k: snap)
    assert cli.main(["status"]) == 0
    words = set(rendered(out).split())
    assert {"1795872055.12", "09318929999", "q12345", "q12348", "1001"} <= words


AGENTS = [{"agent": a, "name": f"坐席{a}", "state": "available", "reason": "",
           "queues": ["q12345", "q12315"], "calls_taken": 3} for a in ("1001", "1002", "1003")]


def test_agent_list_with_an_id_lists_that_agent(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    import callcenter.control.client as control

    asked: list[dict[str, Any]] = []

    def query(_socket: Any, command: str, **fields: Any) -> Any:
        """As the engine's agent.list command answers (tests/unit/test_commands.py)."""
        asked.append({"command": command, **fields})
        if not fields.get("agent"):
            return AGENTS
        found = [a for a in AGENTS if a["agent"] == fields["agent"]]
        if not found:
            raise EngineControlError(f"unknown agent {fields['agent']!r}")
        return found

    out = console()
    monkeypatch.setattr(cli, "console", out)
    monkeypatch.setattr(control, "query", query)
    assert cli.main(["agent", "list", "1001"]) == 0
    text = rendered(out)
    words = set(text.split())
    assert "1001" in words and "1002" not in words and "1003" not in words
    assert "就绪" in words and "available" not in text  # the glossary's word for the state
    assert asked[0] == {"command": "agent.list", "agent": "1001", "reason": "", "timeout": 15}
    assert cli.main(["agent", "list", "4711"]) == 1
    assert "unknown agent '4711'" in capsys.readouterr().err
    out = console()
    monkeypatch.setattr(cli, "console", out)
    assert cli.main(["agent", "list"]) == 0
    assert {"1001", "1002", "1003"} <= set(rendered(out).split())


@pytest.mark.parametrize("argv", [
    ["ticket", "show", "99999999999999999999999999"],
    ["ticket", "show", "0"],
    ["ticket", "list", "--limit", "99999999999999999999"],
    ["handoff", "--ticket", "99999999999999999999999999"],
])
def test_ids_sqlite_cannot_hold_are_refused(argv: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """They reached SQLite and ended in an OverflowError traceback."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "不是编号（编号是 1 到" in err and "Traceback" not in err
