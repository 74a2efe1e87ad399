"""Wallboards at scale: W wallboards and D agent desktops connected while agents pause and
unpause; the latency from the AMI event to the wallboard's ``board`` push that shows it.

    python bench/wallboard_fanout.py [--levels 1:0,1:10,50:300] [--rates 1,8] [--seconds 30]
                                     [--agents 10] [--idle-s 15] [--shared-token]

Target (wallboard issue #17): the update latency at 50 wallboards and 300 desktops. The
instance, its ports, its temporary configuration (agents 6000…) and its softphones are
``desktop_fanout``'s (imported, not copied): run one of the two at a time.

A wallboard is a signed-in supervisor (role supervisor, its own user and API token; with
``--shared-token`` all wallboards use the first one's) holding ``GET /api/wallboard/events``
open, no browser. A desktop is ``desktop_fanout``'s: an agent user holding
``GET /api/agents/{id}/events`` open. All clients are aiohttp clients in this process.

What changes the board: ``--agents`` agents (10; their pyVoIP softphones registered in a
child process and logged in, as the engine requires) are paused and unpaused in turn
through the engine's command layer (``agent.pause`` / ``agent.unpause`` on its control
socket): each command is a ``QueuePause`` action, and Asterisk's ``QueueMemberPause``
event changes the agent's state, its ``since`` on the board and its desktop. Two phases per
level (``--rates``, changes per second): 1/s — each change alone, pushed at once by the
notifier (its throttle lets the first change after a quiet 0.5 s through at once); 8/s —
more than the notifier's 2 pushes/s, so changes are coalesced and wait for the throttle.
Each phase lasts ``--seconds`` (rounded up so that every agent ends unpaused).

Measured, per (wallboard, change) pair:

- AMI → board: receive time here − the agent's ``since`` on the board, which is the time
  the engine stamped on the AMI frame as it came in (``AgentDesk.since``, whole ms; the
  ``agent.pause`` reply carries the same value, which is how a change is recognised). It
  splits into AMI → board computed (the board's ``now``: the throttle's wait, the loop) and
  computed → received (serialising and writing to each stream, the client reading it);
- command sent → board: from the moment this bench sent the command (control socket,
  AMI action, Asterisk, event back) — for reference;
- per push: how many of the changes it showed first (coalesced: the changes beyond the
  first in one push), changes a wallboard never saw because a later change of the same agent
  came in the same push (superseded), or never (missing);
- desktops: the agent stream's ``state`` event, receive time − its ``at`` (the same AMI
  time), for the paused agents' desktops that are connected (the other desktops are idle
  load: first picture, keep-alives);
- the engine's CPU (utime + stime, /proc/PID) connecting, idle (``--idle-s``) and per phase;
  its RSS after the level; this process's CPU (the clients read every board: 50 wallboards ×
  the whole board per push).

Receive times are taken when an event's last byte has been read, before it is parsed (the
boards are parsed by one task after the readers). Same machine clock as the engine's.

Bounded: about 2 minutes per level plus a minute to set up. Everything it starts is stopped
at the end; the temporary configuration and database are removed. Exit status 0 when every
change reached every wallboard, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.desktop_fanout import (  # noqa: E402
    FIRST_AGENT,
    INSTANCE,
    Desktop,
    Measured,
    Phones,
    cli,
    instance_paths,
    make_config,
    make_users,
    pct,
    ports_taken,
    proc_cpu,
    proc_rss_mb,
)
from callcenter.config.loader import load_config  # noqa: E402
from callcenter.control.client import query  # noqa: E402
from callcenter.errors import EngineControlError  # noqa: E402
from callcenter.paths import Paths  # noqa: E402
from callcenter.wallboard.notifier import MIN_INTERVAL_S  # noqa: E402

PAUSE_REASON = "小休"
MAX_EVENT = 1 << 22  # bytes of one server-sent event (a board is tens of KB)
SETTLE_S = 2.0  # after a phase: the last push (≤ 0.5 s) and its fan-out arrive
CONNECT_TIMEOUT_S = 180.0


# -- the driver: real AMI events through the command layer ---------------------------------


@dataclass
class Change:
    phase: str
    agent: str
    paused: bool  # what the command asked for
    sent: float  # time.time() as the command left
    since: float | None = None  # the engine's AMI time of the state change (from the reply)
    error: str = ""


async def toggle(socket_path: Path, change: Change) -> None:
    cmd = "agent.pause" if change.paused else "agent.unpause"
    args = {"reason": PAUSE_REASON} if change.paused else {}
    try:
        shown = await asyncio.to_thread(query, socket_path, cmd, timeout=15,
                                        agent=change.agent, **args)
    except EngineControlError as exc:
        change.error = str(exc)
        return
    want = "paused" if change.paused else "available"
    since = shown.get("since")
    if shown.get("state") != want or since is None or since < change.sent - 0.002:
        change.error = f"{cmd} answered state {shown.get('state')!r}, since {since!r}"
        return
    change.since = float(since)


async def drive(socket_path: Path, agents: list[str], phase: str, rate: float,
                count: int) -> list[Change]:
    """``count`` changes at ``rate`` per second, round the agents (pause, then unpause)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    paused = dict.fromkeys(agents, False)
    changes: list[Change] = []
    sending: list[asyncio.Task[None]] = []
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        agent = agents[i % len(agents)]
        paused[agent] = not paused[agent]
        change = Change(phase, agent, paused[agent], time.time())
        changes.append(change)
        sending.append(asyncio.create_task(toggle(socket_path, change)))
    await asyncio.gather(*sending)
    return changes


