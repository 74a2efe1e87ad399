"""The ticket closed loop around a real call (#24): a sipp caller answered by agent 1001 on a
softphone, the agent confirms the ticket; then over the real engine's HTTP API by users of
each role — the agent dispatches it to 城关区, another county's user may not touch it, 城关区's
user signs and replies, a supervisor reviews it, the agent records the rating — two people
acting on it at once (one wins, the other gets a conflict), and the timeline and the audit
trail say who did what."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from callcenter.app import Engine
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone
from tests.integration.conftest import Lab, agent_softphone

CALLER = "13755550088"


@pytest.fixture
async def agent_1001(lab: Lab) -> AsyncIterator[Softphone]:
    async with agent_softphone(lab, "1001", 5066, 30800, answer_delay_s=0.5,
                               talk_s=2.0) as phone:
        yield phone


async def test_a_calls_ticket_round_the_loop_by_each_role_over_http(
        lab: Lab, engine: Engine, agent_1001: Softphone) -> None:
    run = engine.commands.run  # root, as on the server's command line
    tokens = {}
    for name, role, agent, unit in (("loop.li", "agent", "1001", ""),
                                    ("loop.zhao", "supervisor", "", ""),
                                    ("loop.cg", "unit", "", "城关区"),
                                    ("loop.qlh", "unit", "", "七里河区")):
        made = await run("user.add", {"name": name, "role": role, "agent": agent,
                                      "unit": unit})
        tokens[name] = {"Authorization": f"Bearer {made['token']}"}
    base = f"http://127.0.0.1:{lab.config.engine.api.port}/api"

    async with aiohttp.ClientSession() as http:
        async def call(method: str, path: str, who: str, body: Any = None) -> tuple[int, Any]:
            async with http.request(method, f"{base}{path}", headers=tokens[who],
                                    json=body) as r:
                return r.status, await r.json()

        assert (await call("POST", "/agents/1001/login", "loop.li"))[0] == 200
        await lab.wait_for("1001 available in q12345", lambda: any(
            q["queue"] == "q12345" and q["available"] == 1
            for q in engine.snapshot()["queues"]))
        result = await place_calls([CallSpec("12345", CALLER)], hold_ms=9000, audio=True,
                                   local_port=5077, media_port=16700)
        assert result.successful == 1 and agent_1001.answered
        call_id = await lab.call_id(CALLER)
        (created,) = await lab.wait_for("ticket.created", lambda: lab.events(
            "ticket.created", call_id=call_id))
        ticket = created["ticket"]
        status, _ = await call("POST", f"/tickets/{ticket}/confirm", "loop.li", {"fields": {
            "request_type": "求助", "topic": "水电气热", "summary": "雁滩路小区暖气不热"}})
        assert status == 200
        # the call's ticket entered the loop as it opened
        flow: dict[str, Any] = {}
        for _ in range(50):
            status, flow = await call("GET", f"/loop/tickets/{ticket}", "loop.li")
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert (status, flow["step"]) == (200, "accepted"), flow

        status, flow = await call("POST", f"/loop/tickets/{ticket}/dispatch", "loop.li",
                                  {"unit": "城关区", "assist": ["省住建厅"]})
        assert (status, flow["step"], flow["light"]) == (200, "dispatched", "green"), flow
        # a unit's user: not another unit's ticket, not the centre's steps
        status, answer = await call("POST", f"/loop/tickets/{ticket}/sign", "loop.qlh")
        assert (status, answer["error_id"]) == (403, "CC1702"), answer
        assert (await call("GET", f"/loop/tickets/{ticket}/timeline", "loop.qlh"))[0] == 403
        assert (await call("POST", f"/loop/tickets/{ticket}/review", "loop.cg",
                           {"accept": True}))[0] == 403
        # (the suite's engine keeps the tickets of the tests before this one)
        inbox = (await call("GET", "/loop/tickets", "loop.cg"))[1]
        assert ticket in [f["ticket"] for f in inbox]
        assert all(f["unit"] == "城关区" or "城关区" in f["assists"] for f in inbox), inbox
        other = (await call("GET", "/loop/tickets", "loop.qlh"))[1]
        assert ticket not in [f["ticket"] for f in other]
        assert all(f["unit"] == "七里河区" or "七里河区" in f["assists"] for f in other), other

        # two at once: the unit signs while the agent closes it at the centre
        done = await asyncio.gather(
            call("POST", f"/loop/tickets/{ticket}/sign", "loop.cg"),
            call("POST", f"/loop/tickets/{ticket}/close", "loop.li", {"note": "已答复"}))
        assert sorted(s for s, _ in done) == [200, 409], done
        status, flow = await call("GET", f"/loop/tickets/{ticket}", "loop.cg")
        assert flow["step"] == "handling"  # the sign won: closing was not a step from here

        status, flow = await call("POST", f"/loop/tickets/{ticket}/reply", "loop.cg",
                                  {"text": "已联系热力公司上门检修，暖气已恢复"})
        assert (status, flow["step"]) == (200, "replied"), flow
        status, flow = await call("POST", f"/loop/tickets/{ticket}/review", "loop.zhao",
                                  {"accept": True, "note": "答复完整"})
        assert (status, flow["step"]) == (200, "closed"), flow
        status, flow = await call("POST", f"/loop/tickets/{ticket}/rate", "loop.li",
                                  {"rating": "满意"})
        assert (status, flow["rating"]) == (200, "满意"), flow
        status, lines = await call("GET", f"/loop/tickets/{ticket}/timeline", "loop.cg")
        assert [(line["who"], line["action"]) for line in lines] == [
            ("1001", "accept_call"), ("loop.li", "dispatch"), ("loop.cg", "sign"),
            ("loop.cg", "reply"), ("loop.zhao", "accept"), ("loop.li", "rate")]
        await lab.wait_for("ticket.closed", lambda: lab.events("ticket.closed",
                                                               call_id=call_id))
        assert (await call("POST", "/agents/1001/logout", "loop.li"))[0] == 200

    assert engine.audit is not None
    rows = [(r["user"], r["action"], r["result"])
            for r in await engine.audit.rows(limit=200) if r["user"].startswith("loop.")]
    for row in (("loop.li", "ticket.dispatch", "ok"), ("loop.qlh", "ticket.sign", "CC1702"),
                ("loop.cg", "ticket.sign", "ok"), ("loop.cg", "ticket.reply", "ok"),
                ("loop.zhao", "ticket.review", "ok"), ("loop.li", "ticket.rate", "ok"),
                ("loop.li", "ticket.close", "CC1701")):
        assert row in rows, row
