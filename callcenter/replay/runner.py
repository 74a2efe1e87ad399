"""Replay a call log through the engine's own decision code, on a simulated clock.

The recorded inputs — raw AMI frames, FastAGI requests (with the keys callers pressed in
menus, which the log holds as ``menu.*`` lines), resync markers — go through the same
adapter, :class:`~callcenter.core.CallCenterCore` and routing scripts as live; what they log
is captured (with the same processors as the call log) and compared, per call and per
agent, with the decisions the log recorded. No Asterisk, no network, no database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from callcenter.agents.state import agent_of
from callcenter.agi.wire import parse_request_lines
from callcenter.ami.adapter import adapt
from callcenter.ami.events import AmiEvent, UnknownEvent
from callcenter.ami.wire import frame_from_json
from callcenter.calllog.writer import line_processors
from callcenter.clock import parse_ts
from callcenter.config.loader import Config
from callcenter.decisions import build_decisions
from callcenter.errors import AgiHangup, CallCenterError, TransferError
from callcenter.hub import Hub, Subscription
from callcenter.replay.compare import DECISIONS, Comparator, Divergence, key_of
from callcenter.replay.offline import ReplaySession, no_asterisk
from callcenter.replay.reader import BadLine, LogLine, read_log
from callcenter.transfers.desk import TransferDesk

SETTLE_S = 30.0  # a call's unmatched decisions are reported this long after it ended
MENU_LINES = {"menu.choice", "menu.timeout", "menu.invalid"}
CLOCK_LINES = {"ami.frame", "agi.request", "engine.started", "ami.resync_started",
               "ami.resync_aborted", "ami.resynced", "transfer.requested"}
AGI_DONE_LINES = {"call.routed", "agi.caller_hung_up", "agi.session_failed",
                  "agi.handler_failed"}


def party(channel: str) -> str:
    """Who a channel is, for people: 来电人 (caller), 坐席 1001, 分中心 12366, …"""
    if channel.startswith("PJSIP/carrier-"):
        return "来电人"
    agent = agent_of(channel.rpartition("-")[0])  # the desk's or the browser's softphone
    if agent is not None:
        return f"坐席 {agent}"
    if channel.startswith("PJSIP/subcenter-"):
        return "分中心 " + channel[len("PJSIP/subcenter-"):].rsplit("-", 1)[0]
    if channel.startswith("AudioSocket/"):
        return "语音识别"
    if channel.startswith("Local/") and "cc-xfer" in channel:
        return "转接"
    return channel


@dataclass
class _PendingAgi:
    request: Any
    keys: list[str | None] = field(default_factory=list)


@dataclass
class ReplayResult:
    lines: int = 0
    frames: int = 0
    agi_requests: int = 0
    calls: int = 0
    recorded_decisions: int = 0
    replayed_decisions: int = 0
    divergences: list[Divergence] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)
    first_ts: float | None = None
    last_ts: float | None = None
    wall_s: float = 0.0
    config_warning: str = ""
    timeline: list[tuple[float, str, str, str]] = field(default_factory=list)

    @property
    def log_span_s(self) -> float:
        if self.first_ts is None or self.last_ts is None:
            return 0.0
        return self.last_ts - self.first_ts

    @property
    def speed(self) -> float:
        return self.log_span_s / self.wall_s if self.wall_s > 0 else 0.0


class Replayer:
    def __init__(self, config: Config, current_hash: str, *, speed: float | None = None,
                 only_call: str | None = None,
                 on_progress: Callable[[int], None] | None = None,
                 on_divergence: Callable[[Divergence], None] = lambda _d: None,
                 listeners: Sequence[Subscription] = ()) -> None:
        """``listeners``: parts that hear the replayed engine's hub as a live engine's
        capabilities do (e.g. the wallboard's count of the facts about calls)."""
        self.config = config
        self.current_hash = current_hash
        self.speed = speed
        self.only_call = only_call
        self.on_progress = on_progress
        self.listeners = tuple(listeners)
        self.result = ReplayResult()
        self.comparator = Comparator(on_divergence)
        self.result.divergences = self.comparator.divergences
        self._captured: list[dict[str, Any]] = []
        self._mask = True
        self._now = 0.0
        self._next_tick: float | None = None
        self._pending_agi: dict[str, _PendingAgi] = {}
        self._ended: dict[str, float] = {}  # key → when its call ended
        self._wall0: float | None = None  # when a paced (--speed) replay started
        self._new_core()

    # -- the engine's parts, fresh (as a starting engine has them) ---------------------------

    def _new_core(self) -> None:
        decisions = build_decisions(self.config, no_asterisk, lambda: self._now)
        self.core, self.routing = decisions.core, decisions.routing
        self.transfers = TransferDesk(lambda: self.config.hotlines, no_asterisk,
                                      self.core.tracker, lambda: self._now)
        # the engine's hub, with the deciding subscribers (what the replay compares)
        self.hub = Hub()
        self.hub.subscribe("core", self.core.on_event, AmiEvent)
        self.hub.subscribe("transfers", self.transfers.on_event, AmiEvent)
        for listener in self.listeners:
            self.hub.subscribe(listener.name, listener.handler, *listener.types)
        self.core.publish = self.core.agent_desk.publish = self.hub.publish

    def _configure_capture(self) -> None:
        def capture(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
            self._captured.append(dict(event_dict))
            raise structlog.DropEvent

        processors = [*line_processors(self._mask), capture]
        structlog.configure(processors=processors, wrapper_class=structlog.BoundLogger,
                            logger_factory=structlog.ReturnLoggerFactory(),
                            cache_logger_on_first_use=False)

    # -- the run -----------------------------------------------------------------------------

    async def run(self, lines: Any) -> ReplayResult:
        self._configure_capture()
        started = time.monotonic()
        r = self.result
        for item in lines:
            if isinstance(item, BadLine):
                r.bad_lines.append(item)
                continue
            await self._line(item)
            if self.on_progress is not None and r.lines % 2000 == 0:
                self.on_progress(item.end_offset)
        self._drain()
        self._flush_agi(all_calls=True)
        self.comparator.finish()
        r.wall_s = time.monotonic() - started
        structlog.reset_defaults()
        return r

    async def run_file(self, path: Any) -> ReplayResult:
        return await self.run(read_log(path))

    async def _line(self, line: LogLine) -> None:
        r = self.result
        r.lines += 1
        record = line.record
        event = line.event
        try:
            ts = parse_ts(record["ts"])
        except (ValueError, TypeError):
            r.bad_lines.append(BadLine(line.number, line.end_offset, "bad 'ts'"))
            return
        if event in CLOCK_LINES:  # inputs move the clock; decisions only report it
            if r.first_ts is None:
                r.first_ts = ts
            r.last_ts = max(ts, r.last_ts or ts)  # the clock never runs backwards
            await self._advance(r.last_ts)
        if event == "ami.frame":
            self._frame(record, ts)
        elif event == "agi.request":
            self._agi_request(record)
        elif event == "engine.started":
            self._engine_started(record)
        elif event == "ami.resync_started":
            self.core.begin_resync()
        elif event == "ami.resync_aborted":
            self.core.abort_resync()
        elif event == "ami.resynced":
            self.core.end_resync(ts)
        elif event == "transfer.requested":
            await self._transfer_request(record)
        elif event in MENU_LINES:
            pending = self._pending_agi.get(str(record.get("call_id", "")))
            if pending is not None:
                pending.keys.append(None if event == "menu.timeout"
                                    else str(record.get("digit", "")) or None)
        if event in DECISIONS:
            r.recorded_decisions += 1
            self.comparator.recorded(record, line.number)
            self._timeline(ts, "", event, record)
        if self.transfers.busy:  # what the transfer desk started (a rejoin …) runs before
            await asyncio.sleep(0)  # the next input, as it did live
        if event in AGI_DONE_LINES:
            call_id = str(record.get("call_id", ""))
            if call_id in self._pending_agi:
                await self._run_agi(call_id, complete=event == "call.routed")
        self._drain()

    def _frame(self, record: dict[str, Any], ts: float) -> None:
        frame_json = record.get("frame")
        if not isinstance(frame_json, dict):
            return
        self.result.frames += 1
        frame = frame_from_json(frame_json)
        event = adapt(frame)
        if self.only_call is not None and self.only_call in (
                frame.headers.get("Linkedid"), frame.headers.get("Uniqueid")):
            self._timeline(ts, party(frame.headers.get("Channel", "")), frame.name, {})
        if event is None or (isinstance(event, UnknownEvent)):
            return
        self.hub.publish(event, ts)

    async def _transfer_request(self, record: dict[str, Any]) -> None:
        """An agent's transfer request, run again with the id it had (the rooms and legs in
        the recorded frames carry it); a refusal is a refusal again."""
        agent, action = str(record.get("agent", "")), record.get("action")
        with contextlib.suppress(TransferError):
            if action == "start":
                await self.transfers.start(agent, str(record.get("destination", "")),
                                           str(record.get("mode", "")), wait=False,
                                           transfer_id=str(record.get("transfer", "")) or None)
            elif action == "complete":
                await self.transfers.complete(agent)
            elif action == "cancel":
                await self.transfers.cancel(agent)

    def _agi_request(self, record: dict[str, Any]) -> None:
        headers = record.get("request")
        if not isinstance(headers, dict):
            return
        self.result.agi_requests += 1
        try:
            request = parse_request_lines([f"{k}: {v}" for k, v in headers.items()])
        except CallCenterError:
            return
        call_id = dict(request.query).get("call", "") or request.uniqueid
        if request.script in ("entry", "subcenter-failed"):
            self._pending_agi[call_id] = _PendingAgi(request)

    async def _run_agi(self, call_id: str, complete: bool) -> None:
        pending = self._pending_agi.pop(call_id)
        session = ReplaySession(pending.request, pending.keys, complete)
        script = (self.routing.entry if pending.request.script == "entry"
                  else self.routing.subcenter_failed)
        with structlog.contextvars.bound_contextvars(call_id=call_id), \
                contextlib.suppress(AgiHangup):
            await script(session)

    def _flush_agi(self, all_calls: bool = False) -> None:
        """AGI requests whose outcome the log never showed (hang-up before any line)."""
        for call_id in list(self._pending_agi):
            if all_calls or call_id not in self.core.tracker.calls:
                self._pending_agi.pop(call_id)

    def _engine_started(self, record: dict[str, Any]) -> None:
        """A new engine process: fresh state, as it had; its settings for the comparison."""
        self.comparator.finish()
        recorded_hash = str(record.get("config_hash", ""))
        if recorded_hash and recorded_hash != self.current_hash \
                and not self.result.config_warning:
            self.result.config_warning = (
                f"the log was recorded with configuration {recorded_hash}, this replay uses "
                f"{self.current_hash}: decisions may differ because the rules differ")
        mask = record.get("mask_numbers")
        if isinstance(mask, bool) and mask != self._mask:
            self._mask = mask
            self._configure_capture()
        self._pending_agi.clear()
        self._new_core()

    async def _advance(self, ts: float) -> None:
        """The simulated clock: timers tick each second up to ``ts``; with ``speed``, wait so
        that the log plays at that multiple of real time."""
        if self._next_tick is None:
            self._next_tick = float(int(ts)) + 1
        while self._next_tick <= ts:
            self._now = self._next_tick
            self.core.tick(self._next_tick)
            self.transfers.tick(self._next_tick)
            self._next_tick += 1
        if self.speed and self.result.first_ts is not None:
            if self._wall0 is None:
                self._wall0 = time.monotonic()
            lag = (ts - self.result.first_ts) / self.speed - (time.monotonic() - self._wall0)
            if lag > 0:
                await asyncio.sleep(lag)
        self._now = ts
        self._settle(ts)

    def _settle(self, now: float) -> None:
        if not self._ended:
            return
        due = [k for k, ended in self._ended.items() if now - ended >= SETTLE_S]
        for key in due:
            del self._ended[key]
            self.comparator.settle(key)

    def _drain(self) -> None:
        captured, self._captured = self._captured, []
        for record in captured:
            event = record.get("event")
            if event not in DECISIONS:
                continue
            self.result.replayed_decisions += 1
            if event == "call.started":
                self.result.calls += 1
            if event == "call.ended":
                self._ended[key_of(record)] = self._now
                self._flush_agi()
            self.comparator.replayed(record)

    def _timeline(self, ts: float, party: str, event: str, record: dict[str, Any]) -> None:
        if self.only_call is None or (record and record.get("call_id") != self.only_call):
            return
        detail = " ".join(f"{k}={v}" for k, v in record.items()
                          if k not in ("ts", "event", "level", "logger", "call_id"))
        self.result.timeline.append((ts, party, event, detail))
