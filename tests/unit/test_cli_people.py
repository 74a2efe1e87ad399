"""`run.py user …` and `run.py audit`: through the command layer, on the store, whether the
engine runs or not; a password and a token printed once, the trail readable as JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import callcenter.cli as cli
from callcenter.paths import PROJECT_ROOT


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", directory)
    engine = directory / "engine.yaml"
    engine.write_text(engine.read_text().replace(
        "database: var/callcenter.sqlite3", f"database: {tmp_path / 'cc.sqlite3'}"))
    return directory


def _run(config_dir: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["--config", str(config_dir), *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_user_add_list_revoke_reset_and_the_audit_trail(
        config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(config_dir, capsys, "user", "add", "li", "--role", "agent", "--agent",
                     "1001")
    assert code == 0, out
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    assert len(lines["password"]) == 16 and lines["token"].startswith("cc_")
    code, out = _run(config_dir, capsys, "user", "add", "li", "--role", "admin")
    assert code == 1 and "已有用户 'li'" in out
    code, out = _run(config_dir, capsys, "user", "add", "sun", "--role", "agent")
    assert code == 1 and "--agent" in out
    code, out = _run(config_dir, capsys, "user", "add", "sun", "--role", "agent",
                     "--agent", "4711")
    assert code == 1 and "未知的座席 '4711'" in out
    code, out = _run(config_dir, capsys, "user", "add", "ma.cg", "--role", "unit", "--unit",
                     "城关区")
    assert code == 0, out
    code, out = _run(config_dir, capsys, "user", "list")
    assert code == 0 and "li" in out and "agent" in out
    row = [line for line in out.splitlines() if "ma.cg" in line]
    assert len(row) == 1 and "│ unit " in row[0] and "│ 城关区 " in row[0], out
    assert _run(config_dir, capsys, "user", "revoke", "li")[0] == 0
    code, out = _run(config_dir, capsys, "user", "reset", "li")
    assert code == 0 and "password: " in out
    code, out = _run(config_dir, capsys, "audit", "--json", "--user", "root")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["action"], r["target"], r["result"]) for r in rows] == [
        ("user.add", "agent 1001 user li", "ok"),
        ("user.add", "user li", "CC1303"),
        ("user.add", "user sun", "CC1303"),
        ("user.add", "agent 4711 user sun", "CC701"),
        ("user.add", "user ma.cg", "ok"),
        ("user.revoke", "user li", "ok"),
        ("user.reset", "user li", "ok"),
    ]
    assert {r["via"] for r in rows} == {"cli"} and rows[0]["address"] == "uid=0"
    assert lines["password"] not in out and lines["token"] not in out
    code, out = _run(config_dir, capsys, "audit", "--user", "root")
    assert code == 0 and "审计记录" in out
    for said in ("新增用户", "停用用户", "重置密码", "成功", "被拒绝（CC1303）", "服务器命令行"):
        assert said in out, said  # the glossary's words, not user.add, ok, cli
    assert "user.add" not in out and "user.revoke" not in out
    code, out = _run(config_dir, capsys, "audit", "--since", "yesterday")
    assert code == 1 and "这样的日期" in out
    code, out = _run(config_dir, capsys, "audit", "--since", "2999-01-01", "--json")
    assert code == 0 and out == ""


def test_a_ticket_read_on_the_command_line_is_audited(
        config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(config_dir, capsys, "ticket", "show", "7")
    assert code == 1 and "没有工单 7" in out
    code, out = _run(config_dir, capsys, "audit", "--json")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert (row["action"], row["target"], row["result"]) == ("ticket.get", "ticket 7",
                                                             "CC801")


def test_root_approves_what_an_admin_asked_for_on_the_web(
        config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The admin page only asks; `user requests` lists it on the server and `user approve`
    prints the new password there, once (`user refuse` drops one)."""
    import asyncio

    from callcenter.config.loader import load_config
    from callcenter.paths import Paths

    async def ask() -> None:
        from datetime import UTC, datetime

        from callcenter.store.db import Store
        from callcenter.users.requests import UserRequests

        config = load_config(config_dir)
        store = await Store.open(Paths.default().resolve(config.engine.paths.database))
        asked = UserRequests(store)
        for name in ("wu.fang", "qian.li"):
            await asked.ask("add", name, "supervisor", "", "chen", datetime.now(UTC))
        await store.close()

    asyncio.run(ask())
    # (the web's side of it: tests/unit/test_users.py)
    code, out = _run(config_dir, capsys, "user", "requests")
    assert code == 0 and "wu.fang" in out and "qian.li" in out and "chen" in out
    code, out = _run(config_dir, capsys, "user", "approve", "1")
    assert code == 0 and "request 1 approved" in out and "password: " in out
    assert _run(config_dir, capsys, "user", "refuse", "2")[0] == 0
    code, out = _run(config_dir, capsys, "user", "requests")
    assert "wu.fang" not in out and "qian.li" not in out
    code, out = _run(config_dir, capsys, "user", "approve", "2")
    assert code == 1 and "没有待批准的请求 2" in out
