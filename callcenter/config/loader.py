"""Load and validate the whole ``config/`` directory; report every problem as file:line."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from callcenter.config.catalogue import derived_prompts, dial_forms, digits_of
from callcenter.config.models import (
    DAYS,
    WEB_SUFFIX,
    AgentsConfig,
    EngineConfig,
    Hotline,
    HotlinesConfig,
    HotlineTarget,
    MainLine,
    Menu,
    Prompt,
    PromptsConfig,
    QueuesConfig,
    QueueTarget,
    Section,
)
from callcenter.config.placeholders import (
    HOTLINE_PLACEHOLDERS,
    allowed_text,
    placeholder_problems,
)
from callcenter.config.prefill.rules import PrefillRules
from callcenter.config.sounds import DEFAULT_SOUNDS
from callcenter.config.sounds import LANGUAGE as SOUND_LANGUAGE
from callcenter.config.source import (
    DataPath,
    Problem,
    SourceMap,
    dotted,
    load_yaml,
    validation_problems,
)
from callcenter.errors import ConfigError

ENGINE_FILE = "engine.yaml"
PROMPTS_FILE = "prompts.yaml"
HOTLINES_FILE = "hotlines.yaml"
QUEUES_FILE = "queues.yaml"
AGENTS_FILE = "agents.yaml"
PREFILL_FILE = "prefill.yaml"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Config:
    directory: Path
    engine: EngineConfig
    prompts: PromptsConfig
    hotlines: HotlinesConfig
    queues: QueuesConfig
    agents: AgentsConfig
    prefill: PrefillRules

    @property
    def prompt_dir(self) -> Path:
        return (self.directory / self.prompts.directory).resolve()

    @property
    def sip_endpoints(self) -> list[str]:
        """Generated PJSIP endpoints that register with a password: sub-center seats, the
        agents' desk softphones and their browser softphones (WebRTC)."""
        seats = [h.destination.endpoint for h in self.hotlines.hotlines
                 if h.destination is not None and h.destination.endpoint is not None]
        agents = [agent_endpoint(a) for a in self.agents.agents]
        browsers = [agent_web_endpoint(a) for a in self.agents.agents]
        supervisors = [e for name in self.agents.supervisors
                       for e in (supervisor_endpoint(name), supervisor_web_endpoint(name))]
        return sorted(seats + agents + browsers + supervisors)

    @property
    def queues_taking_calls(self) -> list[str]:
        """Queues a call can reach: the main queue, dual queues, overflow and menu targets."""
        h = self.hotlines
        names = {h.main.queue} | {x.queue for x in h.hotlines if x.queue is not None}
        names |= {q.overflow_to for q in self.queues.queues.values() if q.overflow_to}
        lines: list[Hotline | MainLine] = [h.main, *h.hotlines]
        for line in lines:
            if line.menu is not None:
                targets = [*line.menu.options.values(), line.menu.default]
                names |= {t.queue for t in targets if isinstance(t, QueueTarget)}
        return sorted(names)

    def recorded_prompt(self, name: str) -> Path | None:
        """A recorded file that replaces the synthesis: the prompt's ``file:``, or a file
        dropped into the prompt directory as ``<name>.wav``."""
        prompt = self.all_prompts.get(name)
        if prompt is not None and prompt.file:
            return self.prompt_dir / prompt.file
        dropped = self.prompt_dir / f"{name}.wav"
        return dropped if dropped.is_file() else None

    @property
    def asterisk_sounds(self) -> dict[str, Prompt]:
        """The Chinese sounds Asterisk plays itself (``sounds/zh/<name>``): the defaults with
        prompts.yaml's ``asterisk_sounds`` replacing texts."""
        defaults = {name: Prompt(text=text) for name, text in DEFAULT_SOUNDS.items()}
        return {**defaults, **self.prompts.asterisk_sounds}

    def recorded_sound(self, name: str) -> Path | None:
        """A recording that replaces an Asterisk sound: its ``file:``, or
        ``<prompt dir>/zh/<name>.wav``."""
        sound = self.prompts.asterisk_sounds.get(name)
        if sound is not None and sound.file:
            return self.prompt_dir / sound.file
        dropped = self.prompt_dir / SOUND_LANGUAGE / f"{name}.wav"
        return dropped if dropped.is_file() else None

    @property
    def all_prompts(self) -> dict[str, Prompt]:
        """prompts.yaml plus the prompts the catalogue implies (prompts.yaml wins)."""
        return {**derived_prompts(self.hotlines), **self.prompts.prompts}


