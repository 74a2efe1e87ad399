"""The one command layer: the same commands, checks and errors for the HTTP API and the
control socket; HTTP statuses come from error classes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.commands import Commands
from callcenter.control.client import query
from callcenter.control.server import ControlServer
from callcenter.errors import (
    AgentConflict,
    AgentError,
    AmiActionFailed,
    AmiNotConnected,
    CommandError,
    EngineControlError,
    ServiceUnavailable,
    TransferConflict,
    TransferError,
    UnknownAgent,
    UnknownCommand,
)
from callcenter.store.db import NoSuchRow, Store, StoreError
from tests.unit.people import open_door
from tests.unit.test_api import FakeDesk, FakeEngine, FakeTransfers


@pytest.fixture
async def stores() -> AsyncIterator[list[Store]]:
    opened: list[Store] = []
    yield opened
    for store in opened:
        await store.close()


async def _commands(tmp_path: Path, engine: FakeEngine, stores: list[Store]) -> Commands:
    door = await open_door(tmp_path, engine)
    stores.append(door.store)
    return door.commands


async def test_agent_list_filters_on_the_engine_side(
        tmp_path: Path, stores: list[Store]) -> None:
    commands = await _commands(tmp_path, FakeEngine(), stores)
    assert [a["agent"] for a in await commands.run("agent.list", {})] == ["1001"]
    assert [a["agent"] for a in await commands.run("agent.list", {"agent": "1001"})] == [
        "1001"]
    with pytest.raises(UnknownAgent, match="4711"):
        await commands.run("agent.list", {"agent": "4711"})


async def test_arguments_are_checked_once_for_every_door(
        tmp_path: Path, stores: list[Store]) -> None:
    desk = FakeDesk()
    commands = await _commands(tmp_path, FakeEngine(desk, FakeTransfers()), stores)
    with pytest.raises(UnknownCommand, match=r"agent\.teleport"):
        await commands.run("agent.teleport", {})
    with pytest.raises(CommandError, match="'agent' is missing"):
        await commands.run("agent.login", {})
    with pytest.raises(CommandError, match="must be text"):
        await commands.run("agent.login", {"agent": ["1001"]})
    with pytest.raises(CommandError, match="true or false"):
        await commands.run("transfer.start", {"agent": "1001", "destination": "12366",
                                              "wait": "yes"})
    assert await commands.run("agent.login", {"agent": 1001}) == {"agent": "1001",
                                                                   "state": "available"}
    assert desk.calls == [("login", "1001")]


async def test_an_argument_not_declared_is_refused_by_name_at_every_door(
        tmp_path: Path, stores: list[Store]) -> None:
    """The declaration is checked by the command layer: the same refusal (CC1200, named
    argument, an audit row for an audited command) whether through run, the control socket
    or HTTP — where a body's undeclared fields are simply not passed on."""
    desk = FakeDesk()
    door = await open_door(tmp_path, FakeEngine(desk, FakeTransfers()))
    stores.append(door.store)
    with pytest.raises(CommandError, match=r"'resaon' is not an argument of this command "
                                           r"\(its arguments: agent, reason\)"):
        await door.commands.run("agent.pause", {"agent": "1001", "resaon": "小休"})
    with pytest.raises(CommandError, match="'limit' must be text, not list"):
        await door.commands.run("ticket.list", {"limit": [5]})
    rows = await door.audit()
    assert rows[-1]["action"] == "agent.pause" and rows[-1]["result"] == "CC1200"
    assert desk.calls == []
    server = ControlServer(tmp_path / "engine.sock", door.commands)
    await server.start()
    try:
        with pytest.raises(EngineControlError, match="'device' is not an argument"):
            await asyncio.to_thread(query, server.path, "agent.logout", agent="1001",
                                    device="sip")
    finally:
        await server.stop()
    from aiohttp.test_utils import TestClient, TestServer

    client = TestClient(TestServer(door.app()))
    await client.start_server()
    try:
        # a field the command does not declare is not passed on; one it does is checked
        asked = await client.post("/api/agents/1001/login", headers=door.auth("zhao"),
                                  json={"device": "sip", "colour": "blue"})
        assert asked.status == 200 and desk.calls == [("login", "1001")]
        asked = await client.post("/api/agents/1001/transfer", headers=door.auth("zhao"),
                                  json={"destination": "12366", "wait": "yes"})
        assert asked.status == 400
        assert (await asked.json())["error"] == "'wait' must be true or false"
    finally:
        await client.close()


