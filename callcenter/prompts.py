"""Build the voice prompts declared in config/prompts.yaml.

espeak-ng reads Chinese characters badly but tone-numbered pinyin well, so the text is turned
into pinyin (pypinyin; digits read one by one as on a phone: 12345 → yao1 er4 san1 si4 wu3)
unless the prompt gives its own ``pinyin``. The result is converted by sox to 8 kHz mono
16-bit WAV, which Asterisk plays without transcoding. A recorded file named by ``file:``
replaces the synthesis. Builds are cached by a hash of what was synthesized.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypinyin import Style, lazy_pinyin

from callcenter.config.loader import Config
from callcenter.config.models import Prompt
from callcenter.config.sounds import LANGUAGE as SOUND_LANGUAGE
from callcenter.errors import CallCenterError

VOICE = "cmn-latn-pinyin"
SPEED_WPM = 175
# Cut the synthesizer's leading and trailing silence: Asterisk strings sounds together
# ("您目前排在第" "三" "位"), and gaps between them sound broken.
TRIM = ("silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse")
DIGITS = {"0": "ling2", "1": "yao1", "2": "er4", "3": "san1", "4": "si4", "5": "wu3",
          "6": "liu4", "7": "qi1", "8": "ba1", "9": "jiu3"}
PAUSES = {"，": ", ", "。": ". ", "、": ", ", "；": "; ", "：": ": ", "！": ". ", "？": "? ",
          ",": ", ", ".": ". ", "-": " ", "—": " "}


class PromptBuildError(CallCenterError):
    error_id = "CC600"


@dataclass(frozen=True, slots=True)
class BuildResult:
    name: str
    action: str  # "built", "cached", "recorded"
    path: Path


def to_pinyin(text: str) -> str:
    """Chinese text → tone-numbered pinyin that espeak-ng's Mandarin voice reads well."""
    parts: list[str] = []
    # Non-Chinese runs come back one character at a time (the ``errors`` callback).
    keep_chars: Any = list
    for piece in lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True,
                             errors=keep_chars):
        if piece in DIGITS:
            parts.append(DIGITS[piece])
        elif piece in PAUSES:
            parts.append(PAUSES[piece].strip())
        elif piece.strip():
            parts.append(piece)
    text_out = " ".join(parts)
    for mark in (",", ".", ";", ":", "?"):
        text_out = text_out.replace(f" {mark}", mark)
    return text_out


def _digest(spoken: str) -> str:
    recipe = f"{VOICE}|{SPEED_WPM}|{' '.join(TRIM)}|{spoken}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        raise PromptBuildError(f"{tool} is not installed: run `apt-get install {tool}` "
                               f"(`./dev setup` does it)")


def synthesize(spoken: str, target: Path) -> None:
    _require("espeak-ng")
    _require("sox")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(SPEED_WPM), "-w", str(raw), spoken],
                       check=True, capture_output=True, timeout=60)
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed",
                        str(target), *TRIM, "norm", "-3"],
                       check=True, capture_output=True, timeout=60)


def build_prompt(name: str, prompt: Prompt, config: Config, out_dir: Path) -> BuildResult:
    return _build(name, prompt, config.recorded_prompt(name), out_dir / f"{name}.wav")


def _build(name: str, prompt: Prompt, recorded: Path | None, target: Path) -> BuildResult:
    if recorded is not None:
        return BuildResult(name, "recorded", recorded)
    spoken = prompt.pinyin or to_pinyin(prompt.text)
    stamp = target.with_suffix(".src")
    digest = _digest(spoken)
    if target.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return BuildResult(name, "cached", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        synthesize(spoken, target)
    except subprocess.CalledProcessError as exc:
        raise PromptBuildError(
            f"prompt {name!r}: {exc.cmd[0]} failed: "
            f"{(exc.stderr or b'').decode(errors='replace').strip()}") from None
    stamp.write_text(digest + "\n")
    return BuildResult(name, "built", target)


def sound_path(out_dir: Path, name: str) -> Path:
    """Where the build puts an Asterisk sound (``zh/queue-thereare.wav``, ``zh/digits/5.wav``)."""
    return out_dir / SOUND_LANGUAGE / f"{name}.wav"


def build_hold_music(out_dir: Path) -> Path:
    """A soft repeating chime (no licensed music ships with the project)."""
    _require("sox")
    moh = out_dir / "moh"
    moh.mkdir(parents=True, exist_ok=True)
    target = moh / "chime.wav"
    if not target.exists():
        notes = ["523.25", "659.25", "783.99", "659.25"]
        args: list[str] = []
        for note in notes:
            args += ["synth", "0.6", "sine", note, "fade", "0.05", "0.6", "0.3", ":"]
        args += ["synth", "1.6", "sine", "0", ":"]
        args = args[:-1] if args[-1] == ":" else args
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(target), *args,
                        "vol", "0.25"], check=True, capture_output=True, timeout=60)
    return target


def build_all(config: Config, out_dir: Path,
              say: Callable[[str], None] = print) -> list[BuildResult]:
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[BuildResult] = []

    def done(result: BuildResult) -> None:
        if result.action != "cached":
            say(f"{result.action:8} {result.name}: {result.path}")
        results.append(result)

    prompts = config.all_prompts
    for name in sorted(prompts):
        done(build_prompt(name, prompts[name], config, out_dir))
    for name, sound in sorted(config.asterisk_sounds.items()):
        done(_build(name, sound, config.recorded_sound(name), sound_path(out_dir, name)))
    build_hold_music(out_dir)
    return results
