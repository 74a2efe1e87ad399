"""Load and validate the whole ``config/`` directory; report every problem as file:line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from callcenter.config.models import EngineConfig, PromptsConfig
from callcenter.config.source import Problem, SourceMap, load_yaml, validation_problems
from callcenter.errors import ConfigError

ENGINE_FILE = "engine.yaml"
PROMPTS_FILE = "prompts.yaml"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Config:
    directory: Path
    engine: EngineConfig
    prompts: PromptsConfig

    @property
    def prompt_dir(self) -> Path:
        return (self.directory / self.prompts.directory).resolve()


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


def _cross_references(engine: EngineConfig, engine_map: SourceMap, prompts: PromptsConfig,
                      prompts_map: SourceMap, prompt_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    if engine.entry.greeting not in prompts.prompts:
        problems.append(engine_map.problem(
            ("entry", "greeting"),
            f"entry.greeting: prompt '{engine.entry.greeting}' is not declared in "
            f"{prompts_map.file}"))
    for name, prompt in prompts.prompts.items():
        if prompt.file is not None and not (prompt_dir / prompt.file).is_file():
            problems.append(prompts_map.problem(
                ("prompts", name, "file"),
                f"prompts.{name}.file: {prompt.file!r} not found in {prompt_dir}"))
    return problems


def collect(directory: Path) -> tuple[Config | None, list[Problem]]:
    """Load everything, returning the config (when valid) and all problems found."""
    problems: list[Problem] = []
    if not directory.is_dir():
        return None, [Problem(str(directory), 1, "configuration directory not found")]
    engine, engine_map = _load(directory / ENGINE_FILE, EngineConfig, problems)
    prompts, prompts_map = _load(directory / PROMPTS_FILE, PromptsConfig, problems)
    if engine is None or prompts is None:
        return None, problems
    config = Config(directory.resolve(), engine, prompts)
    problems += _cross_references(engine, engine_map, prompts, prompts_map, config.prompt_dir)
    return (None if problems else config), problems


def load_config(directory: Path) -> Config:
    config, problems = collect(directory)
    if config is None:
        raise ConfigError([str(p) for p in problems])
    return config