def test_a_handler_without_a_declaration_is_refused_at_start() -> None:
    from datetime import UTC, datetime

    async def bare(_args: object, _actor: object) -> None:
        return None

    with pytest.raises(EngineControlError, match=r"without a declaration .*: notes\.count"):
        Commands({"notes.count": bare}, lambda: None,  # type: ignore[dict-item]
                 lambda: datetime.now(UTC))


async def test_tickets_need_the_store_and_fields(
        tmp_path: Path, stores: list[Store]) -> None:
    commands = await _commands(tmp_path, FakeEngine(), stores)
    with pytest.raises(ServiceUnavailable):
        await commands.run("ticket.get", {"ticket": "1"})


def test_http_status_is_chosen_by_error_class_not_message() -> None:
    assert UnknownAgent("whatever").http_status == 404
    assert AgentError("unknown agent '7'").http_status == 400  # the text does not matter
    assert NoSuchRow("x").http_status == 404
    assert StoreError("no ticket 7").http_status == 400
    assert TransferConflict("x").http_status == 409
    assert TransferError("agent 1001 has no call to transfer").http_status == 400
    assert UnknownCommand("x").http_status == 404
    assert ServiceUnavailable("x").http_status == 503
    assert AmiNotConnected("x").http_status == 503
    assert AmiActionFailed("x").http_status == 502
    assert AgentConflict("x").http_status == 409


def test_every_error_class_has_its_own_id_and_a_status() -> None:
    """One class per failure: no two share an error id, and every status is an HTTP error."""
    import callcenter.errors as errors
    from callcenter import private, prompts
    from callcenter.asr import fetch, graph
    from callcenter.store import db

    classes = {c for module in (errors, db, private, prompts, fetch, graph)
               for c in vars(module).values()
               if isinstance(c, type) and issubclass(c, errors.CallCenterError)}
    ids = [c.error_id for c in classes]
    assert len(ids) == len(set(ids)) and len(ids) > 40
    assert all(400 <= c.http_status < 600 for c in classes)


async def test_the_control_socket_runs_the_same_commands(
        tmp_path: Path, stores: list[Store]) -> None:
    server = ControlServer(tmp_path / "engine.sock",
                           await _commands(tmp_path, FakeEngine(), stores))
    await server.start()
    try:
        agents = await asyncio.to_thread(query, server.path, "agent.list", agent="1001")
        assert [a["agent"] for a in agents] == ["1001"]
        with pytest.raises(EngineControlError, match="unknown agent '4711'"):
            await asyncio.to_thread(query, server.path, "agent.login", agent="4711")
        with pytest.raises(EngineControlError, match="unknown command 'nothing'"):
            await asyncio.to_thread(query, server.path, "nothing")
    finally:
        await server.stop()


async def test_an_over_long_control_line_gets_a_clear_error(
        tmp_path: Path, stores: list[Store]) -> None:
    from callcenter.control.server import MAX_REQUEST

    server = ControlServer(tmp_path / "engine.sock",
                           await _commands(tmp_path, FakeEngine(), stores))
    await server.start()
    try:
        reader, writer = await asyncio.open_unix_connection(str(server.path))
        writer.write(b'{"cmd": "status", "x": "' + b"a" * (MAX_REQUEST * 2) + b'"}\n')
        await writer.drain()
        reply = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        assert b"too long" in reply
        # and the server still answers
        status = await asyncio.to_thread(query, server.path, "status")
        assert status["ami"]["connected"]
    finally:
        await server.stop()


async def test_a_count_that_is_not_a_number_is_a_clear_error(
        tmp_path: Path, stores: list[Store]) -> None:
    """ticket.list and handoff.list took int() of the limit: "x" was a ValueError (a 500)."""
    from callcenter.tickets.store import Tickets
    from callcenter.transfers.records import TransferRecords

    store = await Store.open(tmp_path / "cc.sqlite3")
    stores.append(store)
    engine = FakeEngine(tickets=Tickets(store))
    engine.transfer_records = TransferRecords(store)  # type: ignore[assignment]
    commands = await _commands(tmp_path, engine, stores)
    for name in ("ticket.list", "handoff.list", "audit.list"):
        assert len(await commands.run(name, {"limit": "5"})) <= 5
        for bad in ("x", "0", "-1", "99999999"):
            with pytest.raises(CommandError, match="is not a number from 1 to"):
                await commands.run(name, {"limit": bad})
