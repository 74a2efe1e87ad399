"""Agent desktops at scale: N desktops' event streams held open while real calls flow.

N desktops are connected at once (their server-sent event streams, no browser) while calls
flow through Asterisk. Prints the latency from the AMI event to the desktop's update (p50 /
p95 / max) and the engine's CPU and memory per connected desktop.
Target (agent desktop issue): p95 ≤ 100 ms with 300 desktops on this machine.

    python bench/desktop_fanout.py [--levels 0,300] [--seconds 60] [--active 15]
                                   [--busy 0.8] [--idle-s 30] [--no-speech] [--storm S]

What a desktop is: one signed-in user (role agent, own API token, ``Authorization: Bearer``)
holding ``GET /api/agents/{id}/events`` open, and — while its agent is on a call — that
call's ``GET /api/tickets/{id}/events`` (opened when the agent stream says ``ticket``, as
the page does). 300 desktops need 300 agents: the bench writes a temporary configuration
(the shipped one, agents.yaml replaced by agents 6000…6299 on q12345) and runs its own
instance (``fanout``: runtime files in var/fanout/, Asterisk's own configuration and state
directories in the shared chroot, its own ports — never the default's or the test suite's).

Calls flow for real: ``--active`` agents (default 15) answer on pyVoIP softphones (in a
child process, so their audio threads do not share this process's GIL with the desktop
clients) and are logged in; sipp callers dial 12345 at a steady rate that keeps them about
``--busy`` occupied, the caller speaking (Chinese: lines of the shipped transcripts,
synthesized with espeak-ng, 60 s) unless ``--no-speech``: the engine forks and transcribes
as in production. The other desktops are connected and
idle, as most are at any moment: their agents are logged out, and they get what is published
for them (their first picture, keep-alives). All desktops are aiohttp clients in this one
process (asyncio).

For each level of desktops (default 0, then 300: the baseline first, same calls, same
numbers) the bench connects the desktops (and waits until each has its first picture), then
places the calls and waits for them to end and the agents' wrap-up to pass. It measures:

- latency, per event received, = receive time here − the event's ``at`` (the time the
  engine received the AMI event; same machine clock): the agent stream's ``state``,
  ``offer``, ``answered``, ``missed``, ``ended``; and the ticket stream's ``closed`` less
  the engine's deliberate wait before closing (CLOSE_AFTER_S: the last words come after the
  hang-up). Also ``answered → ticket shown``: from the ``at`` of ``answered`` to the first
  event of the call's ticket stream (the desktop opens it on the ``ticket`` event: engine
  opens the ticket, desktop connects, engine reads and audits it) — reported apart, not in
  the target. Transcript events (``partial``, ``utterance``, ``prefill``) carry no AMI time:
  counted only;
- the engine process's CPU time (utime + stime, /proc/PID): for ``--idle-s`` (30) seconds
  with the desktops connected and no calls (keep-alives only: the clean per-desktop figure),
  and over the calls window (speech recognition makes this one vary by a few % of a core
  from run to run: a per-desktop cost below that is lost in it); the difference to the
  baseline per connected desktop; what connecting cost (CPU, and RSS just after: each
  stream's API token is checked with scrypt, once per token while the engine runs); the
  engine's RSS at the end of the calls window.

``--storm S``: the active agents' desktops connect before the calls, the idle ones all at
once S seconds into them (a shift change, an engine restart): the latency of the events
received while they connect is printed apart.

It runs its own Asterisk in the shared chroot (``CALLCENTER_CHROOT`` names another: e.g. a
copy, ``cp -a var/asterisk/root var/fanout/asterisk/root``, then ``CALLCENTER_CHROOT=… run.py
asterisk install`` to give its 'asterisk' user an id of its own). Exit status 0 when the
target is met, 1 otherwise.

Bounded: about (seconds + 70) s per level plus about a minute to set up (5 minutes with
the defaults). Everything it starts (Asterisk and engine of its instance, softphones, sipp,
the clients) is stopped at the end; the temporary configuration, call log and database are
removed. Callers' numbers are made up and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402

from callcenter.config.loader import Config, agent_endpoint, load_config  # noqa: E402
from callcenter.control.client import query  # noqa: E402
from callcenter.errors import EngineControlError  # noqa: E402
from callcenter.paths import PROJECT_ROOT, Paths  # noqa: E402
from callcenter.tickets.desk import CLOSE_AFTER_S  # noqa: E402
from lab.sipp import CallSpec, place_calls  # noqa: E402

TARGET_P95_MS = 100.0
INSTANCE = "fanout"
FIRST_AGENT = 6000
# (engine.yaml section, key, value): this bench's own ports, beside the default instance's
# (5060, 5038, …) and the test suite's (5160, 5138, 8188, 4673, 8190, 4674, 11000-11999)
PORTS = (("asterisk", "ami_port", 5238), ("asterisk", "sip_port", 5260),
         ("asterisk", "http_port", 8288), ("asterisk", "rtp_port_start", 12000),
         ("asterisk", "rtp_port_end", 12999), ("agi", "port", 4773), ("api", "port", 8290),
         ("asr", "audiosocket_port", 4774))
PHONE_SIP_PORT = 5660  # + i
PHONE_RTP_PORT = 34000  # + 50 i
SIPP_PORT = 5650
SIPP_MEDIA_PORT = 24000
TALK_S = (6.0, 14.0)
ANSWER_DELAY_S = (0.5, 2.0)
GREETING_S = 6.5  # the 12345 greeting before the queue
PATIENCE_S = 30.0  # a caller not answered by then hangs up
AGENT_KINDS = ("state", "offer", "answered", "missed", "ended")
TARGET_KINDS = (*AGENT_KINDS, "ticket closed")  # the events with an AMI time


# -- set-up ------------------------------------------------------------------------------


def make_config(tmp: Path, agents: int) -> Path:
    config_dir = tmp / "config"
    shutil.copytree(ROOT / "config", config_dir)
    shutil.copytree(ROOT / "ivr_prompts", tmp / "ivr_prompts",
                    ignore=shutil.ignore_patterns("build"))
    yaml = YAML()
    data = yaml.load(config_dir / "agents.yaml")
    data["agents"] = {
        str(FIRST_AGENT + i): {
            "name": f"压测坐席{i + 1}", "skills": {"q12345": 3},
            "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                        "from": "00:00", "to": "24:00"}]}
        for i in range(agents)}
    yaml.dump(data, config_dir / "agents.yaml")
    engine = yaml.load(config_dir / "engine.yaml")
    for section, key, value in PORTS:
        engine[section][key] = value
    engine["paths"]["call_log"] = str(tmp / "calls.jsonl")
    engine["paths"]["database"] = str(tmp / "fanout.sqlite3")
    yaml.dump(engine, config_dir / "engine.yaml")
    return config_dir


def instance_paths() -> Paths:
    """This bench's instance, in the chroot the environment names (default var/asterisk/root)."""
    return Paths(PROJECT_ROOT, PROJECT_ROOT / "var" / INSTANCE, INSTANCE,
                 Paths.default().chroot)


