"""The composition root: the engine's shared parts (AMI, FastAGI, the decision core, the
hub, the call log, the store, the front doors) and the lifecycle. Every capability is a
plug-in (:mod:`callcenter.plugins`, :mod:`callcenter.capability`): loaded here, never named."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

import structlog

from callcenter.agents.desk import TICK_S
from callcenter.agents.phone import phone_handlers
from callcenter.agents.state import SupervisorPause
from callcenter.agi.server import AgiSession, FastAgiServer, Handler
from callcenter.agi.wire import AgiRequest
from callcenter.ami import actions
from callcenter.ami import events as ev
from callcenter.ami.adapter import adapt
from callcenter.ami.client import AmiClient, AmiSettings
from callcenter.ami.wire import AmiFrame
from callcenter.api.server import ApiServer, build_app
from callcenter.api.sip_proxy import PhoneSite
from callcenter.audit import AuditTrail
from callcenter.calllog.privacy import mask_number
from callcenter.calllog.writer import CallLog
from callcenter.calls.state import DIALED_VARIABLE, LiveCall
from callcenter.capability import Capability, Context
from callcenter.clock import iso_ts, log_time, wall_clock
from callcenter.commands import Handler as CommandHandler
from callcenter.config.loader import Config, config_hash, load_config
from callcenter.control.client import query
from callcenter.control.server import ControlServer
from callcenter.decisions import build_decisions
from callcenter.engine_commands import engine_commands
from callcenter.errors import (
    AmiActionFailed,
    AmiNotConnected,
    ConfigError,
    EngineControlError,
)
from callcenter.hub import Hub
from callcenter.paths import Paths
from callcenter.plugins import CONFIG_CHECKS, PLUGINS, Plugin
from callcenter.ports import CallbacksChanged
from callcenter.routing.decide import Router
from callcenter.secrets import Secrets, load_secrets
from callcenter.store.db import CallbackRequest, Store
from callcenter.tasks import Supervisor, TaskSet
from callcenter.users.signin import SignIn

log = structlog.get_logger("engine")

MONITOR_CLOSE_S = 3.0  # at a stop, for the capabilities' last AMI actions (supervisors' legs)
LOG_FLUSH_S = 0.25  # the call log reaches the disk at most this long after a line
T = TypeVar("T")


class Engine:
    def __init__(self, config: Config, paths: Paths, secrets: Secrets, *,
                 console: TextIO | None = None,
                 plugins: Sequence[Plugin] = PLUGINS) -> None:
        e = config.engine
        self.config = config
        self.paths = paths
        self.mask_numbers = not e.privacy.log_full_numbers
        self.call_log = CallLog(paths.own(e.paths.call_log), mask=self.mask_numbers,
                                console=console, flush_interval=LOG_FLUSH_S)
        self.ami = AmiClient(
            AmiSettings(
                host=e.ami.host, port=e.asterisk.ami_port, username=e.ami.username,
                secret=secrets.ami_secret, connect_timeout=e.ami.connect_timeout_s,
                action_timeout=e.ami.action_timeout_s, ping_interval=e.ami.ping_interval_s,
                ping_timeout=e.ami.ping_timeout_s, backoff_max=e.ami.reconnect_max_s,
            ),
            sink=self.on_frame,
            on_connected=self.resync,
        )
        self.decisions = build_decisions(config, self.ami.send, time.time)
        self.core = self.decisions.core
        self.routing = self.decisions.routing
        self.agent_desk = self.decisions.agent_desk
        self.agi = FastAgiServer(self._scripts(), e.agi.host, e.agi.port,
                                 on_request=self._record_agi,
                                 request_timeout=e.agi.request_timeout_s)
        self.tracker = self.core.tracker
        self.queue_watch = self.core.queue_watch
        self.store: Store | None = None
        self.audit: AuditTrail | None = None  # with the store, once it is open
        self._background = TaskSet("engine")
        # every AMI event, typed once, and the domain's events: the decision core first (the
        # others read the calls it keeps), then the capabilities in their plug-ins' order
        self.hub = Hub()
        self.hub.subscribe("core", self.core.on_event, ev.AmiEvent)  # not its own events
        self.core.publish = self.agent_desk.publish = self.hub.publish
        self.context = Context(
            config=lambda: self.config, paths=paths, secrets=secrets, send=self.ami.send,
            core=self.core, publish=self.hub.publish, call_log=self.call_log,
            store=lambda: self.store, audit=self.audit_trail, spawn=self._background.spawn,
            clock=lambda: log_time(time.time()))
        self.parts = self.context.parts
        self.capabilities: list[Capability] = [p.load(self.context) for p in plugins]
        self.capabilities.append(Capability("engine", events=[
            (self._callback_requested, (CallbackRequest,)),
            (self._keep_supervisor_pause, (SupervisorPause,))]))
        self.reconfigurable = [c.reconfigure for c in self.capabilities
                               if c.reconfigure is not None]
        handlers: dict[str, CommandHandler] = dict(phone_handlers(
            lambda: self.config, lambda: load_secrets(paths.secrets)))
        for capability in self.capabilities:
            twice = handlers.keys() & capability.commands.keys()
            if twice:
                raise EngineControlError(f"{capability.name} declares commands another "
                                         f"capability has: {', '.join(sorted(twice))}")
            handlers |= capability.commands
            for handler, types in capability.events:
                self.hub.subscribe(capability.name, handler, *types)
        self.commands = engine_commands(self, handlers, wall_clock)
        self.signin = self.parts.get(SignIn)
        self.api = ApiServer(build_app(self.signin, self.commands.run,
                                       routes=[c.routes for c in self.capabilities
                                               if c.routes is not None],
                                       phone=PhoneSite.of(lambda: self.config, paths)),
                             e.api.host, e.api.port,
                             tls=(paths.resolve(e.api.tls_cert), paths.resolve(e.api.tls_key))
                             if e.api.tls_cert else None)
        self.control = ControlServer(paths.control_socket, self.commands)
        self.supervisor = Supervisor(self._give_up)
        self.failure = ""
        self.started_at = time.time()
        self.resyncs = 0
        self._stop = asyncio.Event()

    def part(self, kind: type[T]) -> T:
        """A capability's part (the ticket desk, the transfer desk …): for tests and tools."""
        return self.parts.get(kind)

    @property
    def router(self) -> Router:
        """The router in force (the deciding parts' own: one, after any reload)."""
        return self.decisions.router

    # -- AMI -------------------------------------------------------------------------------

    def on_frame(self, frame: AmiFrame, ts: float) -> None:
        """Every frame, in arrival order: record it, type it, update call state, log."""
        ts = log_time(ts)  # decide on the time as logged: a replay sees only that
        self.call_log.record_frame(frame.to_json(), ts)
        if frame.malformed:
            log.warning("ami.frame_malformed", frame_event=frame.name,
                        lines=[mask_number(line) for line in frame.malformed], ts=ts)
        event = adapt(frame)
        if event is None:
            return
        if isinstance(event, ev.UnknownEvent) and event.problem:
            log.warning("ami.event_unreadable", frame_event=event.name, problem=event.problem,
                        ts=ts)
            return
        self.hub.publish(event, ts)

    async def resync(self) -> None:
        """Rebuild the picture of live calls after a (re)connect."""
        log.info("ami.resync_started")  # the replay begins the same resync here
        self.core.begin_resync()
        try:
            channels = await self.ami.send(actions.core_show_channels())
            queues = await self.ami.send(actions.queue_status())
            # whose phones are registered (the agents' rows, who is offered calls)
            await self.ami.send(actions.device_state_list())
        except BaseException:
            log.info("ami.resync_aborted")
            self.core.abort_resync()
            raise
        now = log_time(time.time())
        self.core.end_resync(now)
        self.resyncs += 1
        listed = [e for e in map(adapt, channels.items) if isinstance(e, ev.CoreShowChannel)]
        calls = list(self.tracker.calls.values())
        for call in calls:  # calls the engine did not see start, an agent on them
            if call.recovered and call.agent_channel and not call.dialed:
                await self._recover_details(call)
        for capability in self.capabilities:
            if capability.resynced is not None:
                await capability.resynced(listed, calls, now)
        log.info("ami.resynced", ts=now, channels=len(channels.items) - 1,
                 queue_items=max(len(queues.items) - 1, 0), calls=len(self.tracker.calls))

    async def _recover_details(self, call: LiveCall) -> None:
        """What the dialplan set on a call before this engine saw it (the number dialed, the
        queue): a resync lists only the channel's current place."""
        for variable, attribute in ((DIALED_VARIABLE, "dialed"), ("CC_QUEUE", "queue")):
            try:
                reply = await self.ami.send(actions.get_var(call.inbound_channel, variable))
            except (AmiActionFailed, AmiNotConnected):
                return
            value = reply.headers.get("Value", "") if reply.success else ""
            if value:
                setattr(call, attribute, value)

    def _callback_requested(self, request: CallbackRequest, ts: float) -> None:
        if self.store is not None:
            self._background.spawn(self._save_callback(request, ts))

    async def _save_callback(self, request: CallbackRequest, ts: float) -> None:
        assert self.store is not None
        try:
            await self.store.add_callback(request)
        except Exception:  # the log line above keeps the request if the database fails
            log.exception("callback.store_failed", call_id=request.call_id)
            return
        self.hub.publish(CallbacksChanged(request.queue), ts)

    # -- FastAGI ---------------------------------------------------------------------------

    def _record_agi(self, request: AgiRequest, ts: float) -> None:
        self.call_log.record_agi_request(dict(request.headers), ts)

    def _scripts(self) -> dict[str, Handler]:
        return {"entry": self.routing.entry, "subcenter-failed": self.routing.subcenter_failed,
                "diag-wait-digit": self._diag_wait_digit}

    async def _diag_wait_digit(self, session: AgiSession) -> None:
        """Diagnostics: wait up to 30 s for one DTMF digit and log it."""
        digit = await session.wait_for_digit(30000)
        log.info("agi.diag_digit", digit=digit or None)

    # -- status ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        now = time.time()
        # masked whatever privacy.log_full_numbers says: the status is no way to a citizen's
        # number (it is read by admins and supervisors, unaudited)
        calls = [
            {"call_id": c.call_id, "dialed": c.dialed, "caller": mask_number(c.caller_num),
             "state": c.state.name.lower(), "age_s": round(now - c.started_at, 1),
             "channels": len(c.channels), "queue": c.queue, "agent": c.agent,
             "recovered": c.recovered}
            for c in sorted(self.tracker.calls.values(), key=lambda c: c.started_at)
        ]
        s = self.ami.status
        return {
            "engine": {"pid": os.getpid(), "uptime_s": round(now - self.started_at, 1),
                       "resyncs": self.resyncs},
            "ami": {"connected": self.ami.connected, "since": s.since, "connects": s.connects,
                    "last_error": s.last_error, "banner": s.banner, "frames": s.frames},
            "agi": dict(self.agi.counts),
            "calls": calls,
            "agents": self.agent_desk.snapshot(),
            **{name: value for c in self.capabilities if c.snapshot is not None
               for name, value in c.snapshot().items()},
        }

    # -- what the command layer acts on (callcenter.engine_commands.EngineParts) -----------------

    def audit_trail(self) -> AuditTrail | None:
        return self.audit

    async def reload(self, config_dir: str | None, *, asterisk_too: bool = True
                     ) -> dict[str, Any]:
        """Take a new configuration (AMI/FastAGI addresses need a restart). Without
        ``asterisk_too`` (asked from the web: nobody there regenerated Asterisk's
        configuration), a change to the queues or phones Asterisk must know is refused:
        the engine would route callers into a queue Asterisk does not have."""
        directory = Path(config_dir or self.config.directory)
        # ConfigError: the old configuration stays
        config = await asyncio.to_thread(load_config, directory, CONFIG_CHECKS)
        if not asterisk_too and (sorted(config.queues.queues) != sorted(self.config.queues.queues)
                                 or config.sip_endpoints != self.config.sip_endpoints):
            raise ConfigError([f"{directory}: the queues or phones changed, and Asterisk must "
                               "know them first: run `python run.py reload` on the server"])
        self.reconfigure(config)
        log.info("engine.config_reloaded", config=str(directory),
                 hotlines=len(config.hotlines.hotlines), queues=len(config.queues.queues))
        return {"hotlines": len(config.hotlines.hotlines), "queues": len(config.queues.queues)}

    async def open_store(self) -> Store:
        """The store (with every capability's tables), and the parts that keep their state
        in it."""
        self.store = store = await Store.open(
            self.paths.own(self.config.engine.paths.database),
            [m for c in self.capabilities for m in c.migrations])
        self.audit = AuditTrail(store)
        # a supervisor's pause outlives the engine's process: only a supervisor ends it
        self.agent_desk.forced.update(await store.supervisor_pauses())
        for capability in self.capabilities:
            if capability.opened is not None:
                await capability.opened(store)
        return store

    def _keep_supervisor_pause(self, pause: SupervisorPause, ts: float) -> None:
        if self.store is not None:
            self._background.spawn(self.store.keep_supervisor_pause(
                pause.agent_id, pause.held, iso_ts(ts)))

    def reconfigure(self, config: Config) -> None:
        """The one place a new configuration is handed to every part that decides from it:
        the deciding parts (:class:`~callcenter.decisions.Decisions`), then every other part
        that keeps rules from the configuration (``reconfigure(config, router)``, listed in
        ``self.reconfigurable``; a test checks that none is left out)."""
        self.config = config
        router = self.decisions.reconfigure(config)
        for reconfigure in self.reconfigurable:
            reconfigure(config, router)

    # -- lifecycle -------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    async def _ticks(self) -> None:
        """Timers (wrap-up ends, unreachable softphones, transfer watchdogs) are judged at
        their due time; this makes sure one is looked at within a second even when no
        event comes."""
        ticks = [c.tick for c in self.capabilities if c.tick is not None]
        while True:
            await asyncio.sleep(TICK_S)
            now = log_time(time.time())
            self.core.tick(now)
            for tick in ticks:
                tick(now)

    async def _flush_log(self) -> None:
        while True:
            await asyncio.sleep(LOG_FLUSH_S)
            self.call_log.flush()

    async def _listen(self) -> None:
        try:
            query(self.paths.control_socket, "status", timeout=1)
        except EngineControlError:
            pass
        else:
            raise EngineControlError("another engine is already running "
                                     "(`python run.py status` shows it)")
        try:
            await self.agi.start()
        except OSError as exc:
            raise EngineControlError(
                f"cannot listen for FastAGI on {self.agi.host}:{self.agi.port}: "
                f"{exc.strerror or exc}") from None
        await self.control.start()
        try:
            await self.api.start()
            for capability in self.capabilities:
                if capability.listen is not None:
                    await capability.listen()
        except (OSError, EngineControlError) as exc:
            await self.agi.stop()
            await self.control.stop()
            await self.api.stop()
            await self._close_capabilities()
            if isinstance(exc, EngineControlError):
                raise
            raise EngineControlError(
                f"cannot listen for the API on {self.api.host}:{self.api.port}: "
                f"{exc.strerror or exc}") from None

    async def _close_capabilities(self) -> None:
        for capability in self.capabilities:
            if capability.close is not None:
                try:
                    await capability.close()
                except Exception as exc:  # never stops a stop
                    log.warning("capability.close_failed", capability=capability.name,
                                error=type(exc).__name__)

    async def run(self, *, handle_signals: bool = True) -> None:
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
        await self.open_store()
        await self._listen()
        log.info("engine.started", pid=os.getpid(), config=str(self.config.directory),
                 config_hash=config_hash(self.config.directory),
                 mask_numbers=self.mask_numbers)
        for capability in self.capabilities:
            if capability.started is not None:
                capability.started()
        self.supervisor.start("ami", self.ami.run)
        self.supervisor.start("log-flusher", self._flush_log)
        self.supervisor.start("timers", self._ticks)
        for capability in self.capabilities:
            for name, work in capability.tasks.items():
                self.supervisor.start(f"{capability.name}.{name}", work)
        try:
            await self._stop.wait()
        finally:
            log.info("engine.stopping")
            for capability in self.capabilities:
                if capability.stopping is None:
                    continue
                try:  # e.g. supervisors' legs hung up and audited while AMI is there
                    await asyncio.wait_for(capability.stopping(), MONITOR_CLOSE_S)
                except Exception as exc:  # never stops a stop
                    log.warning("capability.stopping_failed", capability=capability.name,
                                error=type(exc).__name__)
            await self.ami.stop()
            await self.supervisor.stop()
            await self.agi.stop()
            await self.api.stop()
            await self.control.stop()
            await self._background.wait()
            await self._close_capabilities()
            if self.store is not None:
                await self.store.close()
            log.info("engine.stopped", failure=self.failure or None)
            self.call_log.close()
        if self.failure:
            raise EngineControlError(f"the engine stopped: {self.failure}")

    def _give_up(self, reason: str) -> None:
        """A part of the engine keeps failing: stop the whole engine, with an error."""
        self.failure = reason
        self.stop()
