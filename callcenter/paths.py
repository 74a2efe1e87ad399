"""Where the project keeps things on disk."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Paths:
    root: Path
    var: Path

    @classmethod
    def default(cls) -> Paths:
        var = os.environ.get("CALLCENTER_VAR")
        return cls(PROJECT_ROOT, Path(var).resolve() if var else PROJECT_ROOT / "var")

    def resolve(self, configured: str) -> Path:
        """A path from engine.yaml: relative ones are relative to the project directory."""
        path = Path(configured)
        return path if path.is_absolute() else self.root / path

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def run(self) -> Path:
        return self.var / "run"

    @property
    def log(self) -> Path:
        return self.var / "log"

    @property
    def secrets(self) -> Path:
        return self.var / "secrets.yaml"

    @property
    def chroot(self) -> Path:
        return self.var / "asterisk" / "root"

    @property
    def engine_pid(self) -> Path:
        return self.run / "engine.pid"

    @property
    def control_socket(self) -> Path:
        return self.run / "engine.sock"

    @property
    def templates(self) -> Path:
        return self.root / "asterisk" / "templates"

    @property
    def dialplan_templates(self) -> Path:
        return self.root / "dialplan"

    @property
    def prompt_build(self) -> Path:
        return self.root / "ivr_prompts" / "build"
