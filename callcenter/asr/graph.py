"""``models compile``: a static-graph copy of a lookahead Vosk model.

A lookahead model (``graph/HCLr.fst`` + ``graph/Gr.fst``) is composed on the fly by every
recognizer, and each recognizer caches what it composed: measured with the Korean lab model,
~125 MB per recognizer after 30 s of speech, ~250 MB after 10 minutes, and 0.2 CPU s per
audio second until the cache is warm. A static graph (``graph/HCLG.fst``, as the large
official Chinese model ships) is composed once, held once by the shared model, and each
recognizer then needs only its decoder: ~14 MB after 10 minutes, ~0.045 CPU s per audio
second. The price is paid once per model: a few minutes of OpenFst, ~3 GB of memory while it
runs, and a bigger model in memory (the lab model: 0.5 GB lookahead, 1.1 GB static).

The composition is the one Vosk does on the fly (HCLr ∘ Gr, then the disambiguation symbols
of ``disambig_tid.int`` become ε), done by the OpenFst command-line tools. Gr's symbol table
is taken off before composing (written to ``graph/words.txt``, which a static model needs);
the copy is built next to the target and moved into place only when it checks out.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from callcenter.asr.model import check_model
from callcenter.errors import CallCenterError

TOOLS = ("fstsymbols", "fstcompose", "fstrelabel", "fstconvert")
PLUGINS = ("olabel_lookahead-fst.so", "ngram-fst.so")  # the lookahead model's FST types
PACKAGES = "libfst-tools libfst22-plugins-base"
MARKER = "compiled-from.json"
GROWTH = 6  # the static graph is ~4.3× HCLr + Gr on disk (lab model); room for that


class ModelCompileError(CallCenterError):
    error_id = "CC911"


@dataclass(frozen=True, slots=True)
class Compiled:
    path: Path
    seconds: float
    graph_mb: float


def plugin_dir() -> Path:
    """Where the OpenFst plugins for the lookahead and n-gram FST types are."""
    found = glob.glob(f"/usr/lib/*/fst/*/{PLUGINS[0]}") + glob.glob(f"/usr/lib/fst/{PLUGINS[0]}")
    for candidate in (Path(p).parent for p in found):
        if all((candidate / plugin).is_file() for plugin in PLUGINS):
            return candidate
    raise ModelCompileError(f"the OpenFst plugins {', '.join(PLUGINS)} are not installed: "
                            f"apt-get install {PACKAGES} (./dev setup does it)")


def _tools_env() -> dict[str, str]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise ModelCompileError(f"OpenFst tools missing ({', '.join(missing)}): "
                                f"apt-get install {PACKAGES} (./dev setup does it)")
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = ":".join(
        p for p in (str(plugin_dir()), env.get("LD_LIBRARY_PATH", "")) if p)
    return env


def fingerprint(source: Path) -> dict[str, object]:
    """What the static copy was made of: the real source path, its graph files' sizes/times."""
    graph = source.resolve() / "graph"
    files = {name: [(graph / name).stat().st_size, (graph / name).stat().st_mtime_ns]
             for name in ("HCLr.fst", "Gr.fst", "disambig_tid.int") if (graph / name).exists()}
    return {"source": str(source.resolve()), "files": files}


def is_current(source: Path, target: Path) -> bool:
    marker = target / "graph" / MARKER
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return bool(recorded == fingerprint(source) and check_model(target).ok)


def _check_source(source: Path) -> None:
    check = check_model(source)
    if not check.ok:
        raise ModelCompileError(f"{source}: " + "; ".join(check.problems))
    graph = source / "graph"
    if (graph / "HCLG.fst").is_file():
        raise ModelCompileError(f"{source} already has a static graph (graph/HCLG.fst)")
    if not (graph / "disambig_tid.int").is_file():
        raise ModelCompileError(f"{source}: graph/disambig_tid.int is missing (the "
                                f"disambiguation symbols to remove after composing)")


