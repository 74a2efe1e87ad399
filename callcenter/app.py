"""The composition root: the one place where the engine's parts are built and wired."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import structlog

from callcenter.admin import plugin as admin_plugin
from callcenter.agents.desk import TICK_S
from callcenter.agents.phone import phone_handlers
from callcenter.agi.server import AgiSession, FastAgiServer, Handler
from callcenter.agi.wire import AgiRequest
from callcenter.ami import actions
from callcenter.ami import events as ev
from callcenter.ami.adapter import adapt
from callcenter.ami.client import AmiClient, AmiSettings
from callcenter.ami.wire import AmiFrame
from callcenter.api.server import ApiServer, build_app
from callcenter.api.sip_proxy import PhoneSite
from callcenter.asr.pool import AsrPool
from callcenter.asr.transcriber import Transcriber
from callcenter.audiosocket.server import AudioSocketServer
from callcenter.audit import AuditTrail
from callcenter.calllog.privacy import mask_number
from callcenter.calllog.writer import CallLog
from callcenter.calls.state import DIALED_VARIABLE, LiveCall
from callcenter.capability import Capability
from callcenter.clock import iso_ts, log_time, wall_clock
from callcenter.commands import Handler as CommandHandler
from callcenter.config.loader import Config, config_hash, load_config
from callcenter.control.client import query
from callcenter.control.server import ControlServer
from callcenter.decisions import build_decisions
from callcenter.desktop import plugin as desktop_plugin
from callcenter.desktop.commands import desktop_handlers
from callcenter.desktop.notifier import DesktopNotifier
from callcenter.engine_commands import engine_commands
from callcenter.errors import (
    AmiActionFailed,
    AmiNotConnected,
    ConfigError,
    EngineControlError,
)
from callcenter.hub import Hub
from callcenter.knowledge import plugin as knowledge_plugin
from callcenter.knowledge.base import KnowledgeBase
from callcenter.paths import Paths
from callcenter.routing.decide import Router
from callcenter.secrets import Secrets, load_secrets
from callcenter.store.db import CallbackRequest, Store
from callcenter.supervision import plugin as supervision_plugin
from callcenter.supervision.control import SupervisorControl
from callcenter.supervision.desk import MonitorDesk
from callcenter.tasks import Supervisor, TaskSet
from callcenter.tickets import plugin as tickets_plugin
from callcenter.tickets.desk import TicketDesk
from callcenter.tickets.live import AgentBus
from callcenter.tickets.store import Tickets
from callcenter.transfers import plugin as transfers_plugin
from callcenter.transfers.desk import TransferDesk
from callcenter.transfers.destinations import destinations
from callcenter.transfers.records import TransferRecords
from callcenter.users import plugin as users_plugin
from callcenter.users.commands import people_handlers
from callcenter.users.requests import UserRequests
from callcenter.users.signin import SignIn
from callcenter.users.store import Users
from callcenter.wallboard import plugin as wallboard_plugin
from callcenter.wallboard.commands import telling
from callcenter.wallboard.live import Wallboard

log = structlog.get_logger("engine")

MONITOR_CLOSE_S = 3.0  # at a stop, for hanging up the supervisors' legs
LOG_FLUSH_S = 0.25  # the call log reaches the disk at most this long after a line


class Engine:
    def __init__(self, config: Config, paths: Paths, secrets: Secrets, *,
                 console: TextIO | None = None) -> None:
        e = config.engine
        self.config = config
        self.paths = paths
        self.mask_numbers = not e.privacy.log_full_numbers
        self.call_log = CallLog(paths.resolve(e.paths.call_log), mask=self.mask_numbers,
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
        self.asr_pool = AsrPool(e.asr, paths.resolve(e.asr.model))
        self.audiosocket = AudioSocketServer(e.asr.audiosocket_host, e.asr.audiosocket_port)
        self.ticket_desk = TicketDesk(self.router, config.prefill, self.tracker.calls.get,
                                      partial_every_s=e.asr.partial_every_s,
                                      mask_log=self.mask_numbers,
                                      log_text=e.privacy.log_transcripts)
        keep = paths.resolve(e.lab.keep_forked_audio) if e.lab.keep_forked_audio else None
        self.transcriber = Transcriber(e.asr, self.asr_pool, self.audiosocket, self.ami.send,
                                       self.ticket_desk.on_speech, keep_audio=keep)
        self.ticket_desk.start_transcription = self.transcriber.start_call
        self.transfer_records: TransferRecords | None = None
        self.transfer_desk = TransferDesk(
            lambda: self.config.hotlines, self.ami.send, self.tracker,
            lambda: log_time(time.time()), ticket_of=self.ticket_desk.ticket_id,
            ticket_content=self._ticket_content,
            records=lambda: self.transfer_records, publish=self.ticket_desk.bus.publish)
        self.ticket_desk.ignore_call = self.transfer_desk.is_transfer_leg
        self.knowledge = KnowledgeBase.of(config)  # its index opens with the store
        self.users: Users | None = None  # with the store, once it is open
        self.user_requests: UserRequests | None = None
        self.audit: AuditTrail | None = None
        self.agent_events = AgentBus()
        self.desktop = DesktopNotifier(
            self.agent_events, self.tracker.call_of, self.agent_desk.describe,
            self.queue_title,
            lambda: self.config.agents.logout_unreachable_after_s)
        self.agent_desk.on_state = self.desktop.on_state
        self.agent_desk.on_phone = self.desktop.on_phone
        self.agent_desk.on_auto_logout = self.desktop.on_auto_logout
        self.ticket_desk.on_ticket = self.desktop.on_ticket
        # the wallboard: today's figures from the lines the engine logs, pushed as they change
        self.wallboard = Wallboard(config, self.agent_desk, self.queue_watch,
                                   lambda: self.store, time.time)
        self.call_log.listen(self.wallboard.on_line)
        self.monitor_desk = MonitorDesk(self.ami.send, self.tracker, lambda: self.config,
                                        lambda: log_time(time.time()),
                                        audit_trail=self.audit_trail,
                                        on_change=lambda _s: self.wallboard.notifier.changed())
        self.wallboard.monitoring = self.monitor_desk.recent
        self.supervisor_control = SupervisorControl(self.agent_desk, self.ami.send,
                                                    self.tracker, self.agent_events.publish,
                                                    time.time, self.queue_watch)
        # the capabilities, in the order they hear each event (after the decision core)
        self.capabilities: list[Capability] = [
            tickets_plugin.capability(self.ticket_desk),
            transfers_plugin.capability(self.transfer_desk),
            desktop_plugin.capability(self.desktop, desktop_handlers(
                self.agent_desk, lambda: list(self.tracker.calls.values()),
                self.ticket_desk.known_ticket, lambda: self.store, self.tickets, wall_clock,
                self.ami.send), self.agent_events),
            wallboard_plugin.capability(self.wallboard),
            supervision_plugin.capability(self.monitor_desk, self.supervisor_control),
            knowledge_plugin.capability(self.knowledge, self.tickets),
            users_plugin.capability(people_handlers(
                lambda: self.users, self.audit_trail, lambda: self.config.agents.agents,
                wall_clock, lambda: self.user_requests)),
            Capability("softphone", commands=phone_handlers(
                lambda: self.config, lambda: load_secrets(paths.secrets))),
            admin_plugin.capability(),
        ]
        # besides the deciding parts (self.decisions); the transfer desk reads
        # self.config.hotlines when it needs them
        self.reconfigurable = [c.reconfigure for c in self.capabilities
                               if c.reconfigure is not None]
        handlers: dict[str, CommandHandler] = {}
        for capability in self.capabilities:
            twice = handlers.keys() & capability.commands.keys()
            if twice:
                raise EngineControlError(f"{capability.name} declares commands another "
                                         f"capability has: {', '.join(sorted(twice))}")
            handlers |= capability.commands
        # a callback marked done is counted again by the wallboard
        handlers["callback.done"] = telling(self.wallboard, handlers["callback.done"])
        self.commands = engine_commands(self, handlers, wall_clock)
        self.signin = SignIn(lambda: self.users, self.audit_trail, wall_clock,
                             timedelta(hours=e.api.session_hours))
        self.api = ApiServer(build_app(self.signin, self.commands.run,
                                       routes=[c.routes for c in self.capabilities
                                               if c.routes is not None],
                                       phone=PhoneSite.of(lambda: self.config, paths)),
                             e.api.host, e.api.port,
                             tls=(paths.resolve(e.api.tls_cert), paths.resolve(e.api.tls_key))
                             if e.api.tls_cert else None)
        self.control = ControlServer(paths.control_socket, self.commands)
        self.store: Store | None = None
        self.core.on_call_ended = self.ticket_desk.call_ended
        # every AMI event, typed once, in this order: the decision core first (the others
        # read the calls it keeps), then the capabilities as listed
        self.hub = Hub()
        self.hub.subscribe("core", self.core.on_event)
        for capability in self.capabilities:
            for handler, types in capability.events:
                self.hub.subscribe(capability.name, handler, *types)
        self.core.on_callback = self._callback_requested
        self._background = TaskSet("engine")
        self.supervisor = Supervisor(self._give_up)
        self.failure = ""
        self.started_at = time.time()
        self.resyncs = 0
        self._stop = asyncio.Event()

    def queue_title(self, queue: str) -> str:
        """A queue as people know it (queues.yaml's title)."""
        found = self.config.queues.queues.get(queue)
        return found.title if found is not None and found.title else queue

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
        await self.monitor_desk.resynced(e for e in map(adapt, channels.items)
                                         if isinstance(e, ev.CoreShowChannel))
        for call in list(self.tracker.calls.values()):  # calls the engine did not see start
            if call.recovered and call.agent_channel and call.call_id not in \
                    self.ticket_desk.calls:
                await self._recover_details(call)
                self.ticket_desk.resume(call, now)
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

    def _callback_requested(self, request: CallbackRequest) -> None:
        if self.store is not None:
            self._background.spawn(self._save_callback(request))

    async def _save_callback(self, request: CallbackRequest) -> None:
        assert self.store is not None
        try:
            await self.store.add_callback(request)
            self.wallboard.callback_added(request.queue)
        except Exception:  # the log line above keeps the request if the database fails
            log.exception("callback.store_failed", call_id=request.call_id)

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
            "queues": self.queue_watch.snapshot(self.agent_desk.board, now,
                                                self.wallboard.today(now)),
            "transfers": self.transfer_desk.snapshot(),
            "monitoring": self.monitor_desk.snapshot(),
        }

    # -- what the command layer acts on (callcenter.engine_commands.EngineParts) -----------------

    def tickets(self) -> Tickets | None:
        return self.ticket_desk.tickets

    def audit_trail(self) -> AuditTrail | None:
        return self.audit

    def hotlines_destinations(self) -> list[dict[str, object]]:
        return [d.as_dict() for d in destinations(self.config.hotlines)]

    async def _ticket_content(self, ticket_id: int) -> dict[str, Any]:
        tickets = self.ticket_desk.tickets
        if tickets is None:
            return {}
        return await tickets.get(ticket_id)

    async def reload(self, config_dir: str | None, *, asterisk_too: bool = True
                     ) -> dict[str, Any]:
        """Take a new configuration (AMI/FastAGI addresses need a restart). Without
        ``asterisk_too`` (asked from the web: nobody there regenerated Asterisk's
        configuration), a change to the queues or phones Asterisk must know is refused:
        the engine would route callers into a queue Asterisk does not have."""
        directory = Path(config_dir or self.config.directory)
        # ConfigError: the old configuration stays
        config = await asyncio.to_thread(load_config, directory)
        if not asterisk_too and (sorted(config.queues.queues) != sorted(self.config.queues.queues)
                                 or config.sip_endpoints != self.config.sip_endpoints):
            raise ConfigError([f"{directory}: the queues or phones changed, and Asterisk must "
                               "know them first: run `python run.py reload` on the server"])
        self.reconfigure(config)
        log.info("engine.config_reloaded", config=str(directory),
                 hotlines=len(config.hotlines.hotlines), queues=len(config.queues.queues))
        return {"hotlines": len(config.hotlines.hotlines), "queues": len(config.queues.queues)}

    async def open_store(self) -> Store:
        """The store, and the parts that keep their state in it."""
        self.store = store = await Store.open(
            self.paths.resolve(self.config.engine.paths.database))
        self.ticket_desk.tickets = Tickets(store)
        self.transfer_records = TransferRecords(store)
        self.users, self.audit = Users(store), AuditTrail(store)
        self.user_requests = UserRequests(store)
        # a supervisor's pause outlives the engine's process: only a supervisor ends it
        self.agent_desk.forced.update(await store.supervisor_pauses())
        self.agent_desk.on_forced = self._keep_supervisor_pause
        return store

    def _keep_supervisor_pause(self, agent: str, held: tuple[str, str] | None) -> None:
        self.wallboard.notifier.changed()  # who paused is on the board
        if self.store is not None:
            self._background.spawn(self.store.keep_supervisor_pause(
                agent, held, iso_ts(time.time())))

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
        while True:
            await asyncio.sleep(TICK_S)
            now = log_time(time.time())
            self.core.tick(now)
            self.transfer_desk.tick(now)

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
        except OSError as exc:
            await self.agi.stop()
            await self.control.stop()
            raise EngineControlError(
                f"cannot listen for the API on {self.api.host}:{self.api.port}: "
                f"{exc.strerror or exc}") from None
        try:
            await self.audiosocket.start()
        except OSError as exc:
            await self.agi.stop()
            await self.control.stop()
            await self.api.stop()
            raise EngineControlError(
                f"cannot listen for AudioSocket on {self.audiosocket.host}:"
                f"{self.audiosocket.port}: {exc.strerror or exc}") from None

    async def run(self, *, handle_signals: bool = True) -> None:
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
        store = await self.open_store()
        await self.knowledge.open(store)  # re-indexes in the background if files changed
        self._background.spawn(self.wallboard.catch_up(self.call_log))  # today so far
        await self._listen()
        log.info("engine.started", pid=os.getpid(), config=str(self.config.directory),
                 config_hash=config_hash(self.config.directory),
                 mask_numbers=self.mask_numbers)
        self.supervisor.start("ami", self.ami.run)
        self.supervisor.start("log-flusher", self._flush_log)
        self.supervisor.start("timers", self._ticks)
        asr_start = self._background.spawn(self.asr_pool.start())  # calls flow meanwhile
        try:
            await self._stop.wait()
        finally:
            log.info("engine.stopping")
            try:  # supervisors' legs hung up and their sessions audited while AMI is there
                await asyncio.wait_for(self.monitor_desk.close(), MONITOR_CLOSE_S)
            except Exception as exc:  # never stops a stop
                log.warning("monitor.close_failed", error=type(exc).__name__)
            await self.ami.stop()
            await self.supervisor.stop()
            asr_start.cancel()
            await self.agi.stop()
            await self.audiosocket.stop()
            await self.asr_pool.close()
            await self.api.stop()
            self.wallboard.notifier.close()
            await self.control.stop()
            await self._background.wait()
            for capability in self.capabilities:
                if capability.close is not None:
                    await capability.close()
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
