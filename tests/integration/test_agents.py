"""Agents on real softphones (pyVoIP) in the real Asterisk's queues."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from callcenter.app import Engine
from callcenter.config.loader import agent_endpoint
from callcenter.errors import AgentError
from callcenter.tickets.desk import TicketDesk
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone, SoftphoneSettings
from tests.integration.conftest import UNREACHABLE_LOGOUT_S, Lab, agent_softphone


@pytest.fixture
async def agent_1001(lab: Lab) -> AsyncIterator[Softphone]:
    async with agent_softphone(lab, "1001", 5064, 30400, answer_delay_s=0.5,
                               talk_s=2.0) as phone:
        yield phone


async def test_login_answer_wrapup_and_pause(lab: Lab, engine: Engine,
                                             agent_1001: Softphone) -> None:
    desk = engine.agent_desk
    state = await desk.login("1001")
    assert state["state"] == "available" and "q12345" in state["queues"]
    result = await place_calls([CallSpec("12345", "13755550001")], hold_ms=14000,
                               audio=True, local_port=5075, media_port=16500)
    assert result.successful == 1
    (record,) = agent_1001.answered
    assert record.heard_audio
    call_id = await lab.call_id("13755550001")
    (created,) = await lab.wait_for("ticket.created", lambda: lab.events(
        "ticket.created", call_id=call_id))
    assert (created["agent"], created["hotline"], created["queue"]) == ("1001", "12345", "q12345")
    assert engine.part(TicketDesk).tickets is not None
    await lab.wait_for("ticket.closed", lambda: lab.events("ticket.closed", call_id=call_id))
    ticket = await engine.part(TicketDesk).tickets.get(created["ticket"])
    assert ticket["caller"] == "13755550001" and ticket["closed_at"] is not None
    moves = [(r["from"], r["to"]) for r in lab.events("agent.state", agent="1001")]
    assert moves[-4:] == [("logged_out", "available"), ("available", "ringing"),
                          ("ringing", "on_call"), ("on_call", "wrapup")]
    # paused (it wins over the wrap-up still running): the next call is not offered
    paused = await desk.pause("1001", "小休")
    assert (paused["state"], paused["reason"]) == ("paused", "小休")
    offered = agent_1001.offered
    result = await place_calls([CallSpec("12345", "13755550002")], hold_ms=10000,
                               local_port=5075, media_port=16500)
    assert result.successful == 1
    assert agent_1001.offered == offered
    assert (await desk.unpause("1001"))["state"] == "available"  # wrap-up (10 s) is over
    assert (await desk.logout("1001"))["state"] == "logged_out"


def _phone(lab: Lab, agent_id: str, port: int, *, answer: bool = True,
           talk_s: float = 2.0) -> Softphone:
    """An agent's softphone on SIP port ``port`` with its own RTP range."""
    endpoint = agent_endpoint(agent_id)
    return Softphone(SoftphoneSettings(endpoint, lab.secrets.sip_passwords[endpoint],
                                       sip_port=port, rtp_low=port * 10 - 20000,
                                       rtp_high=port * 10 - 19900, answer=answer,
                                       answer_delay_s=0.3, talk_s=talk_s))


async def test_ring_no_answer_pauses_the_agent_and_another_answers(lab: Lab,
                                                                   engine: Engine) -> None:
    silent, helper = _phone(lab, "1002", 5066, answer=False), _phone(lab, "2001", 5067)
    await asyncio.gather(asyncio.to_thread(silent.start), asyncio.to_thread(helper.start))
    try:
        desk = engine.agent_desk
        await desk.login("1002")  # q12345 penalty 2: rung first
        await desk.login("2001")  # q12345 penalty 4: only when 1002 cannot take calls
        result = await place_calls([CallSpec("12345", "13777770001")], hold_ms=35000,
                                   local_port=5077, media_port=16700)
        assert result.successful == 1
        assert silent.offered >= 2 and not silent.answered
        assert len(helper.answered) == 1
        (pause,) = lab.events("agent.auto_pause", agent="1002")
        assert pause["reason"] == "未接"
        assert lab.frames("QueueMemberPause", MemberName="1002", PausedReason="未接")
        assert desk.describe("1002")["state"] == "paused"
        assert desk.describe("1002")["reason"] == "未接"
    finally:
        for agent_id in ("1002", "2001"):
            await engine.agent_desk.logout(agent_id)
        await asyncio.gather(asyncio.to_thread(silent.stop), asyncio.to_thread(helper.stop))


