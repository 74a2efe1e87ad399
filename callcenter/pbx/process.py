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
from callcenter.errors import AsteriskProcessError
from callcenter.paths import Paths
from callcenter.pbx import asterisk_log, confgen, owner
from callcenter.pbx.install import installed_version
from callcenter.private import private_file
from callcenter.prompts import sound_path
from callcenter.secrets import Secrets

# How Asterisk is started inside the chroot. Asterisk keeps CAP_NET_ADMIN when it drops root
# (for TOS bits we do not use) unless it cannot keep capabilities across setuid: locking
# "keep caps" off makes it drop them all (it logs "Unable to keep capabilities"), and
# no_new_privs stops it from gaining any back through a setuid program in the chroot.
START = ("/usr/bin/setpriv", "--securebits=+keep_caps_locked", "--no-new-privs",
         "/usr/sbin/asterisk")


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


class AsteriskProcess:
    def __init__(self, paths: Paths, config: Config, secrets: Secrets) -> None:
        self.paths = paths
        self.config = config
        self.secrets = secrets
        self.root = paths.chroot
        self.pid_file = paths.run / "asterisk.pid"
        self.etc = paths.in_chroot(confgen.ETC_DIR)
        self.conf = f"{self.etc}/asterisk.conf"

    def host_path(self, inside: str) -> Path:
        """A path of the chroot's, on the host (the chroot's own symbolic links followed)."""
        return owner.chroot_path(self.root, inside)

    # -- configuration ---------------------------------------------------------------------

    def generate(self) -> list[str]:
        """Render config into the chroot and copy the prompts; returns changed file names.
        The files are readable by Asterisk's group and nobody else (they hold secrets)."""
        self._require_install()
        user = owner.chroot_user(self.root)
        files = confgen.render(self.config, self.secrets, self.paths)
        changed = confgen.write(files, self.host_path(self.etc), group=user.gid)
        self._sync_sounds()
        return changed

    def _sync_sounds(self) -> None:
        """Copy prompts, hold music and sounds in: public files Asterisk (not root) reads."""
        prompt_dest = self.host_path(confgen.PROMPT_DIR)
        moh_dest = self.host_path(confgen.MOH_DIR)
        for dest in (prompt_dest, moh_dest):
            owner.public_dir(dest, top=dest.parent)
        build = self.paths.prompt_build
        for name in self.config.all_prompts:
            source = self.config.recorded_prompt(name) or build / f"{name}.wav"
            if source.is_file():
                _copy_sound(source, prompt_dest / f"{name}{source.suffix}", prompt_dest)
        sound_dest = self.host_path(f"{confgen.SOUNDS_DIR}/{SOUND_LANGUAGE}")
        for name in self.config.asterisk_sounds:
            source = self.config.recorded_sound(name) or sound_path(build, name)
            if source.is_file():
                _copy_sound(source, sound_dest / f"{name}{source.suffix}", sound_dest)
        for hold in sorted((build / "moh").glob("*.wav")):
            shutil.copyfile(hold, moh_dest / hold.name)
            owner.public_file(moh_dest / hold.name)

    # -- process ---------------------------------------------------------------------------

    def pid(self) -> int | None:
        return read_pid(self.pid_file, "asterisk")

    def up(self) -> str:
        """Start Asterisk in the chroot. It drops root to the chroot's "asterisk" user
        (asterisk.conf), which owns its state directories; root keeps the control socket
        (``asterisk -rx``) and the engine talks AMI over loopback TCP."""
        self.generate()
        pid = self.pid()
        if pid is not None:
            return f"Asterisk is already up (pid {pid})"
        user = owner.chroot_user(self.root)
        for directory in confgen.STATE_DIRS:
            owner.state_dir(self.host_path(self.paths.in_chroot(directory)), user)
        # res_crypto (loaded for the browser softphones) reads <astkeydir>/keys: none are
        # used, the directory must exist
        owner.state_dir(self.host_path(self.paths.in_chroot("/var/lib/asterisk")) / "keys", user)
        asterisk_log.turn_over(self.host_path(self.paths.in_chroot("/var/log/asterisk")))
        run_dir = self.host_path(self.paths.in_chroot("/var/run/asterisk"))
        (run_dir / "asterisk.ctl").unlink(missing_ok=True)
        self.paths.run.mkdir(parents=True, exist_ok=True)
        # what Asterisk says on its console can name callers: owner-only, like the call log
        console = private_file(self.paths.log / "asterisk-console.log").open("ab")
        with console:
            process = subprocess.Popen(
                ["chroot", str(self.root), *START, "-f", "-C", self.conf],
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True, umask=0o077,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        deadline = time.monotonic() + self.config.engine.asterisk.boot_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise AsteriskProcessError(
                    f"Asterisk exited during boot (status {process.returncode}); see "
                    f"{self.paths.log / 'asterisk-console.log'}")
            done = self._run_cli("core waitfullybooted", timeout=5, check=False)
            if done.returncode == 0 and "fully booted" in done.stdout.lower():
                return f"Asterisk is up (pid {process.pid})"
            time.sleep(0.2)
        self._kill(process.pid)
        raise AsteriskProcessError(
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
            raise AsteriskProcessError(f"'{command}' took longer than {timeout:g} s") from None
        if check and done.returncode != 0:
            raise AsteriskProcessError(
                f"'{command}' failed: {(done.stderr or done.stdout).strip() or 'no output'}")
        return done

    def cli(self, command: str) -> str:
        if self.pid() is None:
            raise AsteriskProcessError("Asterisk is not running: start it with "
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
            raise AsteriskProcessError(
                "Asterisk is not installed: run `python run.py asterisk install`")


def _copy_sound(source: Path, target: Path, top: Path) -> None:
    owner.public_dir(target.parent, top)
    for other in target.parent.glob(f"{target.stem}.*"):
        if other != target:  # Asterisk must not find an older format of it
            other.unlink()
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    owner.public_file(target)