def caller_voice(tmp: Path, seconds: float = 60.0) -> Path:
    """An RTP pcap of a caller speaking Chinese (the shipped transcripts' first lines, espeak,
    1 s apart) for ``seconds``: what sipp plays into each call from Asterisk's answer on."""
    from callcenter.audio import read_pcm
    from callcenter.prefill.evaluate import load_cases
    from callcenter.prompts import synthesize, to_pinyin
    from lab.rtp import write_rtp_pcap

    pause = b"\0" * 16000
    pcm = b""
    for case in load_cases(ROOT / "tests/data/prefill/transcripts.yaml"):
        for index, line in enumerate(case.lines):
            wav = tmp / f"voice-{case.id}-{index}.wav"
            synthesize(to_pinyin(line.replace(" ", "")), wav)
            pcm += read_pcm(wav) + pause
            if len(pcm) >= 16000 * seconds:
                target = tmp / "voice.pcap"
                write_rtp_pcap(pcm[:int(16000 * seconds)], target)
                return target
    raise RuntimeError("the transcripts are too short for a caller's voice")


def ports_taken(config: Config) -> list[str]:
    e = config.engine
    wanted = [(socket.SOCK_STREAM, e.asterisk.ami_port), (socket.SOCK_DGRAM, e.asterisk.sip_port),
              (socket.SOCK_STREAM, e.asterisk.http_port), (socket.SOCK_STREAM, e.agi.port),
              (socket.SOCK_STREAM, e.api.port), (socket.SOCK_STREAM, e.asr.audiosocket_port)]
    taken = []
    for kind, port in wanted:
        with socket.socket(socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:  # as the servers do: a TIME_WAIT left is no owner
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append(f"{'tcp' if kind == socket.SOCK_STREAM else 'udp'} {port}")
    return taken


def cli(config_dir: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(config_dir),
                           *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"run.py {' '.join(args)} failed: "
                           f"{done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the softphones (child process) --------------------------------------------------------


def phones_child(config_dir: Path, active: int) -> int:
    """Register ``active`` agents' softphones, say "ready", answer calls until standard input
    closes, then say how many calls they were offered and answered (JSON)."""
    import random

    from callcenter.secrets import load_secrets
    from lab.softphone import Softphone, SoftphoneSettings

    config = load_config(config_dir)
    paths = Paths.default()
    secrets = load_secrets(paths.secrets, config.sip_endpoints)
    rng = random.Random(3)
    phones = []
    for i in range(active):
        endpoint = agent_endpoint(str(FIRST_AGENT + i))
        phones.append(Softphone(SoftphoneSettings(
            endpoint, secrets.sip_passwords[endpoint], sip_port=PHONE_SIP_PORT + i,
            rtp_low=PHONE_RTP_PORT + i * 50, rtp_high=PHONE_RTP_PORT + i * 50 + 49,
            answer_delay_s=rng.uniform(*ANSWER_DELAY_S), talk_s=rng.uniform(*TALK_S))))
    with ThreadPoolExecutor(len(phones) or 1) as pool:
        list(pool.map(lambda p: p.start(), phones))
    print("ready", flush=True)
    try:
        sys.stdin.read()
    finally:
        with ThreadPoolExecutor(len(phones) or 1) as pool:
            list(pool.map(lambda p: p.stop(), phones))
    print(json.dumps({"offered": sum(p.offered for p in phones),
                      "answered": sum(len(p.answered) for p in phones)}), flush=True)
    return 0


class Phones:
    def __init__(self, config_dir: Path, active: int, env: dict[str, str], log: Path) -> None:
        self._err = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--phones-child", str(config_dir),
             "--active", str(active)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._err, text=True, cwd=ROOT, env=env)
        self.log = log

    def wait_ready(self, timeout_s: float) -> None:
        stdout = self.process.stdout
        assert stdout is not None

        def ready() -> bool:
            return any(line.strip() == "ready" for line in iter(stdout.readline, ""))

        with ThreadPoolExecutor(1) as pool:
            if not pool.submit(ready).result(timeout_s):
                raise RuntimeError(f"the softphones did not register: see {self.log}")

    def stop(self) -> dict[str, int]:
        try:
            out, _ = self.process.communicate("", timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            return {}
        finally:
            self._err.close()
        lines = [line for line in out.splitlines() if line.startswith("{")]
        return dict(json.loads(lines[-1])) if lines else {}


# -- the desktops --------------------------------------------------------------------------


def at_time(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


async def sse(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, dict[str, Any],
                                                                     float]]:
    """(event, data, receive time) of a server-sent event stream."""
    kind, data = "", []
    async for raw in response.content:
        line = raw.decode().rstrip("\r\n")
        if line:
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
            continue
        if data:
            yield kind or "message", json.loads("\n".join(data)), time.time()
        kind, data = "", []


@dataclass
class Measured:
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (received, ms)

    def add(self, kind: str, ms: float | None = None) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if ms is not None:
            self.latency_ms.setdefault(kind, []).append(ms)
            if kind in TARGET_KINDS:
                self.timeline.append((time.time(), ms))


class Desktop:
    """One signed-in agent's screen: the agent stream, and the ticket stream of its call."""

    def __init__(self, session: aiohttp.ClientSession, api: str, agent: str, token: str,
                 measured: Measured, on_ready: Callable[[], None]) -> None:
        self.session = session
        self.api = api
        self.agent = agent
        self.headers = {"Authorization": f"Bearer {token}"}
        self.measured = measured
        self.on_ready = on_ready
        self.answered_at: dict[str, float] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.ready = False

    async def run(self) -> None:
        try:
            async with self.session.get(f"{self.api}/api/agents/{self.agent}/events",
                                        headers=self.headers) as response:
                if response.status != 200:
                    self.measured.errors.append(f"agent stream {response.status}")
                    return
                async for kind, data, received in sse(response):
                    self.on_event(kind, data, received)
        except aiohttp.ClientError as exc:
            self.measured.errors.append(f"agent stream: {type(exc).__name__}")
        finally:
            if not self.ready:  # refused or gone: the level does not wait for it
                self.ready = True
                self.on_ready()
            for task in self.tasks:
                task.cancel()

    def on_event(self, kind: str, data: dict[str, Any], received: float) -> None:
        if kind == "agent":
            if not self.ready:
                self.ready = True
                self.on_ready()
            return
        if kind in AGENT_KINDS and "at" in data:
            self.measured.add(kind, 1000 * (received - at_time(data["at"])))
            if kind == "answered" and data.get("call", {}).get("call_id"):
                self.answered_at[data["call"]["call_id"]] = at_time(data["at"])
        elif kind == "ticket":
            self.measured.add(kind)
            task = asyncio.create_task(self.ticket(int(data["ticket"]),
                                                   self.answered_at.pop(data["call_id"], None)))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        else:
            self.measured.add(kind)

    async def ticket(self, ticket_id: int, answered_at: float | None) -> None:
        try:
            async with self.session.get(f"{self.api}/api/tickets/{ticket_id}/events",
                                        headers=self.headers) as response:
                if response.status != 200:
                    self.measured.errors.append(f"ticket stream {response.status}")
                    return
                closed_already = False
                async for kind, data, received in sse(response):
                    if kind == "ticket":
                        closed_already = bool(data.get("closed_at"))
                        if answered_at is not None:
                            self.measured.add("answered → ticket shown",
                                              1000 * (received - answered_at))
                    elif kind == "closed" and data.get("at") and not closed_already:
                        self.measured.add("ticket closed", 1000 * (
                            received - at_time(data["at"]) - CLOSE_AFTER_S))
                    else:
                        self.measured.add(f"ticket {kind}")
        except aiohttp.ClientError as exc:
            self.measured.errors.append(f"ticket stream: {type(exc).__name__}")


# -- one level -----------------------------------------------------------------------------


@dataclass
class Level:
    desktops: int
    measured: Measured
    connect_s: float = 0.0
    connect_cpu_s: float = 0.0
    connect_rss_mb: float = 0.0
    calls_cpu_s: float = 0.0
    calls_wall_s: float = 0.0
    rss_mb: float = 0.0
    client_cpu_s: float = 0.0
    sipp_ok: int = 0
    sipp_failed: int = 0
    answered: int = 0
    storm: tuple[float, float] | None = None  # when the idle desktops connected (--storm)
    idle_cpu_s: float = 0.0  # before the calls, the desktops connected
    idle_wall_s: float = 0.0


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def log_count(log: Path, offset: int, event: str) -> int:
    with log.open(encoding="utf-8") as lines:
        lines.seek(offset)
        return sum(1 for line in lines if f'"event": "{event}"' in line
                   or f'"event":"{event}"' in line)


async def run_level(desktops: int, tokens: dict[str, str], api: str, engine_pid: int,
                    calls: list[CallSpec], rate: float, hold_ms: int, settle_s: float,
                    voice: Path | None, call_log: Path, storm_after_s: float | None,
                    active: int, idle_s: float) -> Level:
    """``storm_after_s``: connect only the active agents' desktops first, the idle ones all
    at once that long after the first call (else every desktop before the calls)."""
    level = Level(desktops, Measured())
    agents = list(tokens)[:desktops]
    tasks: list[asyncio.Task[None]] = []
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def connect(group: list[str]) -> float:
            """Open the group's desktops; seconds until each has its first picture."""
            if not group:
                return 0.0
            ready, left = asyncio.Event(), len(group)

            def on_ready() -> None:
                nonlocal left
                left -= 1
                if left == 0:
                    ready.set()

            start = time.monotonic()
            tasks.extend(asyncio.create_task(Desktop(
                session, api, a, tokens[a], level.measured, on_ready).run()) for a in group)
            await asyncio.wait_for(ready.wait(), 180)
            if level.measured.errors:
                raise RuntimeError(f"desktops refused: {sorted(set(level.measured.errors))}")
            return time.monotonic() - start

        first = agents if storm_after_s is None else agents[:active]
        cpu0, rss0 = proc_cpu(engine_pid), proc_rss_mb(engine_pid)
        level.connect_s = await connect(first)
        if first:
            await asyncio.sleep(2)  # the connections' work done (audit rows, threads)
        level.connect_cpu_s = proc_cpu(engine_pid) - cpu0
        level.connect_rss_mb = proc_rss_mb(engine_pid) - rss0
        idle0, t0 = proc_cpu(engine_pid), time.monotonic()
        await asyncio.sleep(idle_s)  # no calls: what holding the streams open costs
        level.idle_cpu_s = proc_cpu(engine_pid) - idle0
        level.idle_wall_s = time.monotonic() - t0
        offset = log_size(call_log)
        client0 = time.process_time()
        cpu1, t1 = proc_cpu(engine_pid), time.monotonic()
        placing = asyncio.create_task(place_calls(
            calls, hold_ms=hold_ms, rate=rate, limit=len(calls), audio=voice or False,
            local_port=SIPP_PORT, media_port=SIPP_MEDIA_PORT,
            timeout_s=len(calls) / rate + hold_ms / 1000 + 30))
        if storm_after_s is not None and agents[len(first):]:
            await asyncio.sleep(storm_after_s)
            begin = time.time()
            level.connect_s = await connect(agents[len(first):])
            level.storm = (begin, time.time())
        result = await placing
        await asyncio.sleep(settle_s)  # wrap-up ends, tickets close: their events arrive
        level.calls_cpu_s = proc_cpu(engine_pid) - cpu1
        level.calls_wall_s = time.monotonic() - t1
        level.rss_mb = proc_rss_mb(engine_pid)
        level.client_cpu_s = time.process_time() - client0
        level.sipp_ok, level.sipp_failed = result.successful, result.failed
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0.5)  # the engine's call log is flushed every 0.25 s
    level.answered = log_count(call_log, offset, "queue.answered")
    return level


# -- report --------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.999999) - 1))]


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:26} {0:6d}"
    return (f"  {name:26} {len(values):6d} {pct(values, 0.5):8.1f} {pct(values, 0.95):8.1f} "
            f"{max(values):8.1f}")