def _room(source: Path, target: Path) -> None:
    graph = source / "graph"
    need = GROWTH * sum((graph / n).stat().st_size for n in ("HCLr.fst", "Gr.fst"))
    free = shutil.disk_usage(target.parent).free
    if free < need:
        raise ModelCompileError(f"{target.parent}: {free / 1e9:.1f} GB free, the static "
                                f"graph needs about {need / 1e9:.1f} GB")


def _copy_model(source: Path, building: Path) -> None:
    """Everything but the lookahead graph (am/, conf/, ivector/, graph/phones …)."""
    graph = source / "graph"
    lookahead = {"HCLr.fst", "Gr.fst", "disambig_tid.int", "HCLG.fst", "words.txt", MARKER}

    def leave_out(folder: str, names: list[str]) -> set[str]:
        return lookahead.intersection(names) if Path(folder) == graph else set()

    shutil.copytree(source, building, ignore=leave_out)


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ModelCompileError(f"{argv[0]} failed: {_last_line(done.stderr)}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _compose(graph_in: Path, graph_out: Path, env: dict[str, str]) -> None:
    """fstcompose HCLr G | fstrelabel (disambiguation → ε) | fstconvert const > HCLG.fst"""
    work = graph_out / ".compose"
    work.mkdir()
    try:
        stripped = work / "G.fst"
        _run(["fstsymbols", f"--save_osymbols={graph_out / 'words.txt'}", "--clear_isymbols",
              "--clear_osymbols", str(graph_in / "Gr.fst"), str(stripped)], env)
        relabel = work / "disambig-to-eps.txt"
        ids = (graph_in / "disambig_tid.int").read_text().split()
        relabel.write_text("".join(f"{i} 0\n" for i in ids))
        errors = [work / f"{n}.err" for n in ("compose", "relabel", "convert")]
        with (graph_out / "HCLG.fst").open("wb") as out, errors[0].open("w") as e0, \
                errors[1].open("w") as e1, errors[2].open("w") as e2:
            compose = subprocess.Popen(["fstcompose", str(graph_in / "HCLr.fst"),
                                        str(stripped)], stdout=subprocess.PIPE, stderr=e0,
                                       env=env)
            relabeled = subprocess.Popen(["fstrelabel", f"--relabel_ipairs={relabel}"],
                                         stdin=compose.stdout, stdout=subprocess.PIPE,
                                         stderr=e1, env=env)
            convert = subprocess.Popen(["fstconvert", "--fst_type=const"],
                                       stdin=relabeled.stdout, stdout=out, stderr=e2, env=env)
            assert compose.stdout is not None and relabeled.stdout is not None
            compose.stdout.close()  # the next tool owns the pipe now
            relabeled.stdout.close()
            codes = [p.wait() for p in (compose, relabeled, convert)]
        for code, err, tool in zip(codes, errors, ("fstcompose", "fstrelabel", "fstconvert"),
                                   strict=True):
            if code != 0:
                raise ModelCompileError(f"{tool} failed ({code}): "
                                        f"{_last_line(err.read_text())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compile_static(source: Path, target: Path) -> Compiled:
    """Make ``target`` a static-graph copy of the lookahead model ``source`` (replacing what
    is there; :func:`is_current` tells whether that is needed)."""
    _check_source(source)
    env = _tools_env()
    target.parent.mkdir(parents=True, exist_ok=True)
    _room(source, target)
    started = time.monotonic()
    building = target.parent / f".{target.name}.building"
    shutil.rmtree(building, ignore_errors=True)
    try:
        _copy_model(source, building)
        _compose(source / "graph", building / "graph", env)
        (building / "graph" / MARKER).write_text(json.dumps(fingerprint(source)))
        check = check_model(building)
        if not check.ok:
            raise ModelCompileError("the static copy does not check out: "
                                    + "; ".join(check.problems))
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)
        building.rename(target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    size = (target / "graph" / "HCLG.fst").stat().st_size / 1e6
    return Compiled(target, time.monotonic() - started, size)