# The sections pjsip.conf has besides the softphones' (asterisk/templates/pjsip.conf.j2).
PJSIP_SECTIONS = ("global", "transport-udp", "transport-ws", "carrier", "outbound-trunk")
# An agent answers calls on one of two devices, chosen at each login: the desk softphone
# ("sip") or the softphone in the agent desktop's browser ("webrtc").
DEVICES = ("sip", "webrtc")


def agent_endpoint(agent_id: str) -> str:
    """The PJSIP endpoint (and SIP user) of an agent's softphone."""
    return f"agent-{agent_id}"


def agent_web_endpoint(agent_id: str) -> str:
    """The PJSIP endpoint (and SIP user) of an agent's browser softphone (WebRTC)."""
    return f"{agent_endpoint(agent_id)}{WEB_SUFFIX}"


def agent_interface(agent_id: str, device: str = "sip") -> str:
    """What a queue dials to reach the agent on ``device`` ("sip" or "webrtc")."""
    if device not in DEVICES:
        raise ValueError(f"device {device!r} is not one of {', '.join(DEVICES)}")
    endpoint = agent_web_endpoint(agent_id) if device == "webrtc" else agent_endpoint(agent_id)
    return f"PJSIP/{endpoint}"


def supervisor_endpoint(name: str) -> str:
    """The PJSIP endpoint (and SIP user) of a supervisor's desk softphone (by user name)."""
    return f"supervisor-{name}"


# a browser endpoint's open sockets through the engine's /sip (a new one closes the oldest):
# Asterisk's HTTP server is generated with room for this many per endpoint
SOCKETS_PER_ENDPOINT = 2


def supervisor_web_endpoint(name: str) -> str:
    """The PJSIP endpoint of a supervisor's browser softphone (WebRTC)."""
    return f"{supervisor_endpoint(name)}{WEB_SUFFIX}"


def supervisor_interface(name: str, device: str = "sip") -> str:
    """What the engine calls to reach the supervisor on ``device`` ("sip" or "webrtc")."""
    if device not in DEVICES:
        raise ValueError(f"device {device!r} is not one of {', '.join(DEVICES)}")
    endpoint = supervisor_web_endpoint(name) if device == "webrtc" else supervisor_endpoint(name)
    return f"PJSIP/{endpoint}"


def _hour_ranges(hours: list[int]) -> str:
    """[0, 1, 2, 30] → 'mon 00-03, tue 06-07' (hours of the week, 0 = mon 00:00)."""
    out: list[str] = []
    start = prev = None
    for h in [*hours, None]:
        if h is not None and prev is not None and h == prev + 1 and h % 24 != 0:
            prev = h
            continue
        if start is not None and prev is not None:
            out.append(f"{DAYS[start // 24]} {start % 24:02d}-{prev % 24 + 1:02d}")
        start = prev = h
    return ", ".join(out)


def _load(path: Path, model: type[M], problems: list[Problem]) -> tuple[M | None, SourceMap]:
    data, smap, syntax = load_yaml(path)
    if syntax:
        problems.extend(syntax)
        return None, smap
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(smap.problem((), "the file must hold a mapping (key: value) at the top"))
        return None, smap
    try:
        return model.model_validate(data), smap
    except ValidationError as exc:
        problems.extend(validation_problems(exc, smap))
        return None, smap


