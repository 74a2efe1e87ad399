"""The knowledge base through the command layer and the real aiohttp app: roles, the
ticket's own agent, the audit trail, errors by class."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.actors import LOCAL
from callcenter.config.loader import load_config
from callcenter.knowledge.base import KnowledgeBase
from callcenter.knowledge.commands import knowledge_handlers
from callcenter.paths import PROJECT_ROOT
from callcenter.store.db import Store
from callcenter.tickets.store import TicketOpen, Tickets, Utterance
from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeEngine


@dataclass
class Desk:
    door: Door
    client: TestClient  # type: ignore[type-arg]
    own: int  # a ticket of agent 1001 (li), on 12333, pre-filled 社保养老
    other: int  # a ticket of agent 1002 (wang)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    store = await Store.open(tmp_path / "cc.sqlite3")
    tickets = Tickets(store)
    own = await tickets.open(TicketOpen("1.1", "13812345678", "12333", "12333", "人社热线", "",
                                        "q12333", "1001", "t0"))
    await tickets.add_utterance(own, Utterance("caller", 0.5, 3.0, "我 的 社保 卡 丢 了", "t1"))
    await tickets.set_prefill(own, {"topic": "社保养老"})
    other = await tickets.open(TicketOpen("2.1", "13912345678", "12345", "12345", "12345",
                                          "", "q12345", "1002", "t0"))
    base = KnowledgeBase.of(load_config(PROJECT_ROOT / "config"))
    await base.open(store, refresh=False)
    await base.refresh()
    door = await open_door(tmp_path, FakeEngine(tickets=tickets),
                           knowledge_handlers(base, lambda: tickets))
    async with TestClient(TestServer(door.app())) as client:
        yield Desk(door, client, own, other)
    await base.close()
    await store.close()
    await door.store.close()


async def test_search_and_articles_for_the_desk(desk: Desk, tmp_path: Path) -> None:
    client, door = desk.client, desk.door
    # jieba's dictionary cache (read back with marshal) beside the database, owner-only
    assert (tmp_path / "jieba.cache").is_file()
    r = await client.get("/api/knowledge", params={"q": "社保卡丢了怎么办"},
                         headers=door.auth("li"))
    assert r.status == 200
    hits = await r.json()
    assert hits[0]["id"] == "shebaoka-buban" and hits[0]["highlights"]
    r = await client.get("/api/knowledge", params={"q": "工资", "hotline": "12333",
                                                   "limit": "1"}, headers=door.auth("zhao"))
    assert [h["id"] for h in await r.json()] == ["nongmingong-qianxin"]
    r = await client.get("/api/knowledge/gongjijin-tiqu", headers=door.auth("li"))
    article = await r.json()
    assert article["title"] == "住房公积金提取" and article["body"].startswith("> 示例条目")
    r = await client.get("/api/knowledge/nothing-here", headers=door.auth("li"))
    assert r.status == 404 and (await r.json())["error_id"] == "CC1401"
    r = await client.get("/api/knowledge", params={"q": "x", "limit": "0"},
                         headers=door.auth("li"))
    assert r.status == 400 and (await r.json())["error_id"] == "CC1400"
    for who, status in (("chen", 403), ("nobody", 401)):
        headers = door.auth(who) if who in door.tokens else {}
        r = await client.get("/api/knowledge", params={"q": "社保"}, headers=headers)
        assert r.status == status


async def test_suggestions_only_for_the_agents_own_call(desk: Desk) -> None:
    client, door = desk.client, desk.door
    r = await client.get(f"/api/tickets/{desk.own}/suggestions", headers=door.auth("li"))
    assert r.status == 200
    found = await r.json()
    assert (found["topic"], found["hotline"]) == ("社保养老", "12333")
    assert found["articles"][0]["id"] == "shebaoka-buban"
    assert found["articles"][0]["reason"] == "topic"
    r = await client.get(f"/api/tickets/{desk.own}/suggestions", headers=door.auth("wang"))
    assert r.status == 403
    r = await client.get(f"/api/tickets/{desk.own}/suggestions?limit=1",
                         headers=door.auth("zhao"))
    assert len((await r.json())["articles"]) == 1
    r = await client.get("/api/tickets/999/suggestions", headers=door.auth("zhao"))
    assert r.status == 404


async def test_answered_from_an_article(desk: Desk) -> None:
    client, door = desk.client, desk.door
    path = f"/api/tickets/{desk.own}/answered-from"
    r = await client.post(path, json={"article": "shebaoka-buban"}, headers=door.auth("li"))
    assert r.status == 200
    done = await r.json()
    assert (done["recorded"], done["uses"][0]["article"], done["uses"][0]["agent"],
            done["uses"][0]["user"]) == (True, "shebaoka-buban", "1001", "li")
    r = await client.post(path, json={"article": "shebaoka-buban"}, headers=door.auth("li"))
    assert (await r.json())["recorded"] is False and len((await r.json())["uses"]) == 1
    for who, body, status in (("wang", {"article": "shebaoka-buban"}, 403),
                              ("zhao", {"article": "shebaoka-buban"}, 403),
                              ("li", {"article": "no-such"}, 404),
                              ("li", {}, 400)):
        r = await client.post(path, json=body, headers=door.auth(who))
        assert r.status == status, (who, body, await r.text())
    r = await client.post(path, data=b"[", headers=door.auth("li"))
    assert r.status == 400 and "article" in (await r.json())["error"]
    r = await client.post(f"/api/tickets/{desk.other}/answered-from",
                          json={"article": "gongnuan"}, headers=door.auth("li"))
    assert r.status == 403
    rows = [(a["user"], a["action"], a["target"], a["result"]) for a in await door.audit()
            if a["action"] == "knowledge.used"]
    assert rows[:2] == [("li", "knowledge.used", f"ticket {desk.own}", "ok")] * 2
    assert ("wang", "knowledge.used", f"ticket {desk.own}", "CC1301") in rows
    assert ("zhao", "knowledge.used", f"ticket {desk.own}", "CC1301") in rows
    assert ("li", "knowledge.used", f"ticket {desk.own}", "CC1401") in rows
    assert not [a for a in await door.audit() if a["action"] == "knowledge.search"]


async def test_root_runs_them_through_the_same_layer(desk: Desk) -> None:
    commands = desk.door.commands
    given = await commands.run("knowledge.suggest", {"topic": "住房公积金", "hotline": "12345",
                                                     "text": "想把公积金取出来"}, LOCAL)
    assert given["articles"][0]["id"] == "gongjijin-tiqu"
    used = await commands.run("knowledge.used", {"ticket": desk.other, "article": "gongnuan"},
                              LOCAL)
    assert used["uses"][0]["agent"] == "1002" and used["uses"][0]["user"] == "root"


async def test_the_engine_wires_it_and_reload_reindexes(tmp_path: Path) -> None:
    import shutil

    from callcenter.app import Engine
    from callcenter.paths import Paths
    from callcenter.secrets import Secrets

    directory = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", directory)
    engine = Engine(load_config(directory), Paths(tmp_path, tmp_path / "var"),
                    Secrets(ami_secret="x"))
    assert engine.part(KnowledgeBase).reconfigure in engine.reconfigurable
    assert {"knowledge.search", "knowledge.get", "knowledge.suggest",
            "knowledge.used"} <= set(engine.commands.names)
    store = await Store.open(tmp_path / "cc.sqlite3")
    await engine.part(KnowledgeBase).open(store)  # as Engine.run does: indexes in the background
    try:
        await engine.part(KnowledgeBase).refresh()  # that one, or this one, indexed the files
        assert not await engine.part(KnowledgeBase).refresh()
        assert engine.part(KnowledgeBase).get("gongnuan").title == "供暖不热、供暖费和供暖期"
        article = directory / "knowledge" / "gongnuan.md"
        article.write_text(article.read_text(encoding="utf-8").replace(
            "供暖不热、供暖费和供暖期", "供暖问题"), encoding="utf-8")
        engine.reconfigure(load_config(directory))  # what reload does
        await engine.part(KnowledgeBase).refresh()
        assert engine.part(KnowledgeBase).get("gongnuan").title == "供暖问题"
        hits = await engine.commands.run("knowledge.search", {"q": "暖气不热"})
        assert hits[0]["id"] == "gongnuan"
    finally:
        await engine.part(KnowledgeBase).close()
        await store.close()
        engine.call_log.close()


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import shutil

    import callcenter.cli as cli

    directory = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", directory)
    engine = directory / "engine.yaml"
    engine.write_text(engine.read_text().replace(
        "database: var/callcenter.sqlite3", f"database: {tmp_path / 'cc.sqlite3'}"))

    def run(*argv: str) -> tuple[int, str]:
        code = cli.main(["--config", str(directory), "knowledge", *argv])
        out = capsys.readouterr()
        return code, out.out + out.err

    code = cli.main(["--config", str(directory), "knowledge", "search", "公积金怎么取出来",
                     "--json"])
    printed = capsys.readouterr()
    assert code == 0 and json.loads(printed.out)[0]["id"] == "gongjijin-tiqu"
    assert "knowledge.indexed" in printed.err  # the first use indexed the files
    code, out = run("search", "暖气不热", "--limit", "2")
    assert code == 0 and "gongnuan" in out
    code, out = run("show", "juzhuzheng")
    assert code == 0 and "居住证申领与签注" in out and "签注" in out
    code, out = run("show", "nothing")
    assert code == 1 and "CC1401" in out
    assert run("index") == (0, f"19 articles from {directory / 'knowledge'}: up to date\n")