async def test_expert_first_then_overflow_to_12345_when_the_expert_is_busy(
        lab: Lab, engine: Engine) -> None:
    expert = _phone(lab, "2006", 5068, talk_s=40.0)
    general = _phone(lab, "2001", 5069, talk_s=3.0)
    await asyncio.gather(asyncio.to_thread(expert.start), asyncio.to_thread(general.start))
    try:
        desk = engine.agent_desk
        await desk.login("2006")  # q12315 level 5 (expert), q12345 level 2
        await desk.login("2001")  # q12345 only (for this call)
        first = asyncio.create_task(place_calls(
            [CallSpec("12315", "13799990031")], hold_ms=45000, local_port=5079,
            media_port=16900))
        await lab.wait_for("the expert on the call", lambda: expert.answered, timeout=30)
        second = await place_calls([CallSpec("12315", "13799990032")], hold_ms=40000,
                                   local_port=5080, media_port=17300)
        assert second.successful == 1 and (await first).successful == 1
        calls = {c: await lab.call_id(c) for c in ("13799990031", "13799990032")}
        (answered_first,) = lab.events("queue.answered", call_id=calls["13799990031"])
        assert (answered_first["queue"], answered_first["agent"]) == ("q12315", "2006")
        (overflow,) = lab.events("queue.overflowed", call_id=calls["13799990032"])
        assert (overflow["queue"], overflow["to"], overflow["queue_status"]) == (
            "q12315", "q12345", "TIMEOUT")
        (answered_second,) = lab.events("queue.answered", call_id=calls["13799990032"])
        assert (answered_second["queue"], answered_second["agent"]) == ("q12345", "2001")
        assert not lab.events("queue.abandoned", call_id=calls["13799990032"])
    finally:
        for agent_id in ("2006", "2001"):
            await engine.agent_desk.logout(agent_id)
        await asyncio.gather(asyncio.to_thread(expert.stop), asyncio.to_thread(general.stop))


async def test_login_refused_for_unregistered_or_unknown_agent(lab: Lab,
                                                               engine: Engine) -> None:
    with pytest.raises(AgentError, match="的桌面话机未注册"):
        await engine.agent_desk.login("1002")
    with pytest.raises(AgentError, match="没有工号为 '9999' 的话务员"):
        await engine.agent_desk.login("9999")
    with pytest.raises(AgentError, match=r"暂停原因 .* 无效"):
        await engine.agent_desk.pause("1002", "睡觉")


async def test_http_api_of_the_running_engine(lab: Lab, engine: Engine) -> None:
    import aiohttp

    base = f"http://127.0.0.1:{lab.config.engine.api.port}/api"
    made = await engine.commands.run("user.add", {"name": "api.zhao", "role": "supervisor"})
    good = {"Authorization": f"Bearer {made['token']}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/status", headers={"Authorization": "Bearer nope"}) as r:
            assert r.status == 401
        async with http.get(f"{base}/status", headers=good) as r:
            assert r.status == 200
            status = await r.json()
            assert status["ami"]["connected"] and len(status["agents"]) == len(
                lab.config.agents.agents)
        async with http.post(f"{base}/agents/9999/login", headers=good) as r:
            assert r.status == 404 and "没有工号为" in (await r.json())["error"]
        async with http.post(f"{base}/agents/1002/login", headers=good) as r:
            assert r.status == 400 and "未注册" in (await r.json())["error"]


