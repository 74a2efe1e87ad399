from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from callcenter.api.server import build_app
from callcenter.errors import AgentError


class FakeDesk:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"agent": "1001", "state": "available"}]

    async def login(self, agent_id: str) -> dict[str, Any]:
        if agent_id == "1002":
            raise AgentError("the softphone of agent 1002 (agent-1002) is not registered")
        if agent_id != "1001":
            raise AgentError(f"unknown agent {agent_id!r}")
        self.calls.append(("login", agent_id))
        return {"agent": agent_id, "state": "available"}

    async def logout(self, agent_id: str) -> dict[str, Any]:
        return {"agent": agent_id, "state": "logged_out"}

    async def pause(self, agent_id: str, reason: str) -> dict[str, Any]:
        if reason != "小休":
            raise AgentError(f"pause reason {reason!r} is not one of 小休")
        return {"agent": agent_id, "state": "paused", "reason": reason}

    async def unpause(self, agent_id: str) -> dict[str, Any]:
        return {"agent": agent_id, "state": "available"}


AUTH = {"Authorization": "Bearer s3cret"}


async def _client(desk: FakeDesk) -> TestClient:  # type: ignore[type-arg]
    app = build_app("s3cret", desk, lambda: {"calls": [], "ami": {"connected": True}})
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_token_is_required() -> None:
    client = await _client(FakeDesk())
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            response = await client.get("/api/status", headers=headers)
            assert response.status == 401
            assert "token" in (await response.json())["error"]
        response = await client.get("/api/status", headers=AUTH)
        assert response.status == 200 and (await response.json())["ami"]["connected"]
    finally:
        await client.close()


async def test_agent_actions_and_refusals() -> None:
    desk = FakeDesk()
    client = await _client(desk)
    try:
        ok = await client.post("/api/agents/1001/login", headers=AUTH)
        assert ok.status == 200 and (await ok.json())["state"] == "available"
        unregistered = await client.post("/api/agents/1002/login", headers=AUTH)
        assert unregistered.status == 400
        body = await unregistered.json()
        assert "not registered" in body["error"] and body["error_id"] == "CC700"
        unknown = await client.post("/api/agents/9999/login", headers=AUTH)
        assert unknown.status == 404
        paused = await client.post("/api/agents/1001/pause", headers=AUTH,
                                   json={"reason": "小休"})
        assert (await paused.json())["reason"] == "小休"
        bad = await client.post("/api/agents/1001/pause", headers=AUTH, json={"reason": "x"})
        assert bad.status == 400
        garbage = await client.post("/api/agents/1001/pause", headers=AUTH, data=b"{")
        assert garbage.status == 400
        agents = await client.get("/api/agents", headers=AUTH)
        assert (await agents.json())[0]["agent"] == "1001"
        assert desk.calls == [("login", "1001")]
    finally:
        await client.close()
