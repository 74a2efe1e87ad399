"""Where the project keeps things on disk."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Paths:
    """``var``: this instance's runtime files (pid files, control socket, logs, secrets).
    Several instances can share one Asterisk chroot (``chroot_dir``), each Asterisk with
    its own configuration and state directories inside it (``instance``: "" for the
    default one, e.g. "test" for the test suite's)."""

    root: Path
    var: Path
    instance: str = ""
    chroot_dir: Path | None = None

    @classmethod
    def default(cls) -> Paths:
        """From the environment: CALLCENTER_VAR, CALLCENTER_INSTANCE, CALLCENTER_CHROOT."""
        var = os.environ.get("CALLCENTER_VAR")
        chroot = os.environ.get("CALLCENTER_CHROOT")
        return cls(PROJECT_ROOT, Path(var).resolve() if var else PROJECT_ROOT / "var",
                   os.environ.get("CALLCENTER_INSTANCE", ""),
                   Path(chroot).resolve() if chroot else None)

    def environment(self) -> dict[str, str]:
        """The variables that make Paths.default() in another process be these paths."""
        return {"CALLCENTER_VAR": str(self.var), "CALLCENTER_INSTANCE": self.instance,
                "CALLCENTER_CHROOT": str(self.chroot)}

    def in_chroot(self, directory: str) -> str:
        """An Asterisk directory inside the chroot, as this instance's own
        (``/var/run/asterisk`` → ``/var/run/asterisk-test``)."""
        return f"{directory}-{self.instance}" if self.instance else directory

    def resolve(self, configured: str) -> Path:
        """A path from engine.yaml: relative ones are relative to the project directory."""
        path = Path(configured)
        return path if path.is_absolute() else self.root / path

    def own(self, configured: str) -> Path:
        """An instance's own data file from engine.yaml (the store, the call log): like
        :meth:`resolve`, but one under ``var/`` is in this instance's runtime directory
        (``CALLCENTER_VAR``), so another instance never writes into the project's store."""
        path = Path(configured)
        if not path.is_absolute() and path.parts and path.parts[0] == "var":
            return self.var.joinpath(*path.parts[1:])
        return self.resolve(configured)

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
        return self.chroot_dir or self.var / "asterisk" / "root"

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

    @property
    def www(self) -> Path:
        """What setup builds for browsers (jssip.min.js): the project's, for every instance."""
        return self.root / "var" / "www"
