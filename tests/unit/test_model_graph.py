"""``models compile``: a tiny lookahead model (made with the OpenFst tools the way Kaldi's
lookahead recipe makes one) compiled into a static graph; the static graph must hold exactly
the sentences of HCLr ∘ Gr with the disambiguation symbol gone, and the words' names."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from callcenter.asr.graph import (
    ModelCompileError,
    compile_static,
    is_current,
    plugin_dir,
)
from callcenter.asr.model import check_model
from callcenter.cli import main

HAVE_TOOLS = shutil.which("fstcompose") is not None


@pytest.fixture(autouse=True)
def _need_openfst() -> None:
    if not HAVE_TOOLS:
        if os.environ.get("CI"):
            pytest.fail("OpenFst tools are not installed (./dev setup installs them)")
        pytest.skip("OpenFst tools are not installed (./dev setup installs them)")


# HCL: a lexicon loop; input labels stand for transition ids, 20 is a disambiguation symbol
HCL = "0 1 11 1\n1 0 12 0\n0 2 13 2\n2 0 14 0\n0 3 15 3\n3 0 20 0\n0\n"
WORDS = "<eps> 0\n打 1\n电话 2\n停水 3\n"
G = "0 1 打 打\n1 2 电话 电话\n0 3 停水 停水\n2\n3\n"  # two sentences: 打 电话 / 停水


def _fst(argv: list[str], env: dict[str, str], stdin: bytes | None = None) -> bytes:
    return subprocess.run(argv, input=stdin, capture_output=True, check=True, env=env).stdout


def lookahead_model(root: Path) -> Path:
    env = dict(os.environ, LD_LIBRARY_PATH=str(plugin_dir()))
    model = root / "tiny"
    graph = model / "graph"
    (graph / "phones").mkdir(parents=True)
    (model / "am").mkdir()
    (model / "conf").mkdir()
    (model / "ivector").mkdir()
    (model / "am" / "final.mdl").write_bytes(b"acoustic model")
    (model / "ivector" / "final.ie").write_bytes(b"ivector extractor")
    (model / "conf" / "mfcc.conf").write_text("--sample-frequency=8000\n")
    (model / "conf" / "model.conf").write_text("--beam=10.0\n")
    (graph / "phones" / "word_boundary.int").write_text("1 nonword\n")
    (graph / "disambig_tid.int").write_text("20\n")
    (root / "hcl.txt").write_text(HCL)
    (root / "words.txt").write_text(WORDS)
    (root / "g.txt").write_text(G)
    _fst(["fstcompile", str(root / "hcl.txt"), str(root / "hcl.fst")], env)
    _fst(["fstconvert", "--fst_type=olabel_lookahead",
          f"--save_relabel_opairs={root / 'relabel.txt'}", str(root / "hcl.fst"),
          str(graph / "HCLr.fst")], env)
    words = str(root / "words.txt")
    g = _fst(["fstcompile", f"--isymbols={words}", f"--osymbols={words}", "--keep_isymbols",
              "--keep_osymbols", str(root / "g.txt")], env)
    g = _fst(["fstrelabel", f"--relabel_ipairs={root / 'relabel.txt'}"], env, g)
    g = _fst(["fstarcsort", "--sort_type=ilabel"], env, g)
    (graph / "Gr.fst").write_bytes(_fst(["fstconvert", "--fst_type=const"], env, g))
    return model


def sentences(hclg: Path) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every (inputs, outputs) path of an acyclic FST, epsilons left out."""
    env = dict(os.environ, LD_LIBRARY_PATH=str(plugin_dir()))
    arcs: dict[int, list[tuple[int, int, int]]] = {}
    finals: set[int] = set()
    for line in _fst(["fstprint", str(hclg)], env).decode().splitlines():
        parts = line.split()
        if len(parts) <= 2:
            finals.add(int(parts[0]))
        else:
            arcs.setdefault(int(parts[0]), []).append(
                (int(parts[1]), int(parts[2]), int(parts[3])))
    found = set()

    def walk(state: int, ins: tuple[int, ...], outs: tuple[int, ...]) -> None:
        if state in finals:
            found.add((ins, outs))
        for target, label_in, label_out in arcs.get(state, []):
            walk(target, ins + ((label_in,) if label_in else ()),
                 outs + ((label_out,) if label_out else ()))

    walk(0, (), ())
    return found


def test_static_graph_holds_the_composed_sentences(tmp_path: Path) -> None:
    source = lookahead_model(tmp_path)
    assert check_model(source).ok and not check_model(source).static_graph
    target = tmp_path / "tiny-static"
    done = compile_static(source, target)
    check = check_model(target)
    assert check.ok, check.problems
    assert check.static_graph
    graph = target / "graph"
    assert not (graph / "HCLr.fst").exists() and not (graph / "Gr.fst").exists()
    assert sentences(graph / "HCLG.fst") == {((11, 12, 13, 14), (1, 2)), ((15,), (3,))}
    assert (graph / "words.txt").read_text().split() == WORDS.split()
    # everything else came along
    assert (target / "am" / "final.mdl").read_bytes() == b"acoustic model"
    assert (graph / "phones" / "word_boundary.int").is_file()
    assert done.path == target
    assert not list(tmp_path.glob(".*building"))
    assert is_current(source, target)
    (source / "graph" / "disambig_tid.int").write_text("20\n \n")  # the source changed
    assert not is_current(source, target)


def test_compile_refuses_what_it_cannot_use(tmp_path: Path) -> None:
    source = lookahead_model(tmp_path)
    static = tmp_path / "static"
    compile_static(source, static)
    with pytest.raises(ModelCompileError, match="already has a static graph"):
        compile_static(static, tmp_path / "again")
    (source / "graph" / "disambig_tid.int").unlink()
    with pytest.raises(ModelCompileError, match=r"disambig_tid\.int is missing"):
        compile_static(source, tmp_path / "other")
    (source / "graph" / "Gr.fst").write_bytes(b"not an fst")
    (source / "graph" / "disambig_tid.int").write_text("20\n")
    with pytest.raises(ModelCompileError, match="failed"):
        compile_static(source, tmp_path / "broken")
    assert not (tmp_path / "broken").exists()
    assert not list(tmp_path.glob(".*building"))


def _flat(text: str) -> str:
    return " ".join(text.split())  # the console wraps long lines


def test_models_compile_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = lookahead_model(tmp_path)
    assert main(["models", "compile"]) == 2
    assert "compile which model?" in capsys.readouterr().err
    assert main(["models", "compile", str(source)]) == 0
    assert "static graph" in _flat(capsys.readouterr().out)
    assert check_model(tmp_path / "tiny-static").static_graph
    assert main(["models", "compile", str(source)]) == 0
    assert "already compiled" in _flat(capsys.readouterr().out)
    assert main(["models", "compile", str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in capsys.readouterr().err