def report(levels: list[Level], active: int) -> bool:
    print()
    print("  desktops  calls ok/failed  answered  engine CPU s (% of a core)  RSS MB   "
          "client CPU s  connect s (engine CPU s, RSS MB)")
    for lv in levels:
        share = 100 * lv.calls_cpu_s / lv.calls_wall_s if lv.calls_wall_s else 0.0
        print(f"  {lv.desktops:8d}  {lv.sipp_ok:5d}/{lv.sipp_failed:<6d}  {lv.answered:8d}  "
              f"{lv.calls_cpu_s:8.2f} ({share:4.1f} %)            {lv.rss_mb:7.1f}  "
              f"{lv.client_cpu_s:12.2f}  {lv.connect_s:6.1f} ({lv.connect_cpu_s:.2f}, "
              f"{lv.connect_rss_mb:+.1f})")
    for lv in levels:
        if not lv.desktops:
            continue
        m = lv.measured
        print(f"\n  latency at {lv.desktops} desktops ({min(lv.desktops, active)} with calls), "
              f"ms:")
        print(f"  {'event':26} {'count':>6} {'p50':>8} {'p95':>8} {'max':>8}")
        target: list[float] = []
        for kind in TARGET_KINDS:
            values = m.latency_ms.get(kind, [])
            target += values
            if values:
                print(row(kind if kind != "ticket closed"
                          else f"ticket closed (−{CLOSE_AFTER_S:g} s)", values))
        print(row("all of the above", target))
        if lv.storm is not None:
            begin, end = lv.storm
            print(row(f"  while {lv.desktops - active} connected",
                      [ms for at, ms in m.timeline if begin <= at <= end + 2]))
        print(row("answered → ticket shown", m.latency_ms.get("answered → ticket shown", [])))
        others = {k: v for k, v in m.counts.items() if k not in m.latency_ms}
        if others:
            print("  also received (no AMI time): "
                  + ", ".join(f"{k} {v}" for k, v in sorted(others.items())))
    base = next((lv for lv in levels if lv.desktops == 0), None)
    top = max(levels, key=lambda lv: lv.desktops)
    if base is not None and top.desktops:
        n = top.desktops
        rate_top = top.calls_cpu_s / max(top.calls_wall_s, 1e-9)
        rate_base = base.calls_cpu_s / max(base.calls_wall_s, 1e-9)
        d_rss = top.rss_mb - base.rss_mb
        idle_top = top.idle_cpu_s / max(top.idle_wall_s, 1e-9)
        idle_base = base.idle_cpu_s / max(base.idle_wall_s, 1e-9)
        print(f"\n  per connected desktop ({n} vs 0 desktops, same calls):")
        if top.idle_wall_s and base.idle_wall_s and top.storm is None:
            print(f"    engine CPU without calls ({top.idle_wall_s:.0f} s): "
                  f"{100 * (idle_top - idle_base) / n:+.4f} % of a core ({100 * idle_base:.2f} % "
                  f"→ {100 * idle_top:.2f} % for the engine)")
        print(f"    engine CPU while calls flow: {100 * (rate_top - rate_base) / n:+.4f} % of a "
              f"core ({100 * rate_base:.1f} % → {100 * rate_top:.1f} % for the engine; speech "
              f"recognition varies by a few % of a core from run to run)")
        if top.storm is None:
            print(f"    connecting: {1000 * top.connect_cpu_s / n:.1f} ms of engine CPU, RSS "
                  f"{1024 * top.connect_rss_mb / n:+.1f} KB (measured just before the calls)")
        else:
            print("    (--storm: the idle desktops connected during the calls; their "
                  "connecting is in the CPU figure above)")
        print(f"    RSS at the end of the calls: {1024 * d_rss / n:+.1f} KB (noisy: speech "
              f"recognizers and the allocator move it by tens of MB)")
    if top.desktops:
        values = [v for k in TARGET_KINDS for v in top.measured.latency_ms.get(k, [])]
        ok = bool(values) and pct(values, 0.95) <= TARGET_P95_MS
        if values:
            p95 = pct(values, 0.95)
            print(f"\nverdict: {'MET' if ok else 'NOT MET'} — p95 {p95:.1f} ms, max "
                  f"{max(values):.1f} ms from the AMI event to the desktop with {top.desktops} "
                  f"desktops connected (target p95 ≤ {TARGET_P95_MS:g} ms)")
        else:
            print("\nverdict: NOT MEASURED — no event with an AMI time reached a desktop")
        return ok
    return False


