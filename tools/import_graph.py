"""The engine's import graph, for the restructuring's figures (issue #23): lines per package,
the largest modules and classes, the imports between sub-packages that run both ways
(cycles at folder level), the places that read an ``AgentConnect`` event.

    python tools/import_graph.py [--layers]    (run from the repository root)
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "callcenter"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    typing_only = {id(inner) for node in ast.walk(tree)
                   if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
                   for child in node.body for inner in ast.walk(child)}
    for node in ast.walk(tree):
        if id(node) in typing_only:  # for the type checker only: nothing runs
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("callcenter")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("callcenter"):
            out.add(node.module)
    return out


def folder(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def main() -> int:
    mods = modules()
    lines = {name: len(path.read_text(encoding="utf-8").splitlines())
             for name, path in mods.items()}
    by_folder: dict[str, int] = defaultdict(int)
    for name, count in lines.items():
        by_folder[folder(name)] += count
    print(f"callcenter: {len(mods)} modules, {sum(lines.values())} lines; "
          f"median module {sorted(lines.values())[len(lines) // 2]} lines")
    biggest = sorted(by_folder.items(), key=lambda kv: -kv[1])
    print("lines per package:", ", ".join(f"{k.removeprefix('callcenter.')} {v}"
                                           for k, v in biggest))
    largest = sorted(lines.items(), key=lambda kv: -kv[1])[:8]
    print("largest modules:", ", ".join(f"{k.removeprefix('callcenter.')} {v}"
                                        for k, v in largest))
    classes = []
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                end = node.end_lineno or node.lineno
                short = name.removeprefix("callcenter.")
                classes.append((end - node.lineno + 1, f"{short}.{node.name}"))
    print("largest classes:", ", ".join(f"{n} {c}" for c, n in
                                         [(c, n) for n, c in sorted(classes, reverse=True)[:6]]))
    edges: dict[tuple[str, str], int] = defaultdict(int)
    for name, path in mods.items():
        for target in imports(name, path):
            a, b = folder(name), folder(target)
            if a != b and b in by_folder:
                edges[(a, b)] += 1
    both = sorted({tuple(sorted(e)) for e in edges if (e[1], e[0]) in edges})
    print(f"folder-level import edges: {len(edges)}; pairs importing each other: {len(both)}")
    for a, b in both:
        print(f"    {a.removeprefix('callcenter.')} <-> {b.removeprefix('callcenter.')}")
    readers = [name for name, path in mods.items()
               if "AgentConnect" in path.read_text(encoding="utf-8")
               and not name.startswith("callcenter.ami.")]
    print(f"modules that read AgentConnect (outside ami/): {len(readers)}: "
          + ", ".join(r.removeprefix("callcenter.") for r in readers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