@dataclass(slots=True)
class _Checker:
    config: Config
    maps: dict[str, SourceMap]
    problems: list[Problem]

    def add(self, file: str, path: DataPath, message: str) -> None:
        self.problems.append(self.maps[file].problem(path, message))

    def prompt(self, file: str, path: DataPath, name: str) -> None:
        if name not in self.config.all_prompts:
            self.add(file, path, f"prompt '{name}' is declared neither in {PROMPTS_FILE} nor "
                                 f"by {HOTLINES_FILE}")

    def queue(self, file: str, path: DataPath, name: str) -> None:
        if name not in self.config.queues.queues:
            self.add(file, path, f"queue '{name}' is not defined in {QUEUES_FILE}")

    def menu(self, path: DataPath, menu: Menu, numbers: set[str]) -> None:
        self.prompt(HOTLINES_FILE, (*path, "prompt"), menu.prompt)
        self.prompt(HOTLINES_FILE, (*path, "invalid_prompt"), menu.invalid_prompt)
        targets = [((*path, "options", key), t) for key, t in menu.options.items()]
        targets.append(((*path, "default"), menu.default))
        for where, target in targets:
            if isinstance(target, QueueTarget):
                self.queue(HOTLINES_FILE, (*where, "queue"), target.queue)
            elif isinstance(target, HotlineTarget) and digits_of(target.hotline) not in numbers:
                self.add(HOTLINES_FILE, (*where, "hotline"),
                         f"hotline '{target.hotline}' is not in the catalogue")

    def run(self) -> None:
        c = self.config
        h = c.hotlines
        self.prompt(HOTLINES_FILE, ("main", "greeting"), h.main.greeting)
        self.queue(HOTLINES_FILE, ("main", "queue"), h.main.queue)
        seen_forms: dict[str, Hotline | MainLine] = {}
        seen_serial: set[tuple[Section, int]] = set()
        endpoints: set[str] = set()
        lines: list[Hotline | MainLine] = [h.main, *h.hotlines]
        numbers = {digits_of(line.number) for line in lines}
        for index, line in enumerate(lines):
            path: DataPath = ("main",) if index == 0 else ("hotlines", index - 1)
            for form in dial_forms(line.number, h.area_code):
                other = seen_forms.get(form)
                if other is not None:
                    self.add(HOTLINES_FILE, (*path, "number"),
                             f"number {line.number} (dialed as {form}) is already the number "
                             f"of {other.name} ({other.number})")
                seen_forms.setdefault(form, line)
            if line.menu is not None:
                self.menu((*path, "menu"), line.menu, numbers)
            if index == 0:
                continue
            hot = h.hotlines[index - 1]
            key = (hot.section, hot.serial)
            if key in seen_serial:
                self.add(HOTLINES_FILE, (*path, "serial"),
                         f"serial {hot.serial} appears twice in section {hot.section.value}")
            seen_serial.add(key)
            if hot.queue is not None:
                self.queue(HOTLINES_FILE, (*path, "queue"), hot.queue)
            if hot.destination is not None and hot.destination.endpoint is not None:
                endpoint = hot.destination.endpoint
                where = (*path, "destination", "endpoint")
                if endpoint in endpoints:
                    self.add(HOTLINES_FILE, where, f"endpoint '{endpoint}' is used twice")
                if endpoint in PJSIP_SECTIONS:
                    self.add(HOTLINES_FILE, where, f"endpoint '{endpoint}': pjsip.conf has its "
                                                   f"own [{endpoint}]")
                if endpoint.startswith(agent_endpoint("")):
                    self.add(HOTLINES_FILE, where, f"endpoint '{endpoint}': the names "
                                                   f"{agent_endpoint('…')} are the agents' "
                                                   "softphones")
                if endpoint.startswith(supervisor_endpoint("")):
                    self.add(HOTLINES_FILE, where, f"endpoint '{endpoint}': the names "
                                                   f"{supervisor_endpoint('…')} are the "
                                                   "supervisors' softphones")
                endpoints.add(endpoint)
        for name, spec in c.queues.queues.items():
            if spec.overflow_to is not None:
                self.queue(QUEUES_FILE, ("queues", name, "overflow_to"), spec.overflow_to)
                if spec.overflow_to == name:
                    self.add(QUEUES_FILE, ("queues", name, "overflow_to"),
                             "a queue cannot overflow to itself")
        self.agents()
        self.prefill(numbers)
        self.texts()
        for section, entries in (("prompts", c.prompts.prompts),
                                 ("asterisk_sounds", c.prompts.asterisk_sounds)):
            for name, prompt in entries.items():
                if prompt.file is not None and not (c.prompt_dir / prompt.file).is_file():
                    self.add(PROMPTS_FILE, (section, name, "file"),
                             f"{section}.{name}.file: {prompt.file!r} not found in "
                             f"{c.prompt_dir}")

    def text(self, file: str, path: DataPath, text: str | None,
             allowed: tuple[str, ...] = ()) -> None:
        for problem in placeholder_problems(text or "", allowed):
            self.add(file, path, f"{dotted(path)}: {problem} would be read out to callers; "
                                 f"{allowed_text(allowed)}")

    def texts(self) -> None:
        """Placeholders in what callers hear: only the hotline texts fill {name}/{number}."""
        c = self.config
        defaults = c.hotlines.defaults
        self.text(HOTLINES_FILE, ("defaults", "merged", "announcement"),
                  defaults.merged.announcement, HOTLINE_PLACEHOLDERS)
        self.text(HOTLINES_FILE, ("defaults", "merged", "after_transition"),
                  defaults.merged.after_transition)
        self.text(HOTLINES_FILE, ("defaults", "dual", "greeting"), defaults.dual.greeting,
                  HOTLINE_PLACEHOLDERS)
        for index, hotline in enumerate(c.hotlines.hotlines):
            for key in ("announcement", "greeting"):
                self.text(HOTLINES_FILE, ("hotlines", index, key), getattr(hotline, key),
                          HOTLINE_PLACEHOLDERS)
        for section, entries in (("prompts", c.prompts.prompts),
                                 ("asterisk_sounds", c.prompts.asterisk_sounds)):
            for name, prompt in entries.items():
                self.text(PROMPTS_FILE, (section, name, "text"), prompt.text)


    def prefill(self, numbers: set[str]) -> None:
        for name, topic in self.config.prefill.topics.items():
            if digits_of(topic.hotline) not in numbers:
                self.add(PREFILL_FILE, ("topics", name, "hotline"),
                         f"topics.{name}.hotline: {topic.hotline} is not a number of "
                         f"{HOTLINES_FILE}")

    def agents(self) -> None:
        c = self.config
        for agent_id, agent in c.agents.agents.items():
            for queue in agent.skills:
                self.queue(AGENTS_FILE, ("agents", agent_id, "skills", queue), queue)
        if len(set(c.agents.pause_reasons)) != len(c.agents.pause_reasons):
            self.add(AGENTS_FILE, ("pause_reasons",), "a pause reason is listed twice")
        for name in c.agents.supervisors:
            if name.endswith(WEB_SUFFIX):  # supervisor-a-web would be a's browser softphone
                self.add(AGENTS_FILE, ("supervisors", name), f"a supervisor's user name does "
                         f"not end in '{WEB_SUFFIX}' (the browser softphones' names do)")
        for queue in c.queues_taking_calls:
            if queue not in c.queues.queues:
                continue
            planned = [a for a in c.agents.agents.values() if queue in a.skills]
            empty = [day * 24 + hour for day in range(7) for hour in range(24)
                     if not any(s.covers(day, hour) for a in planned for s in a.shifts)]
            if empty:
                self.problems.append(self.maps[QUEUES_FILE].problem(
                    ("queues", queue),
                    f"queue {queue} takes calls but has no agent planned "
                    f"{'at any hour' if len(empty) == 7 * 24 else _hour_ranges(empty)}",
                    warning=True))


