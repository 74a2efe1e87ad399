"""``python run.py demo``: the 12345 centre at work on the real Asterisk, for a minute or so.

Asterisk and the engine come up; a handful of simulated agents (pyVoIP softphones) register
and log in to their queues; simulated callers (sipp, through the carrier trunk) arrive at
random (Poisson) and dial 12345, merged numbers (also a landline without its area code), dual
numbers and a sub-center with no seats registered (its callers fall back to 12345). Each
caller has a patience: who is not answered in time hangs up (abandoned). A live table shows
queues and agents; at the end a summary (answered, abandoned, 15 s answer rate, average wait)
and everything is shut down.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from callcenter.app import Engine
from callcenter.config.loader import Config, agent_endpoint
from callcenter.control.client import query
from callcenter.errors import CallCenterError, EngineControlError
from callcenter.paths import Paths
from callcenter.pbx.process import AsteriskProcess
from callcenter.secrets import load_secrets
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone, SoftphoneSettings

console = Console(width=max(Console().width, 120))

DEMO_AGENTS = ("1001", "1002", "2001", "2004", "2006")
# (number dialed, weight): 12345 itself, merged, dual, a sub-center without seats
NUMBER_MIX = (("12345", 8), ("12396", 2), ("8929999", 1), ("09318929999", 1), ("96119", 1),
              ("12315", 3), ("12333", 2), ("12348", 1), ("12366", 1), ("55555", 1))


@dataclass(frozen=True, slots=True)
class DemoCaller:
    at_s: float
    dialed: str
    caller: str
    stay_ms: int  # greeting + patience + talk: the caller hangs up then, if still there


def plan_callers(seconds: float, rate_per_s: float, seed: int) -> list[DemoCaller]:
    rng = random.Random(seed)
    numbers = [n for n, w in NUMBER_MIX for _ in range(w)]
    out: list[DemoCaller] = []
    t = 0.0
    while True:
        t += rng.expovariate(rate_per_s)
        if t > seconds:
            return out
        caller = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        out.append(DemoCaller(t, rng.choice(numbers), caller, rng.randrange(25000, 45000)))


def _agent_phones(config: Config, paths: Paths) -> list[Softphone]:
    secrets = load_secrets(paths.secrets, config.sip_endpoints)
    rng = random.Random(7)
    phones = []
    for index, agent_id in enumerate(a for a in DEMO_AGENTS if a in config.agents.agents):
        endpoint = agent_endpoint(agent_id)
        phones.append(Softphone(SoftphoneSettings(
            endpoint, secrets.sip_passwords[endpoint], sip_port=5100 + index,
            rtp_low=31000 + index * 100, rtp_high=31000 + index * 100 + 99,
            answer_delay_s=rng.uniform(1.0, 3.0), talk_s=rng.uniform(8.0, 15.0))))
    return phones


def _tables(snapshot: dict[str, Any], offered: int, total: int) -> Group:
    queues = Table(title=f"queues — callers so far {offered}/{total}")
    for column in ("queue", "title", "waiting", "longest s", "avail", "busy", "paused",
                   "answered", "≤15s %", "abandoned", "overflow"):
        queues.add_column(column)
    for q in snapshot["queues"]:
        if not (q["waiting"] or q["answered"] or q["abandoned"] or q["available"]
                or q["busy"] or q["overflowed"]):
            continue
        queues.add_row(q["queue"], q["title"], str(q["waiting"]), str(q["longest_wait_s"]),
                       str(q["available"]), str(q["busy"]), str(q["paused"]),
                       str(q["answered"]),
                       "-" if q["in_target_pct"] is None else str(q["in_target_pct"]),
                       str(q["abandoned"]), str(q["overflowed"]))
    agents = Table(title="agents")
    for column in ("agent", "name", "state", "calls"):
        agents.add_column(column)
    for a in snapshot["agents"]:
        if a["state"] != "logged_out":
            agents.add_row(a["agent"], a["name"], a["state"], str(a["calls_taken"]))
    return Group(queues, agents)


def _summary(log_path: Path, since: str, config: Config, html: Path) -> Table:
    """The demo's figures, counted as `run.py report` counts them (and its HTML page)."""
    from callcenter.reports.figures import ReportBuilder
    from callcenter.reports.render import write_html

    counts = {"ticket.created": 0, "asr.final": 0, "ticket.prefilled": 0}
    builder = ReportBuilder({n: q.wrapup_s for n, q in config.queues.queues.items()})

    def records() -> Iterator[dict[str, Any]]:
        with log_path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if record["ts"] < since:
                    continue
                if record["event"] in counts:
                    counts[record["event"]] += 1
                yield record

    report = builder.feed(records())
    write_html(report, builder, html)
    t = report.total
    table = Table(title="summary (from var/log/calls.jsonl, as `run.py report` counts)",
                  show_header=False)
    table.add_row("calls offered (public calls)", str(t.offered))
    table.add_row("answered (agent or sub-center seat)", str(t.answered))
    table.add_row("abandoned while waiting (within 5 s)", f"{t.abandoned} ({t.abandoned_5s})")
    table.add_row("overflowed to another queue", str(_overflows(log_path, since)))
    table.add_row("callback requests (nobody free)", str(t.callbacks))
    table.add_row("接通率 (target ≥ 95 %)", "-" if t.connection_rate is None
                  else f"{100 * t.connection_rate:.1f} %")
    table.add_row("answered within 15 s", "-" if t.service_level is None
                  else f"{100 * t.service_level:.0f} %")
    table.add_row("average wait of answered calls", "-" if t.asa_s is None
                  else f"{t.asa_s:.1f} s")
    table.add_row("tickets opened (工单)", str(counts["ticket.created"]))
    table.add_row("utterances transcribed into tickets", str(counts["asr.final"]))
    table.add_row("pre-fill updates", str(counts["ticket.prefilled"]))
    table.add_row("HTML report", str(html))
    return table


