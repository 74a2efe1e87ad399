"""Start, stop and query the local Asterisk that runs in the chroot."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from callcenter.config.loader import Config
from callcenter.config.sounds import LANGUAGE as SOUND_LANGUAGE
from callcenter.errors import AsteriskControlError
from callcenter.paths import Paths
from callcenter.pbx import confgen
from callcenter.pbx.install import installed_version
from callcenter.prompts import sound_path
from callcenter.secrets import Secrets


@dataclass(frozen=True, slots=True)
class AsteriskState:
    running: bool
    pid: int | None
    version: str | None
    uptime: str = ""
    detail: str = ""


def process_alive(pid: int, name_part: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else "?"
    return state != "Z" and name_part.encode() in cmdline


def read_pid(path: Path, name_part: str) -> int | None:
    """The pid in a pid file if that process is alive; a stale file is removed."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if process_alive(pid, name_part):
        return pid
    path.unlink(missing_ok=True)
    return None


class AsteriskControl:
    def __init__(self, paths: Paths, config: Config, secrets: Secrets) -> None:
        self.paths = paths
        self.config = config
        self.secrets = secrets
        self.root = paths.chroot
        self.pid_file = paths.run / "asterisk.pid"
        self.etc = paths.in_chroot(confgen.ETC_DIR)
        self.conf = f"{self.etc}/asterisk.conf"

    # -- configuration ---------------------------------------------------------------------

    def generate(self) -> list[str]:
        """Render config into the chroot and copy the prompts; returns changed file names."""
        self._require_install()
        files = confgen.render(self.config, self.secrets, self.paths)
        changed = confgen.write(files, self.root / self.etc.lstrip("/"))
        self._sync_sounds()
        return changed

    def _sync_sounds(self) -> None:
        prompt_dest = self.root / confgen.PROMPT_DIR.lstrip("/")
        moh_dest = self.root / confgen.MOH_DIR.lstrip("/")
        for dest in (prompt_dest, moh_dest):
            dest.mkdir(parents=True, exist_ok=True)
        build = self.paths.prompt_build
        for name in self.config.all_prompts:
            source = self.config.recorded_prompt(name) or build / f"{name}.wav"
            if source.is_file():
                _copy_sound(source, prompt_dest / f"{name}{source.suffix}")
        sound_dest = self.root / confgen.SOUNDS_DIR.lstrip("/") / SOUND_LANGUAGE
        for name in self.config.asterisk_sounds:
            source = self.config.recorded_sound(name) or sound_path(build, name)
            if source.is_file():
                _copy_sound(source, sound_dest / f"{name}{source.suffix}")
        for hold in sorted((build / "moh").glob("*.wav")):
            shutil.copyfile(hold, moh_dest / hold.name)

    # -- process ---------------------------------------------------------------------------

    def pid(self) -> int | None:
        return read_pid(self.pid_file, "asterisk")

    def up(self) -> str:
        self.generate()
        pid = self.pid()
        if pid is not None:
            return f"Asterisk is already up (pid {pid})"
        for directory in confgen.STATE_DIRS:
            (self.root / self.paths.in_chroot(directory).lstrip("/")).mkdir(
                parents=True, exist_ok=True)
        run_dir = self.paths.in_chroot("/var/run/asterisk").lstrip("/")
        (self.root / run_dir / "asterisk.ctl").unlink(missing_ok=True)
        self.paths.run.mkdir(parents=True, exist_ok=True)
        self.paths.log.mkdir(parents=True, exist_ok=True)
        console = (self.paths.log / "asterisk-console.log").open("ab")
        with console:
            process = subprocess.Popen(
                ["chroot", str(self.root), "/usr/sbin/asterisk", "-f", "-C", self.conf],
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        deadline = time.monotonic() + self.config.engine.asterisk.boot_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise AsteriskControlError(
                    f"Asterisk exited during boot (status {process.returncode}); see "
                    f"{self.paths.log / 'asterisk-console.log'}")
            done = self._run_cli("core waitfullybooted", timeout=5, check=False)
            if done.returncode == 0 and "fully booted" in done.stdout.lower():
                return f"Asterisk is up (pid {process.pid})"
            time.sleep(0.2)
        self._kill(process.pid)
        raise AsteriskControlError(
            f"Asterisk did not finish booting within "
            f"{self.config.engine.asterisk.boot_timeout_s:g} s; stopped it")

    def down(self) -> str:
        pid = self.pid()
        if pid is None:
            return "Asterisk is already down"
        self._run_cli("core stop now", timeout=10, check=False)
        if not self._wait_exit(pid, 10.0):
            self._kill(pid)
        self.pid_file.unlink(missing_ok=True)
        return f"Asterisk stopped (was pid {pid})"

    def _wait_exit(self, pid: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not process_alive(pid, "asterisk"):
                self._reap(pid)
                return True
            time.sleep(0.05)
        return False

    @staticmethod
    def _reap(pid: int) -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

    def _kill(self, pid: int) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            if self._wait_exit(pid, 5.0):
                return

    # -- CLI -------------------------------------------------------------------------------

    def _run_cli(self, command: str, timeout: float = 30,
                 check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(
                ["chroot", str(self.root), "/usr/sbin/asterisk", "-C", self.conf, "-rx", command],
                capture_output=True, text=True, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            raise AsteriskControlError(f"'{command}' took longer than {timeout:g} s") from None
        if check and done.returncode != 0:
            raise AsteriskControlError(
                f"'{command}' failed: {(done.stderr or done.stdout).strip() or 'no output'}")
        return done

    def cli(self, command: str) -> str:
        if self.pid() is None:
            raise AsteriskControlError("Asterisk is not running: start it with "
                                       "`python run.py asterisk up`")
        return self._run_cli(command).stdout

    def state(self) -> AsteriskState:
        version, why = installed_version(self.root)
        pid = self.pid()
        if pid is None:
            return AsteriskState(False, None, version, detail=why)
        uptime = ""
        done = self._run_cli("core show uptime seconds", timeout=10, check=False)
        for line in done.stdout.splitlines():
            if line.startswith("System uptime:"):
                uptime = line.split(":", 1)[1].strip() + " s"
        return AsteriskState(True, pid, version, uptime)

    def _require_install(self) -> None:
        if not (self.root / "usr/sbin/asterisk").exists():
            raise AsteriskControlError(
                "Asterisk is not installed: run `python run.py asterisk install`")


def _copy_sound(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for other in target.parent.glob(f"{target.stem}.*"):
        if other != target:  # Asterisk must not find an older format of it
            other.unlink()
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
