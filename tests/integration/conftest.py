"""Fixtures for tests against the real local Asterisk (marked ``asterisk``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp.web_app
import numpy as np
import pytest
from ruamel.yaml import YAML

from callcenter.app import Engine
from callcenter.calllog.privacy import mask_number
from callcenter.config.loader import Config, load_config
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.pbx.install import install
from callcenter.pbx.process import AsteriskProcess
from callcenter.prompts import build_all
from callcenter.secrets import Secrets, load_secrets
from lab.rtp import write_rtp_pcap
from lab.sipp import SippSeat
from lab.softphone import Softphone, SoftphoneSettings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.asterisk)


@dataclass
class Lab:
    paths: Paths
    config: Config
    secrets: Secrets
    asterisk: AsteriskProcess
    call_log: Path
    engine: Engine | None = None

    def log_lines(self) -> list[dict[str, Any]]:
        if self.engine is not None:
            self.engine.call_log.flush()  # the engine batches its writes (≤ 0.25 s)
        if not self.call_log.exists():
            return []
        return [json.loads(line) for line in self.call_log.read_text().splitlines()]

    def events(self, name: str, **match: Any) -> list[dict[str, Any]]:
        return [r for r in self.log_lines() if r["event"] == name
                and all(r.get(k) == v for k, v in match.items())]

    def frames(self, event: str, **match: str) -> list[dict[str, Any]]:
        """Raw AMI frames as Asterisk sent them (recorded in the call log)."""
        return [r["frame"] for r in self.log_lines() if r["event"] == "ami.frame"
                and r["frame"].get("Event") == event
                and all(r["frame"].get(k) == v for k, v in match.items())]

    async def call_id(self, caller: str) -> str:
        """The call_id of the latest call from ``caller`` (matched as the log masks it)."""
        masked = mask_number(caller)
        started = await self.wait_for(f"a call from {masked}", lambda: self.events(
            "call.started", caller=masked))
        return str(started[-1]["call_id"])

    async def wait_for(self, what: str, check: Any, timeout: float = 15) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            result = check()
            if result:
                return result
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# Sub-center seats in the lab: sipp UAS processes on these ports (see the `seats` fixture).
ANSWERING_SEAT_PORT = 5090
SILENT_SEAT_PORT = 5091
ANSWERING_SUBCENTERS = ("12366", "12367", "12360")  # seats answer
SILENT_SUBCENTER = "12305"  # seats ring and never answer (3 s)
UNREGISTERED_SUBCENTER = "12313"  # no seat registered
LAB_AGENT = "9000"  # member of every queue: logged in and paused, callers wait in queues
UNREACHABLE_LOGOUT_S = 3  # a logged-in agent's softphone gone this long → logged out
ANNOUNCE_EVERY_S = 6  # q12345 says positions this often in the lab
LAB_SIP_PORT = 5160
LAB_TRUNK_PORT = 5170  # the outbound trunk: a sipp UAS plays the citizens' phones there
# (engine.yaml section, key, value): the suite's ports, beside the default instance's
LAB_PORTS = (("asterisk", "ami_port", 5138), ("asterisk", "sip_port", LAB_SIP_PORT),
             ("asterisk", "http_port", 8188), ("asterisk", "rtp_port_start", 11000),
             ("asterisk", "rtp_port_end", 11999), ("agi", "port", 4673), ("api", "port", 8190),
             ("asr", "audiosocket_port", 4674))
MENU_HOTLINE = "12333"  # a DTMF menu: 1 → q12333, 9 → hotline 12329, else q12333


def _lab_config(tmp: Path, call_log: Path) -> Path:
    """The shipped config with lab changes: diagnostics on, seats for sub-centers, a menu."""
    config_dir = tmp / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    shutil.copytree(PROJECT_ROOT / "ivr_prompts", tmp / "ivr_prompts",
                    ignore=shutil.ignore_patterns("build"))
    yaml = YAML()
    engine_file = config_dir / "engine.yaml"
    data = yaml.load(engine_file)
    data["lab"]["test_extensions"] = True
    data["lab"]["keep_forked_audio"] = str(tmp / "forked-audio")
    data["asr"]["warm_recognizers"] = 0  # every test's engine loads the model: keep it cheap
    data["paths"]["call_log"] = str(call_log)
    data["paths"]["database"] = str(tmp / "callcenter.sqlite3")
    # the suite's own ports: an Asterisk and an engine an admin started keep theirs
    for section, key, value in LAB_PORTS:
        data[section][key] = value
    data["ami"]["ping_interval_s"] = 2
    # the browser softphones' sockets get Asterisk's keep-alives during every browser test
    # (a proxy that refused JsSIP's answer closed them mid-call)
    data["asterisk"]["keep_alive_interval_s"] = 5
    data["ami"]["ping_timeout_s"] = 2
    # the public network of outbound calls: its own port (the lab's callers send from 5070);
    # no test dials anyone unless it turns the dialer on (test_outbound)
    data["outbound"]["trunk"] = f"127.0.0.1:{LAB_TRUNK_PORT}"
    data["outbound"]["enabled"] = False
    yaml.dump(data, engine_file)

    hotlines_file = config_dir / "hotlines.yaml"
    hotlines = yaml.load(hotlines_file)
    for entry in hotlines["hotlines"]:
        number = entry["number"]
        if number in ANSWERING_SUBCENTERS:
            entry["destination"]["contact"] = f"sip:seat@127.0.0.1:{ANSWERING_SEAT_PORT}"
        elif number == SILENT_SUBCENTER:
            entry["destination"]["contact"] = f"sip:seat@127.0.0.1:{SILENT_SEAT_PORT}"
            entry["answer_timeout_s"] = 3
        elif number == MENU_HOTLINE:
            entry["menu"] = {"prompt": "menu-12333", "timeout_s": 3, "max_invalid": 1,
                             "options": {"1": {"queue": "q12333"}, "9": {"hotline": "12329"}},
                             "default": {"queue": "q12333"}}
    yaml.dump(hotlines, hotlines_file)

    queues_file = config_dir / "queues.yaml"
    queues = yaml.load(queues_file)
    queues["queues"]["q12345"]["ring_timeout_s"] = 5  # ring-no-answer tests stay short
    queues["queues"]["q12345"]["announce_every_s"] = ANNOUNCE_EVERY_S
    yaml.dump(queues, queues_file)

    agents_file = config_dir / "agents.yaml"
    agents = yaml.load(agents_file)
    agents["logout_unreachable_after_s"] = UNREACHABLE_LOGOUT_S
    agents["agents"][LAB_AGENT] = {
        "name": "实验坐席", "skills": {q: 1 for q in yaml.load(config_dir / "queues.yaml")[
            "queues"]}, "shifts": [{"days": ["mon"], "from": "00:00", "to": "01:00"}]}
    yaml.dump(agents, agents_file)

    prompts_file = config_dir / "prompts.yaml"
    prompts = yaml.load(prompts_file)
    prompts["prompts"]["menu-12333"] = {"text": "社保业务请按1，公积金业务请按9。"}
    yaml.dump(prompts, prompts_file)
    return config_dir


def _ports_taken(config: Config, *, asterisk: bool) -> list[str]:
    """The suite's ports that something else holds (another test run, say): the engine's,
    or (``asterisk``) Asterisk's."""
    e = config.engine
    wanted = [(socket.SOCK_STREAM, e.asterisk.ami_port), (socket.SOCK_DGRAM, e.asterisk.sip_port),
              (socket.SOCK_STREAM, e.asterisk.http_port)] if asterisk else [
        (socket.SOCK_STREAM, e.agi.port), (socket.SOCK_STREAM, e.api.port),
        (socket.SOCK_STREAM, e.asr.audiosocket_port)]
    taken = []
    for kind, port in wanted:
        with socket.socket(socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:  # as the servers bind: the TIME_WAIT of a
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # closed one is
            try:  # not someone holding the port
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append(f"{'tcp' if kind == socket.SOCK_STREAM else 'udp'} {port}")
    return taken


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The suite's own Asterisk (instance "test" in the shared chroot, its own state and
    configuration directories, ports LAB_PORTS) and runtime directory (var/test): an Asterisk
    or an engine that an admin started is never stopped or touched."""
    shared = Paths.default()
    # CALLCENTER_TEST_INSTANCE: another name, for a second suite beside this one (in its own
    # network namespace: the ports are the same)
    instance = os.environ.get("CALLCENTER_TEST_INSTANCE", "test")
    paths = Paths(shared.root, shared.root / "var" / instance, instance, shared.chroot)
    # `run.py` started by a test: the same instance (restored after the suite)
    environment = {**paths.environment(), "CALLCENTER_LAB_SIP": f"127.0.0.1:{LAB_SIP_PORT}"}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    tmp = tmp_path_factory.mktemp("lab")
    call_log = tmp / "calls.jsonl"
    config = load_config(_lab_config(tmp, call_log))
    install(paths)
    build_all(config, paths.prompt_build, say=lambda _line: None)
    secrets = load_secrets(paths.secrets, config.sip_endpoints)
    control = AsteriskProcess(paths, config, secrets)
    # another run's engine holds the engine's ports: its Asterisk is not stopped under it
    taken = _ports_taken(config, asterisk=False)
    if not taken:
        control.down()  # the suite's own Asterisk, if an earlier run left it up
        taken = _ports_taken(config, asterisk=True)
    if taken:
        pytest.exit(f"the integration tests need ports {', '.join(taken)} on 127.0.0.1 for "
                    f"their own Asterisk and engine, and something else holds them (another "
                    f"test run?): nothing was stopped; free them and run again", returncode=2)
    control.up()
    try:
        yield Lab(paths, config, secrets, control, call_log)
    finally:
        control.down()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def caller_tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 s of a 600 Hz tone as the caller's RTP: whoever is connected to the caller hears it."""
    t = np.arange(8000 * 60) / 8000
    pcm = (8000 * np.sin(2 * np.pi * 600 * t)).astype("<i2").tobytes()
    path = tmp_path_factory.mktemp("tone") / "tone.pcap"
    write_rtp_pcap(pcm, path)
    return path


