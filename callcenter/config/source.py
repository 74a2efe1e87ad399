"""YAML with line numbers: load a file into plain data plus a map from data path to line.

Every problem found later (by pydantic, or by a cross-reference check) is reported as
``file:line: message`` through :meth:`SourceMap.problem`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

DataPath = tuple[str | int, ...]


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    message: str
    warning: bool = False  # reported, but the configuration can still be used

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"


@dataclass(slots=True)
class SourceMap:
    file: str
    positions: dict[DataPath, int] = field(default_factory=dict)

    def line_of(self, path: DataPath) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            line = self.positions.get(probe)
            if line is not None:
                return line
            probe = probe[:-1]
        return self.positions.get((), 1)

    def problem(self, path: DataPath, message: str, warning: bool = False) -> Problem:
        return Problem(self.file, self.line_of(path), message, warning)


def _plain(node: Any, path: DataPath, positions: dict[DataPath, int]) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key in node:
            key_line, _col = node.lc.key(key)
            positions[(*path, str(key))] = key_line + 1
            out[str(key) if not isinstance(key, str) else key] = _plain(
                node[key], (*path, str(key)), positions
            )
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, item in enumerate(node):
            line, _col = node.lc.item(index)
            positions[(*path, index)] = line + 1
            items.append(_plain(item, (*path, index), positions))
        return items
    if isinstance(node, str):
        return str(node)
    return node


def load_yaml(path: Path) -> tuple[Any, SourceMap, list[Problem]]:
    """Load one YAML file. Syntax errors come back as problems, never as exceptions."""
    shown = display_path(path)
    smap = SourceMap(shown, {(): 1})
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, smap, [Problem(shown, 1, f"cannot read: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        return None, smap, [Problem(shown, 1, f"not UTF-8 text: {exc.reason}")]
    return parse_yaml(text, shown)


def parse_yaml(text: str, shown: str) -> tuple[Any, SourceMap, list[Problem]]:
    """YAML text of the file ``shown`` (its line numbers are the file's: text embedded in
    another file is given with blank lines before it). Syntax errors come back as problems."""
    smap = SourceMap(shown, {(): 1})
    yaml = YAML(typ="rt")
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        return None, smap, [Problem(shown, line, f"YAML syntax error: {what}")]
    except YAMLError as exc:
        return None, smap, [Problem(shown, 1, f"YAML error: {exc}")]
    data = _plain(node, (), smap.positions)
    return data, smap, [smap.problem(path, f"{dotted(path) or 'a key'}: a control character "
                                          f"({what}) in a text value: Asterisk's generated "
                                          "files and the call log must not get it")
                        for path, what in _control_characters(data, ())]


CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _control_characters(data: Any, path: DataPath) -> list[tuple[DataPath, str]]:
    """Every text value (and key) holding a control character — a line break included: no
    setting is more than one line, and one that is could add lines (a section, a password)
    to a generated Asterisk file."""
    found: list[tuple[DataPath, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _control_characters(str(key), (*path, str(key)))
            found += _control_characters(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found += _control_characters(item, (*path, index))
    elif isinstance(data, str):
        match = CONTROL.search(data.rstrip("\n") if path and path[-1] == "text" else data)
        if match:
            found.append((path, repr(match.group())))
    return found


def dotted(path: DataPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_problems(exc: ValidationError, smap: SourceMap,
                        prefix: DataPath = ()) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if isinstance(p, str | int))
        path = (*prefix, *loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'" + (
                f" in {dotted(path[:-1])}" if len(path) > 1 else "")
        elif kind == "missing":
            message = f"{dotted(path)}: required key is missing"
        else:
            message = f"{dotted(path)}: {error['msg']}"
        problems.append(smap.problem(path, message))
    return problems