# a capability's own check of the configuration directory (e.g. the knowledge base's
# articles, which name the pre-fill's topics and the catalogue's numbers): its problems
Check = Callable[[Path, Config], list[Problem]]


def collect(directory: Path, checks: Sequence[Check] = ()) -> tuple[Config | None,
                                                                    list[Problem]]:
    """Load everything, returning the config (when valid) and all problems found.
    ``checks``: the capabilities' own (:data:`callcenter.plugins.CONFIG_CHECKS`)."""
    problems: list[Problem] = []
    if not directory.is_dir():
        return None, [Problem(str(directory), 1, "configuration directory not found")]
    engine, engine_map = _load(directory / ENGINE_FILE, EngineConfig, problems)
    prompts, prompts_map = _load(directory / PROMPTS_FILE, PromptsConfig, problems)
    hotlines, hotlines_map = _load(directory / HOTLINES_FILE, HotlinesConfig, problems)
    queues, queues_map = _load(directory / QUEUES_FILE, QueuesConfig, problems)
    agents, agents_map = _load(directory / AGENTS_FILE, AgentsConfig, problems)
    prefill, prefill_map = _load(directory / PREFILL_FILE, PrefillRules, problems)
    if engine is None or prompts is None or hotlines is None or queues is None \
            or agents is None or prefill is None:
        return None, problems
    config = Config(directory.resolve(), engine, prompts, hotlines, queues, agents, prefill)
    maps = {ENGINE_FILE: engine_map, PROMPTS_FILE: prompts_map, HOTLINES_FILE: hotlines_map,
            QUEUES_FILE: queues_map, AGENTS_FILE: agents_map, PREFILL_FILE: prefill_map}
    _Checker(config, maps, problems).run()
    for check in checks:
        problems.extend(check(directory, config))
    errors = [p for p in problems if not p.warning]
    return (None if errors else config), problems


def load_config(directory: Path, checks: Sequence[Check] = ()) -> Config:
    """The valid configuration (warnings are not errors); ConfigError lists the errors."""
    config, problems = collect(directory, checks)
    if config is None:
        raise ConfigError([str(p) for p in problems if not p.warning])
    return config


DECISION_FILES = (HOTLINES_FILE, QUEUES_FILE, AGENTS_FILE)  # what routing and agent rules read


def config_hash(directory: Path) -> str:
    """A short fingerprint of the files the engine's call decisions depend on (recorded in the
    call log at start, so a replay can tell whether it runs with the same rules)."""
    digest = hashlib.sha256()
    for name in DECISION_FILES:
        path = directory / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:16]
