"""A realistic day of the 12345 centre as a call log, without Asterisk: a discrete-event
simulation of callers, queues and agents emits the AMI frames and FastAGI requests Asterisk
would send, and the engine's own decision code (:class:`~callcenter.core.CallCenterCore`,
the routing scripts) and call-log writer turn them into exactly the live format — so the
file can be replayed and reported on like a recorded one.

The day: arrivals follow an hourly curve (quiet at night, peaks 9–11 and 14–17), numbers are
mixed as the merger makes them (12345, the 42 merged numbers, the dual numbers with their
own queues overflowing to 12345, the sub-centers, some falling back), callers have a patience
(some hang up within 5 s), agents log in and out by the hour to follow the curve.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from callcenter.agi.wire import parse_request_lines
from callcenter.ami.adapter import adapt
from callcenter.ami.wire import AmiFrame
from callcenter.calllog.writer import CallLog
from callcenter.clock import log_time
from callcenter.config.loader import Config, config_hash
from callcenter.config.models import Section
from callcenter.decisions import build_decisions
from callcenter.replay.offline import ReplaySession, no_asterisk
from callcenter.routing.decide import Kind

log = structlog.get_logger("engine")

# share of the day's calls per hour (0-23): 12345 traffic curves are low at night and peak
# mid-morning and mid-afternoon
HOURLY = [0.4, 0.25, 0.2, 0.2, 0.25, 0.5, 1.2, 3.0, 7.0, 9.0, 9.2, 8.0, 5.5, 5.0, 7.2,
          8.0, 7.8, 6.5, 4.0, 3.2, 2.8, 2.2, 1.5, 0.9]
HANDLE_MEAN_S = 170.0  # talk time (lognormal)
PATIENCE_MEAN_S = 75.0  # how long callers wait before they give up (exponential)
QUICK_HANGUP = 0.04  # callers who hang up within 5 s of joining
OCCUPANCY = 0.93  # staffing target (peaks are short of agents, as in life)
SUBCENTER_ANSWERS = 0.85
GREETING_S = {"main": 6.5, "merged": 5.5, "dual": 6.0}
RING_S = 2.0


@dataclass
class _Call:
    uid: str
    channel: str
    caller: str
    dialed: str
    arrived: float
    patience: float
    queue: str = ""
    overflow_to: str = ""
    joined_at: float = 0.0
    original_position: int = 0
    state: str = "new"  # new, waiting, ringing, talking, done
    agent: str = ""
    agent_channel: str = ""
    agent_uid: str = ""


@dataclass
class _Agent:
    agent_id: str
    logged_in: bool = False
    busy: bool = False
    free_since: float = 0.0
    leaving: bool = False


@dataclass(order=True)
class _Job:
    at: float
    seq: int
    run: Callable[[], None] = field(compare=False)


class Day:
    def __init__(self, config: Config, out: Path, calls: int, seed: int, start: datetime,
                 mask: bool = True) -> None:
        self.config = config
        self.rng = random.Random(seed)
        self.calls_wanted = calls
        self.start = start.timestamp()
        self.call_log = CallLog(out, mask=mask)
        self.mask = mask
        decisions = build_decisions(config, no_asterisk, lambda: self.now)
        self.router, self.core, self.routing = (decisions.router, decisions.core,
                                                decisions.routing)
        self.now = self.start
        self.jobs: list[_Job] = []
        self.seq = itertools.count()
        self.uids = itertools.count()
        self.chans = itertools.count(1)
        self.agents = [_Agent(str(3000 + i)) for i in range(1, 301)]
        self.waiting: list[_Call] = []
        self.queues = [q for q in config.queues.queues]
        self.frames = 0
        self.placed = 0
        self.numbers = self._number_mix()

    # -- the mix of numbers dialed -----------------------------------------------------------

    def _number_mix(self) -> list[tuple[str, float]]:
        lines = self.config.hotlines.hotlines
        merged = [h.number for h in lines if h.section is Section.MERGED]
        dual = [h.number for h in lines if h.section is Section.DUAL]
        sub = [h.number for h in lines if h.section is Section.SUBCENTER]
        mix = [(self.config.hotlines.main.number, 0.58)]
        mix += [(n, 0.20 / len(merged)) for n in merged]
        mix += [(n, 0.17 / len(dual)) for n in dual]
        mix += [(n, 0.04 / len(sub)) for n in sub]
        mix.append(("95599", 0.01))  # a number that is not ours
        return mix

    def _dialed(self) -> str:
        x, total = self.rng.random(), 0.0
        for number, share in self.numbers:
            total += share
            if x < total:
                return number.replace("—", "").replace("-", "")
        return self.numbers[0][0]

    # -- plumbing ----------------------------------------------------------------------------

    def _at(self, t: float, run: Callable[[], None]) -> None:
        heapq.heappush(self.jobs, _Job(t, next(self.seq), run))

    def _uid(self) -> str:
        return f"{int(self.start)}.{next(self.uids)}"

    def _frame(self, event: str, **headers: Any) -> None:
        frame = AmiFrame({"Event": event, **{k: str(v) for k, v in headers.items()}}, {}, ())
        ts = log_time(self.now)
        self.frames += 1
        self.call_log.record_frame(frame.to_json(), ts)
        typed = adapt(frame)
        if typed is not None:
            self.core.on_event(typed, ts)

    def _chan(self, c: _Call, **more: Any) -> dict[str, Any]:
        return {"Channel": c.channel, "Uniqueid": c.uid, "Linkedid": c.uid,
                "CallerIDNum": c.caller, **more}

    def _agi(self, c: _Call, script: str, query: str) -> None:
        headers = {"agi_request": f"agi://127.0.0.1:4573/{script}?{query}",
                   "agi_network_script": f"{script}?{query}", "agi_channel": c.channel,
                   "agi_uniqueid": c.uid, "agi_callerid": c.caller, "agi_extension": "s",
                   "agi_context": "cc-inbound"}
        self.call_log.record_agi_request(headers, log_time(self.now))
        request = parse_request_lines([f"{k}: {v}" for k, v in headers.items()])
        session = ReplaySession(request, [], complete=True)
        handler = self.routing.entry if script == "entry" else self.routing.subcenter_failed
        # the script's lines carry the simulated time (live: the time they were written)
        with structlog.contextvars.bound_contextvars(call_id=c.uid, ts=log_time(self.now)):
            asyncio.get_event_loop().run_until_complete(handler(session))

    # -- the day -----------------------------------------------------------------------------

    def run(self) -> int:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            log.info("engine.started", ts=self.start, pid=0, config=str(self.config.directory),
                     config_hash=config_hash(self.config.directory), mask_numbers=self.mask,
                     generated=True)
            self._plan()
            next_tick = math.floor(self.start) + 1
            end = self.start + 86400
            while self.jobs:
                job = heapq.heappop(self.jobs)
                while next_tick <= job.at:
                    self.now = next_tick
                    self.core.tick(next_tick)
                    next_tick += 1
                self.now = max(self.now, job.at)  # frames are written in time order
                job.run()
            self.now = max(self.now, end)
            return self.frames
        finally:
            self.call_log.close()
            structlog.reset_defaults()  # the call log's file is closed
            loop.close()

    def _plan(self) -> None:
        total = sum(HOURLY)
        for hour, share in enumerate(HOURLY):
            self._at(self.start + hour * 3600, self._staffing(hour))
            count = self.calls_wanted * share / total
            per_s = count / 3600
            t = 0.0
            while True:
                t += self.rng.expovariate(per_s) if per_s > 0 else 3600
                if t >= 3600:
                    break
                self._at(self.start + hour * 3600 + t, self._arrive)

    def _staffing(self, hour: int) -> Callable[[], None]:
        return lambda: self._staff(hour)

    def _staff(self, hour: int) -> None:
        load = self.calls_wanted * HOURLY[hour] / sum(HOURLY) * HANDLE_MEAN_S * 1.15 / 3600
        wanted = min(len(self.agents), max(3, math.ceil(load / OCCUPANCY) + 2))
        on = [a for a in self.agents if a.logged_in and not a.leaving]
        for agent in self.agents:
            if len(on) >= wanted:
                break
            if not agent.logged_in:
                self._login(agent)
                on.append(agent)
        for agent in reversed(on[wanted:]):
            agent.leaving = True
            if not agent.busy:
                self._logout(agent)

    def _member(self, event: str, agent: _Agent, queue: str, **more: Any) -> None:
        self._frame(event, Queue=queue, MemberName=agent.agent_id,
                    Interface=f"PJSIP/agent-{agent.agent_id}",
                    StateInterface=f"PJSIP/agent-{agent.agent_id}", Membership="dynamic",
                    Penalty=0, CallsTaken=0, Status=1, Paused=0, PausedReason="", InCall=0,
                    **more)

    def _login(self, agent: _Agent) -> None:
        agent.logged_in, agent.leaving, agent.busy = True, False, False
        agent.free_since = self.now
        for queue in self.queues:
            self._member("QueueMemberAdded", agent, queue)
        self._offer()

    def _logout(self, agent: _Agent) -> None:
        agent.logged_in, agent.leaving = False, False
        for queue in self.queues:
            self._member("QueueMemberRemoved", agent, queue)

    def _arrive(self) -> None:
        self.placed += 1
        n = next(self.chans)
        quick = self.rng.random() < QUICK_HANGUP
        c = _Call(self._uid(), f"PJSIP/carrier-{n:08x}", f"13{self.rng.randrange(10**9):09d}",
                  self._dialed(), self.now,
                  self.rng.uniform(1, 5) if quick else self.rng.expovariate(1 / PATIENCE_MEAN_S))
        self._frame("Newchannel", **self._chan(c, ChannelState=4, Exten=c.dialed,
                                               Context="from-carrier"))
        self._frame("VarSet", **self._chan(c, Variable="CC_DIALED", Value=c.dialed))
        self.now += 0.004
        self._agi(c, "entry", f"call={c.uid}&dialed={c.dialed}")
        route = self.router.decide(c.dialed, datetime.fromtimestamp(self.now).date())
        self.now += 0.003
        self._frame("Newstate", **self._chan(c, ChannelState=6))
        if route.kind is Kind.SUBCENTER:
            self._at(self.now + 0.01, lambda: self._subcenter(c, route.destination))
            return
        c.queue, c.overflow_to = route.queue, route.overflow_queue
        greeting = GREETING_S.get(route.mode.value, 6.5)
        self._at(self.now + greeting, lambda: self._join(c, c.queue))

    def _subcenter(self, c: _Call, destination: str) -> None:
        n = next(self.chans)
        seat = f"{destination}-{n:08x}"
        seat_uid = self._uid()
        self._frame("Newchannel", Channel=seat, Uniqueid=seat_uid, Linkedid=c.uid,
                    ChannelState=0, CallerIDNum=c.caller, Exten="s", Context="cc-route-subcenter")
        self._frame("DialBegin", **self._chan(c), DestChannel=seat, DestUniqueid=seat_uid,
                    DialString=destination)
        if self.rng.random() < SUBCENTER_ANSWERS:
            talk = self.rng.lognormvariate(math.log(HANDLE_MEAN_S), 0.6)
            ring = self.rng.uniform(2, 8)
            self._at(self.now + ring, lambda: self._frame(
                "DialEnd", **self._chan(c), DestChannel=seat, DestUniqueid=seat_uid,
                DialStatus="ANSWER"))
            self._at(self.now + ring + talk, lambda: self._hangups(c, [(seat, seat_uid)]))
            return
        timeout = self.config.hotlines.defaults.subcenter.answer_timeout_s

        def no_answer() -> None:
            self._frame("DialEnd", **self._chan(c), DestChannel=seat, DestUniqueid=seat_uid,
                        DialStatus="NOANSWER")
            self._frame("Hangup", Channel=seat, Uniqueid=seat_uid, Linkedid=c.uid, Cause=19,
                        **{"Cause-txt": "No user responding"})
            self.now += 0.004
            self._agi(c, "subcenter-failed", f"call={c.uid}&dialed={c.dialed}&reason=NOANSWER")
            c.queue = self.config.hotlines.main.queue
            c.patience = max(5.0, c.patience - timeout)
            self._join(c, c.queue)

        self._at(self.now + timeout, no_answer)

    def _join(self, c: _Call, queue: str) -> None:
        if c.state == "done":
            return
        c.state, c.queue, c.joined_at = "waiting", queue, self.now
        self.waiting.append(c)
        position = sum(1 for w in self.waiting if w.queue == queue)
        c.original_position = position
        self._frame("QueueCallerJoin", **self._chan(c), Queue=queue, Position=position,
                    Count=position)
        deadline = (c.arrived + c.patience) if c.patience else self.now + 3600
        self._at(max(deadline, self.now + 0.5), lambda: self._give_up(c))
        spec = self.config.queues.queues.get(queue)
        if c.overflow_to and spec is not None and spec.overflow_after_s:
            self._at(self.now + spec.overflow_after_s, lambda: self._overflow(c, queue))
        self._offer()

    def _leave_queue(self, c: _Call, abandon: bool) -> None:
        position = [w for w in self.waiting if w.queue == c.queue].index(c) + 1
        self.waiting.remove(c)
        if abandon:
            self._frame("QueueCallerAbandon", **self._chan(c), Queue=c.queue, Position=position,
                        OriginalPosition=c.original_position,
                        HoldTime=int(self.now - c.joined_at))
        self._frame("QueueCallerLeave", **self._chan(c), Queue=c.queue, Position=position,
                    Count=sum(1 for w in self.waiting if w.queue == c.queue))

    def _overflow(self, c: _Call, queue: str) -> None:
        if c.state != "waiting" or c.queue != queue:
            return
        self._leave_queue(c, abandon=True)  # Asterisk reports the queue's timeout so
        self._frame("UserEvent", **self._chan(c), UserEvent="CcOverflow", From=queue,
                    To=c.overflow_to, QueueStatus="TIMEOUT")
        target, c.overflow_to = c.overflow_to, ""
        self._join(c, target)

    def _give_up(self, c: _Call) -> None:
        if c.state != "waiting":  # once an agent's phone rings, the caller stays
            return
        self._leave_queue(c, abandon=True)
        self._hangups(c, [])

    def _offer(self) -> None:
        """Free agents take the longest-waiting callers."""
        while True:
            callers = [w for w in self.waiting if w.state == "waiting"]
            if not callers:
                return
            free = [a for a in self.agents if a.logged_in and not a.busy and not a.leaving
                    and a.free_since <= self.now]
            if not free:
                return
            agent = min(free, key=lambda a: a.free_since)
            self._ring(min(callers, key=lambda w: w.joined_at), agent)

    def _ring(self, c: _Call, agent: _Agent) -> None:
        agent.busy = True
        c.state, c.agent = "ringing", agent.agent_id  # still in the queue while it rings
        n = next(self.chans)
        c.agent_channel, c.agent_uid = f"PJSIP/agent-{agent.agent_id}-{n:08x}", self._uid()
        interface = f"PJSIP/agent-{agent.agent_id}"
        self._frame("AgentCalled", **self._chan(c), Queue=c.queue, Interface=interface,
                    MemberName=agent.agent_id, DestChannel=c.agent_channel)
        self._frame("Newchannel", Channel=c.agent_channel, Uniqueid=c.agent_uid,
                    Linkedid=c.uid, ChannelState=0, CallerIDNum=c.caller, Exten="s",
                    Context="from-queue")
        self._at(self.now + RING_S, lambda: self._connect(c, agent))

    def _connect(self, c: _Call, agent: _Agent) -> None:
        if c.state != "ringing":  # the caller hung up while it rang
            agent.busy, agent.free_since = False, self.now
            self._frame("Hangup", Channel=c.agent_channel, Uniqueid=c.agent_uid,
                        Linkedid=c.uid, Cause=16, **{"Cause-txt": "Normal Clearing"})
            self._after_call(agent)
            return
        position = [w for w in self.waiting if w.queue == c.queue].index(c) + 1
        self.waiting.remove(c)
        c.state = "talking"
        interface = f"PJSIP/agent-{agent.agent_id}"
        self._frame("Newstate", Channel=c.agent_channel, Uniqueid=c.agent_uid, Linkedid=c.uid,
                    ChannelState=6)
        self._frame("QueueCallerLeave", **self._chan(c), Queue=c.queue, Position=position,
                    Count=sum(1 for w in self.waiting if w.queue == c.queue))
        hold = int(self.now - c.joined_at)
        self._frame("AgentConnect", **self._chan(c), Queue=c.queue, Interface=interface,
                    MemberName=agent.agent_id, DestChannel=c.agent_channel,
                    HoldTime=hold, RingTime=int(RING_S))
        talk = self.rng.lognormvariate(math.log(HANDLE_MEAN_S), 0.6)

        def done() -> None:
            self._frame("AgentComplete", **self._chan(c), Queue=c.queue, Interface=interface,
                        MemberName=agent.agent_id, HoldTime=hold, TalkTime=int(talk),
                        Reason=self.rng.choice(["caller", "agent"]))
            self._hangups(c, [(c.agent_channel, c.agent_uid)])
            agent.busy = False
            wrapup = self.config.queues.queues[c.queue].wrapup_s
            agent.free_since = self.now + wrapup
            self._at(self.now + wrapup + 0.01, lambda: self._after_call(agent))

        self._at(self.now + talk, done)

    def _after_call(self, agent: _Agent) -> None:
        if agent.leaving and not agent.busy:
            self._logout(agent)
        self._offer()

    def _hangups(self, c: _Call, others: list[tuple[str, str]]) -> None:
        c.state = "done"
        for channel, uid in others:
            self._frame("Hangup", Channel=channel, Uniqueid=uid, Linkedid=c.uid, Cause=16,
                        **{"Cause-txt": "Normal Clearing"})
        self._frame("Hangup", **self._chan(c), Cause=16, **{"Cause-txt": "Normal Clearing"})


def generate_day(config: Config, out: Path, *, calls: int = 30000, seed: int = 12345,
                 day: str | None = None, mask: bool = True) -> tuple[int, int]:
    """Write the day to ``out`` (replaced); returns (calls placed, AMI frames)."""
    start = datetime.fromisoformat(day) if day else (datetime.now() - timedelta(days=1))
    start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    out.unlink(missing_ok=True)
    generator = Day(config, out, calls, seed, start, mask)
    frames = generator.run()
    return generator.placed, frames
