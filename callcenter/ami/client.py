"""The AMI connection: panoramisk's protocol and action futures, our parser and supervision.

panoramisk 1.4 gives us action/response matching (``Action`` futures). What it lacks we add
here: the login is awaited before any action; a Ping keepalive with a deadline detects a dead
connection; reconnection uses a capped exponential backoff; pending actions fail fast on a lost
connection instead of being re-sent later; and every frame goes, in order and synchronously,
to one sink (record → adapt → call state) before any action future resolves.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from panoramisk.actions import Action as PanoramiskAction
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from callcenter.ami import actions
from callcenter.ami.actions import AmiAction
from callcenter.ami.wire import AmiFrame, AmiParser
from callcenter.errors import AmiActionFailed, AmiLoginFailed, AmiNotConnected, AmiProtocolError
from callcenter.tasks import where

log = structlog.get_logger("ami")

FrameSink = Callable[[AmiFrame, float], None]


@dataclass(frozen=True, slots=True)
class AmiSettings:
    host: str
    port: int
    username: str
    secret: str
    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    ping_interval: float = 10.0
    ping_timeout: float = 5.0
    backoff_initial: float = 0.5
    backoff_max: float = 10.0


@dataclass(frozen=True, slots=True)
class AmiResponse:
    action: str
    success: bool
    message: str
    headers: dict[str, str]
    items: tuple[AmiFrame, ...] = ()


# What sends an action and awaits its answer: AmiClient.send live, a stand-in offline.
ActionSender = Callable[[AmiAction], Awaitable[AmiResponse]]


@dataclass(slots=True)
class AmiLinkStatus:
    connected: bool = False
    since: float = 0.0
    connects: int = 0
    last_error: str = ""
    banner: str = ""
    frames: int = 0


@dataclass(slots=True)
class _Backoff:
    current: float = field(default=0.0)

    def next(self, initial: float, maximum: float) -> float:
        self.current = initial if self.current == 0 else min(self.current * 2, maximum)
        return self.current

    def reset(self) -> None:
        self.current = 0.0


class _Protocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's protocol with our parser and sink in front of its response matching."""

    def __init__(self, client: AmiClient) -> None:
        super().__init__()
        self._client = client
        self.parser = AmiParser()
        self.collected: dict[str, list[AmiFrame]] = {}
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.factory = self
        self.log = log
        self.encoding = "utf-8"
        # Attributes panoramisk's Protocol.close() expects on its factory.
        self.forgetable_actions: tuple[str, ...] = ()
        self.awaiting_actions: list[Any] = []

    def data_received(self, data: bytes) -> None:
        ts = self._client.clock()
        try:
            frames = self.parser.feed(data)
        except AmiProtocolError as exc:
            log.error("ami.protocol_error", error_id=exc.error_id, error=exc.message)
            self.transport.abort()
            return
        sink = self._client.sink
        for frame in frames:
            try:
                sink(frame, ts)
            except Exception as exc:  # the sink must never kill the connection
                # where, not the message: a message may quote a caller's number
                log.error("ami.sink_failed", frame_event=frame.name,
                          error=type(exc).__name__, at=where(exc))
            action_id = frame.headers.get("ActionID")
            if action_id and action_id in self.collected:
                self.collected[action_id].append(frame)
                pending = self.responses.get(action_id)
                if (frame.is_response and pending is not None and not pending.future.done()
                        and frame.get("Response") not in ("Success", "Follows", "Goodbye")):
                    # An error ends any action. panoramisk would wait for the items of a
                    # list action forever ("No Contacts found" to PJSIPShowContacts).
                    self.responses.pop(action_id, None)
                    pending.future.set_result(Message(dict(frame.headers)))
                    continue
                try:
                    self.handle_message(Message(dict(frame.headers)))
                except Exception:  # panoramisk's matching has known crashes
                    log.exception("ami.response_match_failed", action_id=action_id)
        self._client.status.frames += len(frames)

    def dispatch(self, message: Message) -> None:
        """panoramisk calls this for events; ours went to the sink already."""

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for pending in list(self.responses.values()):
            if not pending.future.done():
                pending.future.set_exception(AmiNotConnected("AMI connection lost"))
        self.responses.clear()
        if not self.lost.done():
            self.lost.set_result(None)