# -- the wallboards ------------------------------------------------------------------------


@dataclass
class Push:
    """A ``board`` a wallboard received after its first."""

    wallboard: int
    received: float
    computed: float  # the board's "now"
    shown: list[tuple[str, float]]  # (agent, since) of the driven agents' rows that changed
    size: int


@dataclass
class Boards:
    """What the wallboards received; boards are parsed by one task, after the readers."""

    watched: frozenset[str]
    inbox: asyncio.Queue[tuple[int, bytes, float]] = field(default_factory=asyncio.Queue)
    last: dict[int, dict[str, float | None]] = field(default_factory=dict)
    pushes: list[Push] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    keepalives: int = 0

    async def analyse(self) -> None:
        while True:
            self.take(*await self.inbox.get())

    def drain(self) -> None:
        while not self.inbox.empty():
            self.take(*self.inbox.get_nowait())

    def take(self, index: int, raw: bytes, received: float) -> None:
        kind, data = "", []
        for line in raw.decode().split("\n"):
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if not data:
            self.keepalives += 1
            return
        if kind != "board":
            self.errors.append(f"unexpected event {kind!r}")
            return
        board = json.loads("\n".join(data))
        rows = {str(a["agent"]): a.get("since") for a in board["agents"]
                if a["agent"] in self.watched}
        before = self.last.get(index)
        self.last[index] = rows
        if before is None:
            return  # the first picture
        shown = [(agent, float(since)) for agent, since in rows.items()
                 if since is not None and since != before.get(agent)]
        self.pushes.append(Push(index, received, float(board["now"]), shown, len(raw)))


async def wallboard(session: aiohttp.ClientSession, api: str, token: str, index: int,
                    boards: Boards, on_ready: Callable[[], None]) -> None:
    ready = False
    try:
        async with session.get(f"{api}/api/wallboard/events",
                               headers={"Authorization": f"Bearer {token}"}) as response:
            if response.status != 200:
                boards.errors.append(f"wallboard stream {response.status}: "
                                     f"{(await response.text())[:200]}")
                return
            while True:
                raw = await response.content.readuntil(b"\n\n", max_size=MAX_EVENT)
                if not raw.endswith(b"\n\n"):
                    boards.errors.append("wallboard stream ended")
                    return
                boards.inbox.put_nowait((index, raw, time.time()))
                if not ready:
                    ready = True
                    on_ready()
    except aiohttp.ClientError as exc:
        boards.errors.append(f"wallboard stream: {type(exc).__name__}")
    finally:
        if not ready:
            on_ready()


