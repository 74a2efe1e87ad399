"""The engine (``callcenter/``) never imports the lab (``lab/``): simulated agents,
callers and days use the engine, not the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

from callcenter.paths import PROJECT_ROOT

LAB = "lab"


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (at any depth: module level, functions, TYPE_CHECKING),
    and strings handed to importlib / __import__."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            name = ast.unparse(node.func)
            if name in ("importlib.import_module", "import_module", "__import__"):
                found.append((node.lineno, node.args[0].value))
    return found


def test_the_engine_does_not_import_the_lab() -> None:
    offending = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: imports {module}"
        for path in sorted((PROJECT_ROOT / "callcenter").rglob("*.py"))
        for line, module in imports_of(path)
        if module == LAB or module.startswith(LAB + ".")]
    assert offending == []


def test_the_check_finds_every_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import lab.rtp\n"
                      "from lab.day import generate_day\n"
                      "def f():\n    from lab import sipp\n"
                      "import importlib\nimportlib.import_module('lab.demo')\n"
                      "from callcenter.agents.desk import AgentDesk\n")
    assert [m for _, m in imports_of(sample) if m.split(".")[0] == LAB] == [
        "lab.rtp", "lab.day", "lab", "lab.demo"]


def test_the_engines_own_commands_load_nothing_of_the_lab() -> None:
    """The lab adds its commands (demo, gen-day) by entry point; the engine's process
    (``run``) and its other commands must not import it to parse their command line."""
    import subprocess
    import sys

    probe = ("import sys; from callcenter.cli import build_parser; "
             "parser = build_parser(sys.argv[1:]); "
             "print(any(m == 'lab' or m.startswith('lab.') for m in sys.modules))")
    for argv, lab in ((["run"], False), (["--config", "demo", "status"], False),
                      (["demo"], True), ([], True)):
        out = subprocess.run([sys.executable, "-c", probe, *argv], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
        assert out == str(lab), (argv, out)


def test_the_layers_hold() -> None:
    """The contracts of .importlinter (layers, no cycles between packages, no lab in the
    engine), as `./dev lint` checks them: here so that CI (`./dev test`) fails on a break."""
    import subprocess
    import sys

    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(linter), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in done.stdout