class AmiClient:
    """Keeps one logged-in AMI connection alive; ``send`` runs actions on it."""

    def __init__(
        self,
        settings: AmiSettings,
        sink: FrameSink,
        on_connected: Callable[[], Awaitable[None]] | None = None,
        on_disconnected: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.clock = clock
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._protocol: _Protocol | None = None
        self._logged_in = False
        self._stopping = False
        self._ready = asyncio.Event()
        self.status = AmiLinkStatus()

    @property
    def connected(self) -> bool:
        return self._logged_in and self._protocol is not None and not self._protocol.closed

    async def wait_connected(self, timeout: float) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def run(self) -> None:
        """Connect, and reconnect with backoff, until :meth:`stop`."""
        backoff = _Backoff()
        while not self._stopping:
            try:
                await self._session(backoff)
            except (OSError, TimeoutError, AmiLoginFailed, AmiNotConnected,
                    AmiActionFailed) as exc:
                self.status.last_error = str(exc)
                log.warning("ami.connect_failed", error=str(exc),
                            host=self.settings.host, port=self.settings.port)
            if self._stopping:
                break
            delay = backoff.next(self.settings.backoff_initial, self.settings.backoff_max)
            log.info("ami.reconnect_scheduled", delay_s=delay)
            await asyncio.sleep(delay)

    async def stop(self) -> None:
        self._stopping = True
        if self._protocol is not None and not self._protocol.closed:
            self._protocol.transport.close()

    def abort_connection(self) -> None:
        """Drop the TCP connection now (used by tests and by the keepalive)."""
        if self._protocol is not None and not self._protocol.closed:
            self._protocol.transport.abort()

    async def send(self, action: AmiAction, timeout: float | None = None) -> AmiResponse:
        if not self.connected or self._protocol is None:
            raise AmiNotConnected(f"{action.name}: AMI is not connected")
        return await self._send_on(self._protocol, action, timeout)

    async def _send_on(self, proto: _Protocol, action: AmiAction,
                       timeout: float | None) -> AmiResponse:
        if proto.closed:
            raise AmiNotConnected(f"{action.name}: AMI is not connected")
        pan = PanoramiskAction(action.as_dict(), as_list=action.as_list)
        proto.collected[pan.id] = []
        future = proto.send(pan, as_list=action.as_list)
        limit = self.settings.action_timeout if timeout is None else timeout
        try:
            await asyncio.wait_for(asyncio.shield(future), limit)
        except TimeoutError:
            proto.responses.pop(pan.id, None)
            raise AmiActionFailed(f"{action.name}: no answer within {limit:g} s") from None
        finally:
            frames = proto.collected.pop(pan.id, [])
        head = next((f for f in frames if f.is_response), None)
        if head is None:
            raise AmiActionFailed(f"{action.name}: answer without a Response frame")
        items = tuple(f for f in frames if f is not head)
        return AmiResponse(
            action=action.name,
            success=head.get("Response") in ("Success", "Follows", "Goodbye"),
            message=head.get("Message"),
            headers=dict(head.headers),
            items=items,
        )

    async def _session(self, backoff: _Backoff) -> None:
        s = self.settings
        loop = asyncio.get_running_loop()
        _transport, proto = await asyncio.wait_for(
            loop.create_connection(lambda: _Protocol(self), s.host, s.port), s.connect_timeout
        )
        self._protocol = proto
        keepalive: asyncio.Task[None] | None = None
        try:
            reply = await self._send_on(proto, actions.login(s.username, s.secret), None)
            if not reply.success:
                raise AmiLoginFailed(f"AMI login as {s.username!r} refused: {reply.message}")
            self._logged_in = True
            backoff.reset()
            self.status.connected = True
            self.status.since = self.clock()
            self.status.connects += 1
            self.status.banner = proto.parser.banner or ""
            self.status.last_error = ""
            log.info("ami.connected", host=s.host, port=s.port, banner=self.status.banner,
                     connects=self.status.connects)
            self._ready.set()
            keepalive = asyncio.create_task(self._keepalive(proto))
            if self._on_connected is not None:
                try:
                    await self._on_connected()
                except AmiNotConnected:
                    pass
                except Exception:
                    log.exception("ami.on_connected_failed")
            await proto.lost
        finally:
            if keepalive is not None:
                keepalive.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keepalive
            was_up = self._logged_in
            self._logged_in = False
            self._ready.clear()
            self.status.connected = False
            if not proto.closed:
                proto.transport.abort()
            if was_up:
                reason = "stopped" if self._stopping else "connection lost"
                log.warning("ami.disconnected", reason=reason)
                if self._on_disconnected is not None:
                    self._on_disconnected(reason)

    async def _keepalive(self, proto: _Protocol) -> None:
        s = self.settings
        while not proto.closed:
            await asyncio.sleep(s.ping_interval)
            try:
                await self._send_on(proto, actions.ping(), s.ping_timeout)
            except (AmiActionFailed, AmiNotConnected) as exc:
                if not proto.closed:
                    log.warning("ami.keepalive_failed", error=str(exc))
                    proto.transport.abort()
                return
            except Exception as exc:  # nothing would notice a half-open link any more
                log.error("ami.keepalive_failed", error=type(exc).__name__, at=where(exc))
                proto.transport.abort()  # connected again, with a keep-alive
                return
