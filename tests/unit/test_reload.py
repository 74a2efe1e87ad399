"""``reload``: a new configuration reaches every part of the engine that decides from it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from callcenter.app import Engine
from callcenter.audit import AuditTrail
from callcenter.config.loader import Config, load_config
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.secrets import Secrets
from callcenter.store.db import Store
from callcenter.tickets.desk import TicketDesk


def _edited_config(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", directory)
    hotlines = directory / "hotlines.yaml"
    text = hotlines.read_text(encoding="utf-8")
    assert "省地震局" in text
    hotlines.write_text(text.replace("省地震局", "省应急管理厅"), encoding="utf-8")
    return directory


def _reachable(root: object, depth: int = 3) -> list[tuple[str, object]]:
    """(path, object) for everything reachable from ``root`` through attributes, lists and
    dicts, ``depth`` steps deep."""
    found: list[tuple[str, object]] = []
    seen: set[int] = set()

    def walk(path: str, obj: object, left: int) -> None:
        if id(obj) in seen or isinstance(obj, str | int | float | bool | bytes | type(None)):
            return
        seen.add(id(obj))
        found.append((path, obj))
        if left == 0:
            return
        children: dict[str, Any] = {}
        if isinstance(obj, dict):
            children = {f"[{k!r}]": v for k, v in list(obj.items())[:50]}
        elif isinstance(obj, list | tuple | set):
            children = {f"[{i}]": v for i, v in enumerate(list(obj)[:50])}
        elif hasattr(obj, "__dict__"):
            children = {f".{k}": v for k, v in vars(obj).items()}
        for key, child in children.items():
            walk(path + key, child, left - 1)

    walk("engine", root, depth)
    return found


def test_reload_leaves_no_part_on_the_old_configuration(tmp_path: Path) -> None:
    async def scenario() -> None:
        old = load_config(PROJECT_ROOT / "config")
        paths = Paths(tmp_path, tmp_path / "var")
        engine = Engine(old, paths, Secrets(ami_secret="x"))
        old_router = engine.router
        old_parts = {id(o): name for name, o in (
            ("config", old), ("router", old_router), ("hotlines", old.hotlines),
            ("queues", old.queues), ("agents", old.agents), ("prefill", old.prefill))}
        new: Config = load_config(_edited_config(tmp_path))
        store = await Store.open(tmp_path / "cc.sqlite3")
        engine.audit = AuditTrail(store)  # a reload is audited: the engine opens it on start
        result = await engine.commands.run("reload", {"config": str(new.directory)})
        assert result["hotlines"] == len(new.hotlines.hotlines)
        [row] = await engine.audit.rows()
        assert (row["action"], row["user"], row["result"]) == ("reload", "root", "ok")
        engine.audit = None
        await store.close()

        stale = [(path, old_parts[id(obj)]) for path, obj in _reachable(engine)
                 if id(obj) in old_parts]
        assert not stale, f"parts still on the old configuration: {stale}"
        assert engine.part(TicketDesk).router.decide("12322", engine_today()).unit == "省应急管理厅"
        assert engine.part(TicketDesk).rules is engine.config.prefill
        assert engine.config.directory == new.directory
        assert engine.core.router is engine.router is engine.routing.router
        engine.call_log.close()

    asyncio.run(scenario())


def engine_today() -> Any:
    from datetime import date
    return date.today()


def test_a_reload_from_the_web_cannot_change_what_asterisk_must_know(tmp_path: Path) -> None:
    """From the web nobody regenerates Asterisk's configuration: a new queue there would be
    routed to by the engine and unknown to Asterisk (callers hung up). Such a reload is
    refused and changes nothing; one that leaves queues and phones alone is taken."""
    from callcenter.actors import Actor, Role
    from callcenter.errors import ConfigError

    directory = _edited_config(tmp_path)
    admin = Actor("chen", "http", "127.0.0.1", Role.ADMIN)

    async def scenario() -> None:
        engine = Engine(load_config(directory), Paths(tmp_path, tmp_path / "var"),
                        Secrets(ami_secret="x"))
        before = engine.config
        store = await Store.open(tmp_path / "cc.sqlite3")
        engine.audit = AuditTrail(store)  # a reload is audited: the engine opens it on start
        queues = directory / "queues.yaml"
        queues.write_text(queues.read_text(encoding="utf-8").replace(
            "queues:\n", "queues:\n  q12399:\n    title: 新队列\n", 1), encoding="utf-8")
        assert "q12399" in load_config(directory).queues.queues  # valid: the CLI may
        try:
            await engine.commands.run("reload", {}, admin)
            raise AssertionError("the reload was taken")
        except ConfigError as exc:
            assert "run.py reload" in exc.message
        assert engine.config is before
        result = await engine.commands.run("reload", {"config": str(directory)})  # the CLI
        assert result["queues"] == len(before.queues.queues) + 1
        rows = [(r["user"], r["action"], r["result"]) for r in await engine.audit.rows()]
        assert rows == [("chen", "reload", "CC100"), ("root", "reload", "ok")]
        engine.audit = None
        await store.close()

    asyncio.run(scenario())