@pytest.fixture(scope="module")
def lab_agent_phone(lab: Lab) -> Iterator[Softphone]:
    """The lab agent's softphone, registered for a whole test module."""
    endpoint = f"agent-{LAB_AGENT}"
    phone = Softphone(SoftphoneSettings(endpoint, lab.secrets.sip_passwords[endpoint],
                                        sip_port=5065, rtp_low=30600, rtp_high=30700,
                                        answer=False))
    phone.start()
    yield phone
    phone.stop()


@pytest.fixture
async def agents_waiting(lab: Lab, engine: Engine, lab_agent_phone: Softphone) -> None:
    """Every queue has a logged-in agent who is paused: callers join queues and wait."""
    await engine.agent_desk.login(LAB_AGENT)
    await engine.agent_desk.pause(LAB_AGENT, "会议")


@pytest.fixture
async def seats() -> AsyncIterator[None]:
    """Sub-center seats: one that answers, one that rings forever."""
    async with SippSeat(ANSWERING_SEAT_PORT, answer=True, media_port=17000), \
            SippSeat(SILENT_SEAT_PORT, answer=False, media_port=17100):
        yield


@contextlib.asynccontextmanager
async def agent_softphone(lab: Lab, agent_id: str, sip_port: int, rtp_low: int,
                          **settings: Any) -> AsyncIterator[Softphone]:
    """Agent ``agent_id``'s desk softphone (pyVoIP), registered for the block."""
    endpoint = f"agent-{agent_id}"
    phone = Softphone(SoftphoneSettings(endpoint, lab.secrets.sip_passwords[endpoint],
                                        sip_port=sip_port, rtp_low=rtp_low,
                                        rtp_high=rtp_low + 100, **settings))
    await asyncio.to_thread(phone.start)
    try:
        yield phone
    finally:
        await asyncio.to_thread(phone.stop)


@contextlib.asynccontextmanager
async def running_engine(lab: Lab) -> AsyncIterator[Engine]:
    """An engine on the lab configuration, connected and resynced, stopped at the end."""
    lab.asterisk.up()  # a test may have stopped it
    engine = Engine(lab.config, lab.paths, lab.secrets)
    lab.engine = engine
    task = asyncio.create_task(engine.run(handle_signals=False))
    connected = asyncio.create_task(engine.ami.wait_connected(15))
    await asyncio.wait({task, connected}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():  # the engine could not start (e.g. another engine runs): say why
        connected.cancel()
        task.result()
    await connected
    await lab.wait_for("the first resync", lambda: engine.resyncs >= 1)
    try:
        yield engine
    finally:
        engine.stop()
        await asyncio.wait_for(task, 15)
        lab.engine = None
        # aiohttp keeps the route handlers it served (and through them the whole engine)
        # in a module-wide cache: one engine per test would pile up over the suite
        with contextlib.suppress(AttributeError):
            aiohttp.web_app._cached_build_middleware.cache_clear()


@pytest.fixture
async def engine(lab: Lab) -> AsyncIterator[Engine]:
    async with running_engine(lab) as engine:
        yield engine