def _overflows(log_path: Path, since: str) -> int:
    with log_path.open(encoding="utf-8") as lines:
        return sum(1 for line in lines if '"queue.overflowed"' in line
                   and json.loads(line)["ts"] >= since)


async def _one_caller(caller: DemoCaller, index: int, start: float) -> bool:
    await asyncio.sleep(max(0.0, start + caller.at_s - time.monotonic()))
    result = await place_calls([CallSpec(caller.dialed, caller.caller)], hold_ms=caller.stay_ms,
                               audio=True, local_port=5200 + index % 200,
                               media_port=20000 + (index % 200) * 4)
    return result.successful == 1


async def _run(config: Config, paths: Paths, seconds: float, rate: float, seed: int) -> int:
    log_path = paths.own(config.engine.paths.call_log)
    log_start = log_path.stat().st_size if log_path.exists() else 0
    engine = Engine(config, paths, load_secrets(paths.secrets))
    engine_task = asyncio.create_task(engine.run(handle_signals=False))
    connected = asyncio.create_task(engine.ami.wait_connected(15))
    await asyncio.wait({engine_task, connected}, return_when=asyncio.FIRST_COMPLETED)
    if engine_task.done():  # the engine could not start: say why, touch nothing
        connected.cancel()
        engine_task.result()
    try:
        await connected
    except BaseException:
        engine.stop()
        await engine_task
        raise
    phones = _agent_phones(config, paths)
    try:
        await asyncio.gather(*(asyncio.to_thread(p.start) for p in phones))
        for phone in phones:
            await engine.agent_desk.login(phone.settings.username.removeprefix("agent-"))
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        callers = plan_callers(seconds, rate, seed)
        console.rule(f"{len(phones)} agents logged in; {len(callers)} callers over "
                     f"{seconds:.0f} s (Poisson, {rate:g}/s)")
        start = time.monotonic()
        tasks = [asyncio.create_task(_one_caller(c, i, start)) for i, c in enumerate(callers)]
        with Live(_tables(engine.snapshot(), 0, len(callers)), console=console,
                  refresh_per_second=2) as live:
            while not all(t.done() for t in tasks):
                offered = sum(c.at_s <= time.monotonic() - start for c in callers)
                live.update(_tables(engine.snapshot(), offered, len(callers)))
                await asyncio.sleep(0.5)
        completed = sum(t.result() for t in tasks)
        await asyncio.sleep(1)
        engine.call_log.flush()
        console.print(_summary(log_path, since, config, paths.resolve("var/report-demo.html")))
        demo_log = log_path.with_name("demo-calls.jsonl")
        with log_path.open("rb") as whole:  # this demo's part of the call log
            whole.seek(log_start)
            demo_log.write_bytes(whole.read())
        console.print(f"this demo's call log: {demo_log} — replay it through the engine's "
                      f"decision code: python run.py replay {demo_log}")
        console.print(f"sipp: {completed} of {len(callers)} callers' calls completed normally")
        return 0 if completed == len(callers) else 1
    finally:
        for phone in phones:
            try:
                await engine.agent_desk.logout(phone.settings.username.removeprefix("agent-"))
            except CallCenterError as exc:  # shut down all the same
                console.print(f"logout: {exc}")
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in phones))
        engine.stop()
        await engine_task


def engine_running(paths: Paths) -> bool:
    try:
        query(paths.control_socket, "status", timeout=1)
    except EngineControlError:
        return False
    return True


def run_demo(config: Config, paths: Paths, seconds: float = 75, rate: float = 0.4,
             seed: int = 12345) -> int:
    if engine_running(paths):
        raise EngineControlError(
            "the engine is already running (started by `python run.py up`): the demo runs "
            "its own engine — stop it with `python run.py down`, then run the demo again")
    control = AsteriskProcess(paths, config, load_secrets(paths.secrets, config.sip_endpoints))
    was_up = control.pid() is not None
    console.print(control.up())
    try:
        return asyncio.run(_run(config, paths, seconds, rate, seed))
    finally:
        if not was_up:
            console.print(control.down())
