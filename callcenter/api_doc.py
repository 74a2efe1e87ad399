"""The README's table of commands, written from what the engine registers: each command's
roles (:mod:`callcenter.permissions`) and its declared arguments (:mod:`callcenter.arguments`).

    python -m callcenter.api_doc           print the table
    python -m callcenter.api_doc --write   put it into README.md, between its markers

``tests/unit/test_api_doc.py`` fails when the README's table is not the one written here."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from callcenter import permissions
from callcenter.actors import Role
from callcenter.app import Engine
from callcenter.arguments import Arguments, kind_of
from callcenter.config.loader import load_config
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.permissions import Own
from callcenter.secrets import Secrets

README = PROJECT_ROOT / "README.md"
BEGIN = "<!-- commands: written by `python -m callcenter.api_doc --write`, do not edit -->"
END = "<!-- /commands -->"
OWN = {Own.AGENT: " (own agent)", Own.TICKET: " (own calls' tickets)", Own.ROWS: " (own rows)"}


def declarations() -> dict[str, tuple[type[Arguments], permissions.Rule]]:
    """Every command the engine registers, with its arguments and who may run it (an engine
    built, not run)."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = Engine(load_config(PROJECT_ROOT / "config"),
                        Paths(Path(scratch), Path(scratch) / "var"), Secrets(ami_secret="-"))
        return {name: (engine.commands.arguments(name), engine.commands.rule(name))
                for name in engine.commands.names}


def roles(rule: permissions.Rule) -> str:
    said = [f"{role}{OWN.get(rule.own, '') if role is Role.AGENT else ''}"
            for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.UNIT)
            if role in rule.roles]
    return ", ".join(said) or "root only"


def arguments(declared: type[Arguments]) -> str:
    said = []
    for name, field in declared.model_fields.items():
        kind = kind_of(field).shown
        if field.is_required():
            said.append(f"`{name}` {kind}, required")
        elif field.default in ("", None):
            said.append(f"`{name}` {kind}")
        else:
            shown = str(field.default).lower() if isinstance(field.default, bool) \
                else field.default
            said.append(f"`{name}` {kind} = `{shown}`")
    return "; ".join(said) or "—"


def table() -> str:
    rows = ["| command | roles | arguments |", "|---|---|---|"]
    rows += [f"| `{name}` | {roles(rule)} | {arguments(declared)} |"
             for name, (declared, rule) in declarations().items()]
    return "\n".join(rows)


def written(readme: str, generated: str) -> str:
    """``readme`` with ``generated`` between its markers."""
    before, begin, rest = readme.partition(BEGIN)
    _old, end, after = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"{README.name} has no {BEGIN} … {END} block")
    return f"{before}{BEGIN}\n{generated}\n{END}{after}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m callcenter.api_doc", description=__doc__)
    parser.add_argument("--write", action="store_true", help="update README.md")
    if not parser.parse_args().write:
        print(table())
        return 0
    README.write_text(written(README.read_text(encoding="utf-8"), table()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
