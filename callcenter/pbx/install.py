"""Install Asterisk 22 from Debian unstable into a chroot under var/ with debootstrap.

Idempotent: a working install of the right major version is reused; a broken one is reported
and rebuilt. Nothing is installed into the host's root: sid's libc must stay in the chroot.
The mirror is debootstrap's default (the machine's configured sources), never a URL of ours.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from callcenter.errors import AsteriskInstallError
from callcenter.paths import Paths

SUITE = "sid"
PACKAGES = ("asterisk",)
REQUIRED_MAJOR = 22
_VERSION = re.compile(r"Asterisk (\d+)\.(\d+)\.(\d+)\S*")


def installed_version(root: Path) -> tuple[str | None, str]:
    """(version, "") when the chroot runs Asterisk; (None, why not) otherwise."""
    binary = root / "usr/sbin/asterisk"
    if not binary.exists():
        return None, "no Asterisk binary" if root.exists() else "not installed"
    try:
        done = subprocess.run(["chroot", str(root), "/usr/sbin/asterisk", "-V"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"asterisk -V failed: {exc}"
    match = _VERSION.search(done.stdout)
    if done.returncode != 0 or match is None:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return None, f"asterisk -V failed: {detail[0]}"
    if int(match.group(1)) != REQUIRED_MAJOR:
        return None, f"found {match.group(0)}, need Asterisk {REQUIRED_MAJOR}"
    return match.group(0), ""


def _mounts_below(path: Path) -> list[str]:
    prefix = str(path.resolve())
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return []
    points = [line.split()[1] for line in lines if len(line.split()) > 1]
    return [p for p in points if p == prefix or p.startswith(prefix + "/")]


def remove_tree(path: Path) -> None:
    """Delete a chroot, refusing if anything is mounted inside (a bound /dev would be lost)."""
    mounted = _mounts_below(path)
    if mounted:
        raise AsteriskInstallError(
            f"refusing to delete {path}: {', '.join(mounted)} is mounted inside; unmount it first"
        )
    shutil.rmtree(path)


def install(paths: Paths, *, force: bool = False,
            say: Callable[[str], None] = print) -> str:
    root = paths.chroot
    version, why = installed_version(root)
    if version is not None and not force:
        say(f"{version} is already installed in {root}")
        return version
    if root.exists():
        say(f"the install in {root} is not usable ({why or 'rebuild asked'}); rebuilding it")
        remove_tree(root)
    if os.geteuid() != 0:
        raise AsteriskInstallError("installing Asterisk needs root (debootstrap and chroot)")
    if shutil.which("debootstrap") is None:
        raise AsteriskInstallError(
            "debootstrap is not installed: run `apt-get install debootstrap` "
            "(`./dev setup` does it)")
    partial = root.with_name(root.name + ".partial")
    if partial.exists():
        remove_tree(partial)
    partial.parent.mkdir(parents=True, exist_ok=True)
    log_path = paths.log / "asterisk-install.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    say(f"installing Asterisk {REQUIRED_MAJOR} from Debian {SUITE} into {root} "
        f"(about a minute; log: {log_path})")
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
               SUITE, str(partial)]
    with log_path.open("w") as log:
        try:
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT,
                                  timeout=1800, check=False)
        except subprocess.TimeoutExpired:
            raise AsteriskInstallError(
                f"debootstrap did not finish within 30 minutes; see {log_path}") from None
    if done.returncode != 0:
        last = [line for line in log_path.read_text(errors="replace").splitlines()
                if line.strip()][-1:] or ["no output"]
        raise AsteriskInstallError(
            f"debootstrap could not install Asterisk from Debian {SUITE} (exit "
            f"{done.returncode}: {last[0].strip()}); check that Debian's package mirror is "
            f"reachable from this machine, then run `python run.py asterisk install` again")
    for deb in (partial / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    version, why = installed_version(partial)
    if version is None:
        raise AsteriskInstallError(f"the new chroot does not run Asterisk: {why}; see {log_path}")
    partial.rename(root)
    say(f"installed {version} in {root}")
    return version
