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
from callcenter.pbx import owner, renumber

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


def _chroot_tool(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """One of the chroot's own account tools (/usr/sbin/<name>), run inside it."""
    return subprocess.run(["chroot", str(root), f"/usr/sbin/{command[0]}", *command[1:]],
                          capture_output=True, text=True, timeout=60, check=False)


def _add_user(root: Path) -> owner.ChrootUser:
    """The Debian package adds the user when it is configured (seen in debootstrap's log:
    "Adding system user for Asterisk"); a chroot that lacks it gets it the same way."""
    _chroot_tool(root, "groupadd", "--force", "--system", owner.USER)
    # fails harmlessly when only the group was missing
    _chroot_tool(root, "useradd", "--system", "--gid", owner.USER, "--home-dir",
                 "/var/lib/asterisk", "--no-create-home", "--shell", "/usr/sbin/nologin",
                 owner.USER)
    user = owner.find_user(root)
    if user is None:
        raise AsteriskInstallError(
            f"could not add the user '{owner.USER}' that Asterisk runs as to the chroot {root}")
    return user


def ensure_asterisk_user(root: Path, host: Path = owner.HOST) -> owner.ChrootUser:
    """The chroot's system user and group that Asterisk runs as, with an id of their own: one
    that neither the host (the system at ``host``) nor the chroot gives anyone else
    (renumber.py). Quick when that is so already: only the passwd and group files are read."""
    user = owner.find_user(root) or _add_user(root)
    new_id = renumber.free_id(user, owner.ids_in(host) | owner.ids_in(root, skip=owner.USER))
    if user.uid == user.gid == new_id:
        return user
    busy = [pid for pid in renumber.processes_in(root) if pid != os.getpid()]
    if busy:
        raise AsteriskInstallError(
            f"'{owner.USER}' in the chroot {root} must move from uid {user.uid}/gid {user.gid} "
            f"to an id of its own, {new_id}, and processes run in the chroot "
            f"(pid {', '.join(map(str, busy))}): stop every Asterisk of it (`python run.py "
            f"down`, and other instances'), then run `python run.py asterisk install` again")
    left = renumber.reown(root, user, new_id, mounts=[Path(m) for m in _mounts_below(root)])
    if left:
        raise AsteriskInstallError(
            f"{', '.join(map(str, left))} in {root} belong to '{owner.USER}' (uid {user.uid}) "
            f"and have hard links outside the chroot: left as they are; remove them or "
            f"change their owner by hand, then run `python run.py asterisk install` again")
    for command in (("groupmod", "--gid", str(new_id), owner.USER),
                    ("usermod", "--uid", str(new_id), "--gid", str(new_id), owner.USER)):
        done = _chroot_tool(root, *command)
        if done.returncode != 0:
            raise AsteriskInstallError(
                f"{command[0]} in the chroot {root} failed (exit {done.returncode}): "
                f"{(done.stderr or done.stdout).strip() or 'no output'}")
    moved = owner.find_user(root)
    if moved != owner.ChrootUser(owner.USER, new_id, new_id):
        raise AsteriskInstallError(
            f"'{owner.USER}' in the chroot {root} did not get the id {new_id}: {moved}")
    return moved


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
        ensure_asterisk_user(root)
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
    ensure_asterisk_user(partial)
    partial.rename(root)
    say(f"installed {version} in {root}")
    return version