# -- one level -----------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    rate: float
    changes: list[Change]
    start: float
    end: float  # the last command answered, plus SETTLE_S
    cpu_s: float
    wall_s: float  # the phase, SETTLE_S included (the CPU's window)
    drive_s: float  # first command sent to last answered


@dataclass
class Level:
    wallboards: int
    desktops: int
    boards: Boards
    measured: Measured
    phases: list[Phase] = field(default_factory=list)
    connect_s: float = 0.0
    connect_cpu_s: float = 0.0
    connect_rss_mb: float = 0.0
    idle_cpu_s: float = 0.0
    idle_wall_s: float = 0.0
    rss_mb: float = 0.0
    client_cpu_s: float = 0.0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Setup:
    api: str
    socket_path: Path
    engine_pid: int
    agent_tokens: dict[str, str]  # agent → token, agents in order
    wall_tokens: list[str]
    driven: list[str]  # the agents paused and unpaused
    rates: list[float]
    seconds: float
    idle_s: float


def changes_for(rate: float, seconds: float, agents: int) -> int:
    """At least ``rate × seconds``, a whole number of pause–unpause rounds of the agents."""
    rounds = max(1, -(-round(rate * seconds) // (2 * agents)))
    return rounds * 2 * agents


async def run_level(wallboards: int, desktops: int, setup: Setup) -> Level:
    pid = setup.engine_pid
    level = Level(wallboards, desktops, Boards(frozenset(setup.driven)), Measured())
    tasks: list[asyncio.Task[None]] = []
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=None)
    analyser = asyncio.create_task(level.boards.analyse())
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        ready, left = asyncio.Event(), wallboards + desktops

        def on_ready() -> None:
            nonlocal left
            left -= 1
            if left == 0:
                ready.set()

        cpu0, rss0, t0 = proc_cpu(pid), proc_rss_mb(pid), time.monotonic()
        for agent in list(setup.agent_tokens)[:desktops]:
            tasks.append(asyncio.create_task(Desktop(
                session, setup.api, agent, setup.agent_tokens[agent], level.measured,
                on_ready).run()))
        for i in range(wallboards):
            token = setup.wall_tokens[i % len(setup.wall_tokens)]
            tasks.append(asyncio.create_task(wallboard(session, setup.api, token, i,
                                                       level.boards, on_ready)))
        await asyncio.wait_for(ready.wait(), CONNECT_TIMEOUT_S)
        level.connect_s = time.monotonic() - t0
        errors = level.measured.errors + level.boards.errors
        if errors:
            raise RuntimeError(f"clients refused: {sorted(set(errors))}")
        await asyncio.sleep(2)  # the connections' work done (audit rows)
        level.connect_cpu_s = proc_cpu(pid) - cpu0
        level.connect_rss_mb = proc_rss_mb(pid) - rss0
        idle0, t1 = proc_cpu(pid), time.monotonic()
        await asyncio.sleep(setup.idle_s)  # keep-alives only
        level.idle_cpu_s, level.idle_wall_s = proc_cpu(pid) - idle0, time.monotonic() - t1
        client0 = time.process_time()
        for rate in setup.rates:
            name = f"{rate:g}/s"
            cpu1, t2, start = proc_cpu(pid), time.monotonic(), time.time()
            changes = await drive(setup.socket_path, setup.driven, name, rate,
                                  changes_for(rate, setup.seconds, len(setup.driven)))
            drive_s = time.monotonic() - t2
            await asyncio.sleep(SETTLE_S)
            level.phases.append(Phase(name, rate, changes, start, time.time(),
                                      proc_cpu(pid) - cpu1, time.monotonic() - t2, drive_s))
        level.client_cpu_s = time.process_time() - client0
        level.rss_mb = proc_rss_mb(pid)
        level.load = os.getloadavg()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    analyser.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await analyser
    level.boards.drain()
    return level


# -- what a phase measured -----------------------------------------------------------------


@dataclass
class Figures:
    ami_ms: list[float] = field(default_factory=list)  # AMI → board received
    computed_ms: list[float] = field(default_factory=list)  # AMI → board computed
    fanout_ms: list[float] = field(default_factory=list)  # computed → received
    sent_ms: list[float] = field(default_factory=list)  # command sent → board received
    desktop_ms: list[float] = field(default_factory=list)  # AMI → desktop state event
    changes: int = 0  # changes the engine confirmed
    failed: int = 0  # commands that failed (no change to look for)
    expected: int = 0  # wallboards × changes
    pushes: int = 0  # pushes that showed at least one of the phase's changes, all wallboards
    pushes_alone: int = 0  # … exactly one
    coalesced: int = 0  # changes beyond the first in a push
    superseded: int = 0
    missing: int = 0
    desktops_expected: int = 0
    board_bytes: int = 0


def figures(level: Level, phase: Phase, connected_agents: set[str]) -> Figures:
    f = Figures()
    confirmed = {(c.agent, c.since): c for c in phase.changes if c.since is not None}
    f.changes, f.failed = len(confirmed), len(phase.changes) - len(confirmed)
    f.expected = level.wallboards * f.changes
    seen: dict[int, set[tuple[str, float]]] = {}
    for push in level.boards.pushes:
        mine = [confirmed[key] for key in push.shown if key in confirmed]
        if not mine:
            continue
        f.pushes += 1
        f.pushes_alone += len(mine) == 1
        f.coalesced += len(mine) - 1
        f.board_bytes = max(f.board_bytes, push.size)
        for change in mine:
            assert change.since is not None
            seen.setdefault(push.wallboard, set()).add((change.agent, change.since))
            f.ami_ms.append(1000 * (push.received - change.since))
            f.computed_ms.append(1000 * (push.computed - change.since))
            f.fanout_ms.append(1000 * (push.received - push.computed))
            f.sent_ms.append(1000 * (push.received - change.sent))
    for index in range(level.wallboards):
        got = seen.get(index, set())
        for (agent, since) in confirmed:
            if (agent, since) in got:
                continue
            if any(a == agent and s > since for a, s in got):
                f.superseded += 1
            else:
                f.missing += 1
    f.desktop_ms = [ms for at, ms in level.measured.timeline if phase.start <= at <= phase.end]
    f.desktops_expected = sum(1 for c in confirmed.values() if c.agent in connected_agents)
    return f


# -- report --------------------------------------------------------------------------------


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"    {name:34} {0:6d}"
    return (f"    {name:34} {len(values):6d} {pct(values, 0.5):8.1f} {pct(values, 0.95):8.1f} "
            f"{max(values):8.1f}")


def ratio(top: list[float], base: list[float]) -> str:
    if not top or not base:
        return "—"
    return " / ".join(f"×{pct(top, q) / max(pct(base, q), 1e-9):.2f}" for q in (0.5, 0.95)) \
        + f" / ×{max(top) / max(max(base), 1e-9):.2f}"


def report(levels: list[Level], agent_order: list[str]) -> bool:
    complete = True
    table: dict[tuple[int, str], Figures] = {}
    for lv in levels:
        connected = set(agent_order[:lv.desktops])
        print(f"\n== {lv.wallboards} wallboards, {lv.desktops} desktops (load average "
              f"{lv.load[0]:.2f} {lv.load[1]:.2f} {lv.load[2]:.2f} at the end)")
        print(f"  connecting: {lv.connect_s:.1f} s, engine CPU {lv.connect_cpu_s:.2f} s, RSS "
              f"{lv.connect_rss_mb:+.1f} MB; idle {lv.idle_wall_s:.0f} s: engine CPU "
              f"{lv.idle_cpu_s:.2f} s ({100 * lv.idle_cpu_s / max(lv.idle_wall_s, 1e-9):.2f} % "
              f"of a core); RSS after the level {lv.rss_mb:.1f} MB; this process's CPU over "
              f"the phases {lv.client_cpu_s:.2f} s")
        for phase in lv.phases:
            f = figures(lv, phase, connected)
            table[(lv.wallboards, phase.name)] = f
            complete &= not f.missing and not f.failed and not f.superseded
            print(f"  phase {phase.name}: {len(phase.changes)} changes ({f.failed} commands "
                  f"failed) in {phase.wall_s:.0f} s; engine CPU {phase.cpu_s:.2f} s "
                  f"({100 * phase.cpu_s / max(phase.wall_s, 1e-9):.1f} % of a core); board "
                  f"{f.board_bytes / 1024:.0f} KB")
            print(f"    {'latency, ms':34} {'count':>6} {'p50':>8} {'p95':>8} {'max':>8}")
            print(line("wallboards: AMI → board received", f.ami_ms))
            print(line("  AMI → board computed", f.computed_ms))
            print(line("  computed → received", f.fanout_ms))
            print(line("  command sent → board received", f.sent_ms))
            print(line("desktops: AMI → state event", f.desktop_ms)
                  + f"   (of {f.desktops_expected} expected)")
            per_board = f.pushes / max(lv.wallboards, 1)
            print(f"    pushes showing these changes: {per_board:.1f} per wallboard "
                  f"({per_board / max(phase.drive_s, 1e-9):.2f}/s while driven), "
                  f"{f.pushes_alone / max(f.pushes, 1):.0%} with one change; changes coalesced "
                  f"(beyond the first in a push): {f.coalesced} of {f.expected - f.missing} "
                  f"shown ({f.coalesced / max(f.expected - f.missing, 1):.0%}); superseded "
                  f"before shown: {f.superseded}; never shown: {f.missing}")
        other = sum(1 for push in lv.boards.pushes if not push.shown)
        print(f"  pushes without a driven change: {other} (all wallboards); keep-alives "
              f"{lv.boards.keepalives}")
    base, top = levels[0], max(levels, key=lambda lv: (lv.wallboards, lv.desktops))
    desk_base = next((lv for lv in levels if lv.desktops), None)
    if top is not base:
        print(f"\n== ratio {top.wallboards} wallboards + {top.desktops} desktops to the "
              f"baseline (p50 / p95 / max)")
        for phase in top.phases:
            t, b = table[(top.wallboards, phase.name)], table[(base.wallboards, phase.name)]
            print(f"  {phase.name:6} wallboards AMI → board: {ratio(t.ami_ms, b.ami_ms)} "
                  f"(baseline {base.wallboards} wallboard, {base.desktops} desktops)")
            if desk_base is not None and desk_base is not top:
                d = table[(desk_base.wallboards, phase.name)]
                print(f"  {phase.name:6} desktops AMI → state:   "
                      f"{ratio(t.desktop_ms, d.desktop_ms)} (baseline "
                      f"{desk_base.wallboards} wallboard, {desk_base.desktops} desktops)")
            print(f"  {phase.name:6} engine CPU: {t_cpu(top, phase.name):.2f} s vs "
                  f"{t_cpu(base, phase.name):.2f} s")
    print(f"\nverdict: {'every' if complete else 'NOT every'} confirmed change reached every "
          "wallboard")
    return complete


def t_cpu(level: Level, phase: str) -> float:
    return next(p.cpu_s for p in level.phases if p.name == phase)


# -- main ----------------------------------------------------------------------------------


def make_supervisors(paths: Paths, count: int) -> list[str]:
    """``count`` users (role supervisor), through the engine's control socket; their tokens."""
    def add(index: int) -> str:
        made = query(paths.control_socket, "user.add", timeout=120,
                     name=f"fanout.wall{index + 1}", role="supervisor")
        return str(made["token"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(add, range(count)))


def parse_levels(text: str) -> list[tuple[int, int]]:
    levels = []
    for item in text.split(","):
        walls, _, desks = item.partition(":")
        levels.append((int(walls), int(desks or 0)))
    return levels


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--levels", default="1:0,1:10,50:300",
                    help="wallboards:desktops per level, the baseline first")
    ap.add_argument("--rates", default="1,8", help="changes per second, one phase each")
    ap.add_argument("--seconds", type=float, default=30, help="each phase at least this long")
    ap.add_argument("--agents", type=int, default=10, help="agents paused and unpaused")
    ap.add_argument("--idle-s", type=float, default=15,
                    help="engine CPU measured this long with the clients connected, no changes")
    ap.add_argument("--shared-token", action="store_true",
                    help="all wallboards sign in as one supervisor (default: one each)")
    args = ap.parse_args()
    levels = parse_levels(args.levels)
    rates = [float(x) for x in args.rates.split(",")]
    if not 1 <= args.agents <= 20:
        raise SystemExit("--agents: 1 to 20 softphones")
    agents_needed = max([args.agents, *(d for _, d in levels)])
    walls_needed = 1 if args.shared_token else max(w for w, _ in levels)
    signing = ("with one shared supervisor token" if args.shared_token
               else "each as its own supervisor")
    paths = instance_paths()
    env = {**os.environ, **paths.environment()}
    print(subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    with tempfile.TemporaryDirectory(prefix="cc-wallboard-") as tmp_name:
        config_dir = make_config(Path(tmp_name), agents_needed)
        config = load_config(config_dir)
        env["CALLCENTER_LAB_SIP"] = f"127.0.0.1:{config.engine.asterisk.sip_port}"
        cli(config_dir, env, "down")  # this instance's own, if an earlier run left it up
        taken = ports_taken(config)
        if taken:
            raise SystemExit(f"ports {', '.join(taken)} on 127.0.0.1 are held by something "
                             "else: nothing was started")
        driven = [str(FIRST_AGENT + i) for i in range(args.agents)]
        print(f"{agents_needed} agents in a temporary configuration, instance '{INSTANCE}' "
              f"(SIP {config.engine.asterisk.sip_port}, API {config.engine.api.port}); "
              f"{args.agents} paused and unpaused in turn; phases {args.rates} changes/s; "
              f"levels (wallboards:desktops) {args.levels}; wallboards sign in {signing}; "
              f"the notifier pushes at most every {MIN_INTERVAL_S} s", flush=True)
        phones: Phones | None = None
        done: list[Level] = []
        try:
            print(cli(config_dir, env, "up"), flush=True)
            t = time.monotonic()
            agent_tokens = make_users(paths, [str(FIRST_AGENT + i)
                                              for i in range(agents_needed)])
            wall_tokens = make_supervisors(paths, walls_needed)
            print(f"{len(agent_tokens)} agent users, {len(wall_tokens)} supervisor users added "
                  f"in {time.monotonic() - t:.0f} s", flush=True)
            phones = Phones(config_dir, args.agents, env, paths.log / "phones.out")
            phones.wait_ready(60)
            for agent in driven:
                query(paths.control_socket, "agent.login", timeout=15, agent=agent)
            print(f"{args.agents} softphones registered, agents logged in", flush=True)
            setup = Setup(f"http://127.0.0.1:{config.engine.api.port}", paths.control_socket,
                          int(paths.engine_pid.read_text().strip()), agent_tokens, wall_tokens,
                          driven, rates, args.seconds, args.idle_s)
            for walls, desks in levels:
                print(f"level {walls} wallboards, {desks} desktops …", flush=True)
                level = asyncio.run(run_level(walls, desks, setup))
                done.append(level)
                print(f"  {len(level.boards.pushes)} pushes received, engine CPU "
                      f"{sum(p.cpu_s for p in level.phases):.2f} s over the phases, RSS "
                      f"{level.rss_mb:.0f} MB", flush=True)
        finally:
            for agent in driven:
                with contextlib.suppress(EngineControlError):
                    query(paths.control_socket, "agent.logout", timeout=15, agent=agent)
            if phones is not None:
                phones.stop()
            print(cli(config_dir, env, "down"), flush=True)
    print(subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    return 0 if done and report(done, [str(FIRST_AGENT + i) for i in range(agents_needed)]) \
        else 1


if __name__ == "__main__":
    sys.exit(main())