# -- main ----------------------------------------------------------------------------------


def make_users(paths: Paths, agents: list[str]) -> dict[str, str]:
    """A user (role agent) per agent, through the engine's control socket; their tokens."""
    def add(agent: str) -> tuple[str, str]:
        made = query(paths.control_socket, "user.add", timeout=120, name=f"fanout.{agent}",
                     role="agent", agent=agent)
        return agent, str(made["token"])

    with ThreadPoolExecutor(8) as pool:
        return dict(pool.map(add, agents))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--levels", default="0,300", help="desktops per level, baseline first")
    ap.add_argument("--seconds", type=float, default=60, help="calls arrive for this long")
    ap.add_argument("--active", type=int, default=15, help="agents answering on softphones")
    ap.add_argument("--busy", type=float, default=0.8, help="their target occupancy")
    ap.add_argument("--no-speech", action="store_true", help="callers say nothing")
    ap.add_argument("--idle-s", type=float, default=30,
                    help="engine CPU measured this long without calls (keep-alives every "
                         "15 s), each level")
    ap.add_argument("--storm", type=float, metavar="S",
                    help="the idle desktops connect all at once S s into the calls (a shift "
                         "change, an engine restart) instead of before them")
    ap.add_argument("--phones-child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phones_child:
        return phones_child(args.phones_child, args.active)
    levels = [int(x) for x in args.levels.split(",")]
    agents_needed = max([*levels, args.active])
    if args.active > 20:
        raise SystemExit("--active: at most 20 softphones")
    paths = instance_paths()
    env = {**os.environ, **paths.environment()}
    with tempfile.TemporaryDirectory(prefix="cc-fanout-") as tmp_name:
        tmp = Path(tmp_name)
        config_dir = make_config(tmp, agents_needed)
        config = load_config(config_dir)
        env["CALLCENTER_LAB_SIP"] = f"127.0.0.1:{config.engine.asterisk.sip_port}"
        os.environ["CALLCENTER_LAB_SIP"] = env["CALLCENTER_LAB_SIP"]
        cli(config_dir, env, "down")  # this instance's own, if an earlier run left it up
        taken = ports_taken(config)
        if taken:
            raise SystemExit(f"ports {', '.join(taken)} on 127.0.0.1 are held by something "
                             "else: nothing was started")
        queue = config.queues.queues["q12345"]
        handle_s = sum(ANSWER_DELAY_S) / 2 + sum(TALK_S) / 2 + queue.wrapup_s
        rate = args.busy * args.active / handle_s
        count = max(1, round(rate * args.seconds))
        calls = [CallSpec("12345", f"1390002{i:04d}") for i in range(count)]
        hold_ms = int(1000 * (GREETING_S + PATIENCE_S + TALK_S[1] + ANSWER_DELAY_S[1]))
        settle_s = queue.wrapup_s + CLOSE_AFTER_S + 3
        print(f"{agents_needed} agents in a temporary configuration, instance '{INSTANCE}' "
              f"(SIP {config.engine.asterisk.sip_port}, API {config.engine.api.port}); "
              f"{args.active} answer on softphones; {count} callers to 12345 per level at "
              f"{rate:.2f}/s (mean handle {handle_s:.1f} s, occupancy ~{args.busy:.0%}), "
              f"{'speaking' if not args.no_speech else 'silent'}; levels {levels}", flush=True)
        voice = None if args.no_speech else caller_voice(tmp)
        phones: Phones | None = None
        levels_done: list[Level] = []
        try:
            print(cli(config_dir, env, "up"), flush=True)
            engine_pid = int(paths.engine_pid.read_text().strip())
            t = time.monotonic()
            tokens = make_users(paths, [str(FIRST_AGENT + i) for i in range(agents_needed)])
            print(f"{len(tokens)} users (role agent) added in {time.monotonic() - t:.0f} s",
                  flush=True)
            phones = Phones(config_dir, args.active, env, paths.log / "phones.out")
            phones.wait_ready(60)
            for i in range(args.active):
                query(paths.control_socket, "agent.login", timeout=15,
                      agent=str(FIRST_AGENT + i))
            print(f"{args.active} softphones registered, agents logged in", flush=True)
            api = f"http://127.0.0.1:{config.engine.api.port}"
            for desktops in levels:
                print(f"level {desktops} desktops …", flush=True)
                level = asyncio.run(run_level(desktops, tokens, api, engine_pid, calls, rate,
                                              hold_ms, settle_s, voice,
                                              Path(config.engine.paths.call_log),
                                              args.storm, args.active, args.idle_s))
                levels_done.append(level)
                print(f"  {level.sipp_ok} calls completed, {level.answered} answered, engine "
                      f"CPU {level.calls_cpu_s:.2f} s in {level.calls_wall_s:.0f} s, RSS "
                      f"{level.rss_mb:.0f} MB", flush=True)
        finally:
            for i in range(args.active):
                with contextlib.suppress(EngineControlError):
                    query(paths.control_socket, "agent.logout", timeout=15,
                          agent=str(FIRST_AGENT + i))
            if phones is not None:
                took = phones.stop()
                if took:
                    print(f"softphones: offered {took.get('offered')}, answered "
                          f"{took.get('answered')}")
            print(cli(config_dir, env, "down"), flush=True)
    met = report(levels_done, args.active) if levels_done else False
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
