"""The AMI client against a scripted AMI server on loopback (recorded-style frames)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from callcenter.ami import actions
from callcenter.ami.client import AmiClient, AmiSettings
from callcenter.ami.wire import AmiFrame, AmiParser
from callcenter.errors import AmiActionFailed, AmiNotConnected


class FakeAmi:
    """Answers Login, Ping, QueueAdd, Atxfer and CoreShowChannels like Asterisk 22 does."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.answer_pings = True
        self.logins = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()

    def send_raw(self, data: bytes) -> None:
        self.writers[-1].write(data)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        parser = AmiParser()
        parser.banner = ""
        while data := await reader.read(4096):
            for frame in parser.feed(data):
                self._answer(frame, writer)

    def _answer(self, frame: AmiFrame, writer: asyncio.StreamWriter) -> None:
        aid = frame.get("ActionID")
        action = frame.get("Action")

        def reply(*lines: str) -> None:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())

        if action == "Login":
            self.logins += 1
            reply("Response: Success", f"ActionID: {aid}", "Message: Authentication accepted")
            reply("Event: FullyBooted", "Privilege: system,all", "Status: Fully Booted")
        elif action == "Ping" and self.answer_pings:
            reply("Response: Success", f"ActionID: {aid}", "Ping: Pong", "Timestamp: 1.0")
        elif action == "QueueAdd":
            reply("Response: Success", f"ActionID: {aid}", "Message: Added interface to queue")
        elif action == "Atxfer":
            reply("Response: Success", f"ActionID: {aid}", "Message: Atxfer successfully queued")
        elif action == "PJSIPShowContacts":
            reply("Response: Error", f"ActionID: {aid}", "Message: No Contacts found")
        elif action == "CoreShowChannels":
            reply("Response: Success", f"ActionID: {aid}", "EventList: start",
                  "Message: Channels will follow")
            reply("Event: CoreShowChannel", f"ActionID: {aid}", "Channel: PJSIP/carrier-1",
                  "Uniqueid: 1.1", "Linkedid: 1.1", "ChannelState: 6", "Exten: 12345",
                  "Duration: 00:00:07")
            reply("Event: CoreShowChannelsComplete", f"ActionID: {aid}", "EventList: Complete",
                  "ListItems: 1")


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    server = FakeAmi()
    await server.start()
    yield server
    await server.stop()


def client_for(port: int, frames: list[AmiFrame], **kw: float) -> AmiClient:
    settings = AmiSettings("127.0.0.1", port, "callcenter", "s3cret", backoff_initial=0.05,
                           backoff_max=0.2, ping_interval=kw.get("ping_interval", 30.0),
                           ping_timeout=kw.get("ping_timeout", 1.0), action_timeout=1.0)
    return AmiClient(settings, sink=lambda f, ts: frames.append(f))


async def test_login_then_list_and_trap_actions(fake: FakeAmi) -> None:
    port = fake.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    frames: list[AmiFrame] = []
    client = client_for(port, frames)
    task = asyncio.create_task(client.run())
    await client.wait_connected(5)
    channels = await client.send(actions.core_show_channels())
    assert channels.success and [f.name for f in channels.items] == [
        "CoreShowChannel", "CoreShowChannelsComplete"]
    # every frame went to the sink too, before the answer resolved
    assert "CoreShowChannel" in [f.name for f in frames]
    added = await client.send(actions.queue_add("q12345", "PJSIP/1001", "1001", 0))
    assert added.success and added.message == "Added interface to queue"
    transfer = await client.send(actions.atxfer("PJSIP/1001-1", "12366", "cc-transfer"))
    assert transfer.success
    assert client.connected and fake.logins == 1  # the connection survived both traps
    # an error answer to a list action ends it (panoramisk alone waits forever)
    contacts = await client.send(actions.pjsip_show_contacts())
    assert not contacts.success and contacts.message == "No Contacts found"
    await client.stop()
    await asyncio.wait_for(task, 5)


async def test_dead_connection_is_found_by_keepalive_and_redone(fake: FakeAmi) -> None:
    port = fake.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = client_for(port, [], ping_interval=0.1, ping_timeout=0.2)
    task = asyncio.create_task(client.run())
    await client.wait_connected(5)
    fake.answer_pings = False
    for _ in range(100):
        if client.status.connects >= 2:
            break
        await asyncio.sleep(0.05)
    assert fake.logins >= 2 and client.status.connects >= 2
    assert client.status.last_error == ""
    await client.stop()
    await asyncio.wait_for(task, 5)


async def test_a_keepalive_that_breaks_unexpectedly_redoes_the_link(
        fake: FakeAmi, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any error of the keep-alive (not only a missing Pong) must not leave a link that
    nothing watches: it is logged and the link made anew, with a keep-alive."""
    port = fake.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = client_for(port, [], ping_interval=0.1, ping_timeout=0.2)
    broken = {"pings": 1}

    def ping() -> actions.AmiAction:
        if broken["pings"]:
            broken["pings"] -= 1
            raise RuntimeError("a bug")
        return actions.AmiAction("Ping", ())

    monkeypatch.setattr(actions, "ping", ping)
    task = asyncio.create_task(client.run())
    await client.wait_connected(5)
    for _ in range(100):
        if client.status.connects >= 2:
            break
        await asyncio.sleep(0.05)
    assert fake.logins >= 2 and client.status.connects >= 2 and client.connected
    await client.stop()
    await asyncio.wait_for(task, 5)


async def test_oversized_frame_resets_the_link_and_pending_actions_fail(
        fake: FakeAmi) -> None:
    port = fake.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = client_for(port, [])
    task = asyncio.create_task(client.run())
    await client.wait_connected(5)
    fake.answer_pings = False
    pending = asyncio.create_task(client.send(actions.ping(), timeout=5))
    await asyncio.sleep(0.05)
    fake.send_raw(b"Event: Flood\r\nData: " + b"x" * (2 << 20))
    with pytest.raises(AmiNotConnected):
        await pending
    for _ in range(100):
        if fake.logins >= 2 and client.connected:
            break
        await asyncio.sleep(0.05)
    assert fake.logins == 2
    await client.stop()
    await asyncio.wait_for(task, 5)


async def test_send_without_connection_and_unanswered_action(fake: FakeAmi) -> None:
    port = fake.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = client_for(port, [])
    with pytest.raises(AmiNotConnected):
        await client.send(actions.ping())
    task = asyncio.create_task(client.run())
    await client.wait_connected(5)
    fake.answer_pings = False
    with pytest.raises(AmiActionFailed, match="no answer"):
        await client.send(actions.ping(), timeout=0.2)
    await client.stop()
    await asyncio.wait_for(task, 5)
