"""The ticket loop's configuration files, read and checked with the rest of ``config/``
(``run.py check-config``, a start, a reload: :data:`callcenter.plugins.CONFIG_CHECKS`):
``units.yaml``, ``dispatch.yaml``, ``limits.yaml``, ``holidays.yaml``. A file that is not
there takes its defaults (units: none but the gazetteer's places)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from callcenter.config.loader import Config
from callcenter.config.models import Strict
from callcenter.config.source import Problem, display_path, load_yaml, validation_problems
from callcenter.ticketflow.limits import Limits
from callcenter.ticketflow.state import Rules
from callcenter.ticketflow.units import DispatchFile, Units, UnitsFile
from callcenter.ticketflow.workdays import Calendar, Year

UNITS, DISPATCH, LIMITS, HOLIDAYS = "units.yaml", "dispatch.yaml", "limits.yaml", "holidays.yaml"
Model = TypeVar("Model", bound=BaseModel)


class YearFile(Strict):
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)


class HolidaysFile(Strict):
    years: dict[int, YearFile] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoopConfig:
    units: Units
    rules: Rules


def _read(path: Path, model: type[Model], problems: list[Problem]) -> Model:
    if not path.exists():
        return model()
    data, smap, found = load_yaml(path)
    problems += found
    if found:
        return model()
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems += validation_problems(exc, smap)
        return model()


def read_loop_config(directory: Path) -> tuple[LoopConfig, list[Problem]]:
    problems: list[Problem] = []
    units_file = _read(directory / UNITS, UnitsFile, problems) if (directory / UNITS).exists() \
        else UnitsFile(departments=["省政府办公厅"])
    catalogue = _read(directory / DISPATCH, DispatchFile, problems)
    limits = _read(directory / LIMITS, Limits, problems)
    holidays = _read(directory / HOLIDAYS, HolidaysFile, problems)
    for year, given in holidays.years.items():
        wrong = [d for d in (*given.holidays, *given.workdays) if d.year != year]
        if wrong:
            problems.append(Problem(display_path(directory / HOLIDAYS), 1,
                                    f"years.{year}: {wrong[0]} is not in {year}"))
    units = Units.of(units_file, catalogue)
    problems += [Problem(display_path(directory / DISPATCH), 1, message)
                 for message in units.problems()]
    calendar = Calendar.of({y: Year(frozenset(g.holidays), frozenset(g.workdays))
                            for y, g in holidays.years.items()})
    return LoopConfig(units, Rules(limits, calendar)), problems


def check_loop_files(directory: Path, _config: Config) -> list[Problem]:
    return read_loop_config(directory)[1]


def unit_ids(directory: Path) -> list[str]:
    """The units of a configuration directory (a unit user's unit is one of them)."""
    return list(read_loop_config(directory)[0].units.by_id)


def as_dict(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
