from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from structlog.testing import capture_logs

from callcenter.agi.server import AgiSession, FastAgiServer
from tests.agi_peer import FakeAsterisk

seen: list[str] = []


async def digit(session: AgiSession) -> None:
    seen.append(await session.wait_for_digit(5000))


async def broken(session: AgiSession) -> None:
    raise RuntimeError("bug in a handler")


@pytest.fixture
async def server() -> AsyncIterator[FastAgiServer]:
    srv = FastAgiServer({"digit": digit, "broken": broken}, "127.0.0.1", 0,
                        request_timeout=1.0)
    await srv.start()
    yield srv
    await srv.stop()


async def test_known_script_runs_and_closes(server: FastAgiServer) -> None:
    peer = await FakeAsterisk.connect(server.bound_port, "digit")
    assert await peer.expect_command("200 result=49") == "WAIT FOR DIGIT 5000"
    assert await peer.closed_by_server()  # success sends no status: one round trip fewer
    assert seen[-1] == "1" and server.counts["ok"] == 1


async def test_unknown_script_gets_a_status_and_a_log_line(server: FastAgiServer) -> None:
    with capture_logs() as logs:
        peer = await FakeAsterisk.connect(server.bound_port, "nope")
        assert await peer.expect_command() == 'SET VARIABLE CC_AGI_STATUS "UNKNOWN_SCRIPT"'
        assert await peer.closed_by_server()
    assert any(e["event"] == "agi.unknown_script" and e["script"] == "nope" for e in logs)


async def test_failing_handler_reports_failed(server: FastAgiServer) -> None:
    with capture_logs() as logs:
        peer = await FakeAsterisk.connect(server.bound_port, "broken")
        assert await peer.expect_command() == 'SET VARIABLE CC_AGI_STATUS "FAILED"'
    assert any(e["event"] == "agi.handler_failed" for e in logs)


async def test_malformed_and_silent_peers_are_closed_and_logged(server: FastAgiServer) -> None:
    with capture_logs() as logs:
        peer = await FakeAsterisk.connect(server.bound_port, raw=b"hello there\n\n")
        assert await peer.closed_by_server()
        silent = await FakeAsterisk.connect(server.bound_port, raw=b"agi_network: yes\n")
        assert await silent.closed_by_server()  # request_timeout
    events = [e["event"] for e in logs]
    assert "agi.request_malformed" in events and "agi.request_timeout" in events


async def test_hangup_mid_script_is_clean_and_server_keeps_serving(
        server: FastAgiServer) -> None:
    with capture_logs() as logs:
        peer = await FakeAsterisk.connect(server.bound_port, "digit")
        line = (await asyncio.wait_for(peer.reader.readline(), 5)).decode()
        assert line.startswith("WAIT FOR DIGIT")
        await peer.hang_up()
        for _ in range(50):
            if server.counts["hangup"]:
                break
            await asyncio.sleep(0.02)
    assert server.counts["hangup"] == 1
    assert any(e["event"] == "agi.caller_hung_up" for e in logs)
    again = await FakeAsterisk.connect(server.bound_port, "digit")
    assert await again.expect_command("200 result=50") == "WAIT FOR DIGIT 5000"


async def test_minus_one_then_dead_channel_is_a_hangup(server: FastAgiServer) -> None:
    """WAIT FOR DIGIT answers result=-1 when the caller hangs up before Asterisk's HANGUP."""
    peer = await FakeAsterisk.connect(server.bound_port, "digit")
    assert await peer.expect_command("200 result=-1") == "WAIT FOR DIGIT 5000"
    line = (await asyncio.wait_for(peer.reader.readline(), 5)).decode().strip()
    assert line == "CHANNEL STATUS"
    peer.writer.write(b"HANGUP\n511 Command Not Permitted on a dead channel\n")
    await peer.writer.drain()
    assert await peer.closed_by_server()
    assert server.counts["hangup"] >= 1
