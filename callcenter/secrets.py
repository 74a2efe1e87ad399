"""Secrets live in the git-ignored ``var/secrets.yaml`` (made on first use) or the environment."""

from __future__ import annotations

import os
import secrets as _random
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

ENV_AMI_SECRET = "CALLCENTER_AMI_SECRET"


@dataclass(frozen=True, slots=True)
class Secrets:
    ami_secret: str


def load_secrets(path: Path) -> Secrets:
    """Read the secrets file, creating it (mode 0600) with fresh random values if missing."""
    yaml = YAML(typ="safe")
    data: dict[str, str] = {}
    if path.exists():
        loaded = yaml.load(path.read_text(encoding="utf-8")) or {}
        data = {str(k): str(v) for k, v in dict(loaded).items()}
    changed = False
    if not data.get("ami_secret"):
        data["ami_secret"] = _random.token_urlsafe(24)
        changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("# generated; never commit this file\n")
            yaml.dump(data, out)
    return Secrets(ami_secret=os.environ.get(ENV_AMI_SECRET) or data["ami_secret"])