async def test_caller_hanging_up_while_waiting_is_abandoned(lab: Lab, engine: Engine,
                                                            agents_waiting: None) -> None:
    result = await place_calls([CallSpec("12345", "13788880011")], hold_ms=12000,
                               local_port=5078, media_port=16800)
    assert result.successful == 1
    call_id = await lab.call_id("13788880011")
    (abandoned,) = await lab.wait_for("queue.abandoned", lambda: lab.events(
        "queue.abandoned", call_id=call_id))
    (joined,) = lab.events("queue.joined", call_id=call_id)
    (ended,) = await lab.wait_for("call.ended", lambda: lab.events("call.ended",
                                                                  call_id=call_id))
    assert abandoned["queue"] == "q12345"
    waited = _seconds(ended["ts"]) - _seconds(joined["ts"])
    assert abs(abandoned["wait_s"] - waited) <= 1.0  # Asterisk's HoldTime, whole seconds
    assert 2 <= abandoned["wait_s"] <= 8  # 12 s call minus the ~6.5 s greeting
    row = next(q for q in engine.snapshot()["queues"] if q["queue"] == "q12345")
    assert row["abandoned"] >= 1 and row["waiting"] == 0


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def test_nobody_to_take_the_call_records_a_callback(lab: Lab, engine: Engine) -> None:
    for agent_id in lab.config.agents.agents:  # nobody logged in anywhere
        await engine.agent_desk.logout(agent_id)
    result = await place_calls([CallSpec("12315", "13766660021")], hold_ms=25000,
                               local_port=5076, media_port=16600)
    assert result.successful == 1
    call_id = await lab.call_id("13766660021")
    # 12315's queue is empty → overflow at once to q12345, empty too → callback
    overflow = lab.frames("UserEvent", Linkedid=call_id, UserEvent="CcOverflow")
    assert overflow and overflow[0]["QueueStatus"] == "JOINEMPTY"
    (callback,) = lab.events("callback.requested", call_id=call_id)
    assert (callback["queue"], callback["reason"], callback["caller"]) == (
        "q12345", "joinempty", "137****0021")
    # the caller heard the callback prompt and was not left in silence: Asterisk hung up
    ended = await lab.wait_for("call.ended", lambda: lab.events("call.ended",
                                                               call_id=call_id))
    assert ended and ended[0]["duration_s"] < 25
    assert engine.store is not None
    rows = [r for r in await engine.store.open_callbacks() if r["call_id"] == call_id]
    assert rows and rows[0]["caller"] == "13766660021"  # the full number, only in the store


PLAYING = re.compile(r"<(?P<channel>[^>]+)> Playing '(?P<sound>[^'.]+)\.\w+' "
                     r"\(language '(?P<language>\w+)'\)")


async def test_waiting_callers_hear_position_and_wait_in_chinese(
        lab: Lab, engine: Engine, agents_waiting: None) -> None:
    """The second of two waiting callers hears 您目前排在第 二 位… 预计等待时间约为 N 秒,
    from the Chinese sounds the project builds (Asterisk logs what it plays at verbose 3)."""
    lab.asterisk.cli("core set verbose 3")
    messages = lab.paths.chroot / lab.paths.in_chroot("/var/log/asterisk").lstrip("/") \
        / "messages.log"
    start = messages.stat().st_size if messages.exists() else 0
    result = await place_calls([CallSpec("12345", "13766660001"),
                                CallSpec("12345", "13766660002")],
                               rate=1, hold_ms=18000, local_port=5079, media_port=16900)
    assert result.successful == 2
    with messages.open("rb") as log:
        log.seek(start)
        lines = log.read().decode(errors="replace")
    heard: dict[str, list[str]] = {}
    for match in PLAYING.finditer(lines):
        assert match["language"] == "zh"
        heard.setdefault(match["channel"], []).append(match["sound"])
    first, second = (sounds for sounds in heard.values()
                     if any(s.startswith("queue-") for s in sounds))
    assert "queue-youarenext" in first
    said = " ".join(second)
    assert "queue-thereare digits/2 queue-callswaiting" in said
    assert re.search(r"queue-holdtime( digits/\d+)+ queue-(seconds|minutes?)", said)
    zh_sounds = lab.paths.chroot / "usr/share/asterisk/sounds/zh"
    for sound in {s for s in first + second if not s.startswith("/")}:
        assert list(zh_sounds.glob(f"{sound}.*")), f"{sound} would be the English fallback"


async def test_agent_whose_softphone_goes_away_is_logged_out(lab: Lab, engine: Engine) -> None:
    phone = _phone(lab, "1003", 5069)
    await asyncio.to_thread(phone.start)
    try:
        assert (await engine.agent_desk.login("1003"))["state"] == "available"
    finally:
        await asyncio.to_thread(phone.stop)  # unregisters: the device becomes UNAVAILABLE
    (change,) = await lab.wait_for("the automatic logout", lambda: lab.events(
        "agent.state", agent="1003", to="logged_out"), timeout=UNREACHABLE_LOGOUT_S + 10)
    assert change["reason"] == "软电话离线"
    (auto,) = lab.events("agent.auto_logout", agent="1003")
    assert auto["reason"] == "软电话离线"
    assert engine.agent_desk.describe("1003")["state"] == "logged_out"
