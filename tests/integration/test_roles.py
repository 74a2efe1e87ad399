"""People with roles over the real engine's HTTP API, around a real call answered by agent
1001 on a softphone: an agent acts only on their own agent and tickets, a supervisor on all,
a revoked token is refused, and the audit trail has every change and every read of the
caller's number."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from callcenter.app import Engine
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone
from tests.integration.conftest import Lab, agent_softphone

CALLER = "13755550077"


@pytest.fixture
async def agent_1001(lab: Lab) -> AsyncIterator[Softphone]:
    async with agent_softphone(lab, "1001", 5066, 30800, answer_delay_s=0.5,
                               talk_s=2.0) as phone:
        yield phone


async def test_roles_over_http_around_a_real_call(lab: Lab, engine: Engine,
                                                  agent_1001: Softphone) -> None:
    run = engine.commands.run  # root, as the CLI through the control socket
    tokens = {}
    for name, role, agent in (("role.li", "agent", "1001"), ("role.wang", "agent", "1002"),
                              ("role.zhao", "supervisor", ""), ("role.chen", "admin", "")):
        made = await run("user.add", {"name": name, "role": role, "agent": agent})
        tokens[name] = {"Authorization": f"Bearer {made['token']}"}
    base = f"http://127.0.0.1:{lab.config.engine.api.port}/api"

    async with aiohttp.ClientSession() as http:
        async def call(method: str, path: str, who: str, body: Any = None) -> tuple[int, Any]:
            async with http.request(method, f"{base}{path}", headers=tokens[who],
                                    json=body) as r:
                return r.status, await r.json()

        assert (await call("POST", "/agents/1001/login", "role.li"))[0] == 200
        result = await place_calls([CallSpec("12345", CALLER)], hold_ms=9000, audio=True,
                                   local_port=5077, media_port=16700)
        assert result.successful == 1 and agent_1001.answered
        call_id = await lab.call_id(CALLER)
        (created,) = await lab.wait_for("ticket.created", lambda: lab.events(
            "ticket.created", call_id=call_id))
        ticket = created["ticket"]

        # agent 1002 on 1001's agent, ticket and transfer: 403, whatever the action
        for method, path, body in (
                ("POST", "/agents/1001/pause", {"reason": "小休"}),
                ("POST", "/agents/1001/logout", None),
                ("GET", f"/tickets/{ticket}", None),
                ("GET", f"/tickets/{ticket}/events", None),
                ("POST", f"/tickets/{ticket}/confirm", {"fields": {"phone": CALLER}}),
                ("POST", "/agents/1001/transfer", {"destination": "12366"}),
                ("POST", "/agents/1001/transfer/complete", None),
                ("GET", "/status", None), ("GET", "/users", None)):
            status, answer = await call(method, path, "role.wang", body)
            assert (status, answer["error_id"]) == (403, "CC1301"), (path, answer)
        # the agent of the call reads it, with the caller's number
        status, answer = await call("GET", f"/tickets/{ticket}", "role.li")
        assert status == 200 and answer["caller"] == CALLER
        # a supervisor: every agent and ticket (and the transfer desk answers, not the rules)
        status, answer = await call("GET", f"/tickets/{ticket}", "role.zhao")
        assert status == 200 and answer["agent"] == "1001"
        status, answer = await call("POST", "/agents/1002/transfer/cancel", "role.zhao")
        assert status == 409, answer
        # an admin runs the engine but reads no citizen's ticket
        assert (await call("GET", f"/tickets/{ticket}", "role.chen"))[0] == 403
        assert (await call("GET", "/users", "role.chen"))[0] == 200
        await lab.wait_for("ticket.closed", lambda: lab.events("ticket.closed",
                                                               call_id=call_id))
        status, answer = await call("POST", "/agents/1001/pause", "role.zhao",
                                    {"reason": "小休"})
        assert status == 200 and answer["state"] == "paused"

        # revoked: the token no longer opens anything
        assert (await call("POST", "/users/role.li/revoke", "role.chen"))[0] == 200
        status, answer = await call("POST", "/agents/1001/unpause", "role.li")
        assert (status, answer["error_id"]) == (401, "CC1300")
        assert (await call("POST", "/agents/1001/logout", "role.zhao"))[0] == 200

    assert engine.audit is not None
    rows = [(r["user"], r["action"], r["target"], r["result"])
            for r in await engine.audit.rows(limit=100) if r["user"].startswith("role.")]
    assert ("role.li", "agent.login", "agent 1001", "ok") in rows
    assert ("role.wang", "ticket.get", f"ticket {ticket}", "CC1301") in rows
    assert ("role.wang", "agent.pause", "agent 1001", "CC1301") in rows
    assert ("role.li", "ticket.get", f"ticket {ticket}", "ok") in rows
    assert ("role.zhao", "ticket.get", f"ticket {ticket}", "ok") in rows
    assert ("role.chen", "user.revoke", "user role.li", "ok") in rows
    assert ("(token)", "sign-in", "user (token)", "CC1300") in [
        (r["user"], r["action"], r["target"], r["result"])
        for r in await engine.audit.rows(limit=100)]
