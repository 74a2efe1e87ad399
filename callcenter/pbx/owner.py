"""Who Asterisk runs as, and who owns what it reads and writes.

Asterisk drops root right after reading asterisk.conf (``runuser``/``rungroup``) and runs as
the chroot's own system user "asterisk", which the Debian package adds (install.py makes sure).
Its uid and gid come from the chroot's /etc/passwd and /etc/group, never from the host's. As
there are no user namespaces, the kernel takes the chroot's asterisk for whoever has that
number on the host (Debian gave it 101: the host's postgres, whose processes it could then
signal): install.py gives it an id no host account and nothing else in the chroot uses
(``free_id``), and ``chroot_user`` refuses to run Asterisk as a host account's id.

- State directories (astdb, logs, spool with any recordings, the control socket, cache):
  Asterisk's own, 0700 — they hold citizens' data; nobody but Asterisk and root enters.
- Generated configuration (SIP passwords, the AMI secret): root's, group asterisk, 0640 in a
  0750 directory — Asterisk reads it, cannot change it, and nobody else can read it.
- Prompts, hold music and sounds: root's, 0644 in 0755 directories — public recordings.

Paths inside the chroot are found with ``chroot_path``: the chroot has absolute symbolic links
(``/var/run`` → ``/run``) that, followed from the host, would lead to the host's own /run.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from callcenter.errors import AsteriskProcessError

USER = "asterisk"  # asterisk.conf.j2 names the same user and group
HOST = Path("/")  # the host's own passwd and group files are under it
STATE_DIR_MODE = 0o700
CONFIG_DIR_MODE = 0o750
CONFIG_FILE_MODE = 0o640
PUBLIC_DIR_MODE = 0o755
PUBLIC_FILE_MODE = 0o644


@dataclass(frozen=True, slots=True)
class ChrootUser:
    name: str
    uid: int
    gid: int


def _table(path: Path) -> list[list[str]]:
    """The lines of a passwd or group file, split into fields; a missing file is empty."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    return [line.split(":") for line in lines]


def _number(table: Path, name: str) -> int | None:
    """The third field (uid in passwd, gid in group) of ``name``'s line in ``table``."""
    for fields in _table(table):
        if len(fields) >= 4 and fields[0] == name and fields[2].isdigit():
            return int(fields[2])
    return None


def ids_in(root: Path, skip: str | None = None) -> frozenset[int]:
    """Every id the passwd and group files of the system at ``root`` use: users' uids and
    primary gids, groups' gids; the lines of user and group ``skip`` left out."""
    taken: set[int] = set()
    for table, columns in (("etc/passwd", (2, 3)), ("etc/group", (2,))):
        for fields in _table(root / table):
            if len(fields) >= 4 and fields[0] != skip:
                taken.update(int(fields[c]) for c in columns if fields[c].isdigit())
    return frozenset(taken)


def find_user(root: Path, name: str = USER) -> ChrootUser | None:
    """The user ``name`` and the group of the same name in the chroot at ``root``, if both exist."""
    uid = _number(root / "etc/passwd", name)
    gid = _number(root / "etc/group", name)
    return None if uid is None or gid is None else ChrootUser(name, uid, gid)


def chroot_user(root: Path, name: str = USER, host: Path = HOST) -> ChrootUser:
    """The user Asterisk runs as; refused when it would be root or one of the host's accounts
    (the system at ``host``), which the kernel could not tell from it."""
    user = find_user(root, name)
    if user is None:
        raise AsteriskProcessError(
            f"the Asterisk chroot {root} has no user and group '{name}' to run Asterisk as: "
            f"run `python run.py asterisk install` (it adds them)")
    if user.uid == 0 or user.gid == 0:
        raise AsteriskProcessError(f"'{name}' in the Asterisk chroot {root} is root's id")
    if {user.uid, user.gid} & ids_in(host):
        raise AsteriskProcessError(
            f"'{name}' in the Asterisk chroot {root} has uid {user.uid} and gid {user.gid}, "
            f"which the host gives to accounts of its own: run `python run.py asterisk "
            f"install` (it gives '{name}' an id of its own)")
    return user


def chroot_path(root: Path, inside: str) -> Path:
    """Where ``inside`` (a path as the chroot sees it) is on the host, following symbolic links
    as the chroot would: an absolute link target starts again at ``root``, never at the host's
    /. Missing components are taken as they are (the caller creates them)."""
    todo = list(PurePosixPath(inside).parts[1:])
    done = PurePosixPath("/")
    links = 0
    while todo:
        part = todo.pop(0)
        if part in (".", ""):
            continue
        if part == "..":
            done = done.parent
            continue
        host = root / (done / part).relative_to("/")
        if not host.is_symlink():
            done = done / part
            continue
        links += 1
        if links > 40:
            raise AsteriskProcessError(f"too many symbolic links in {inside} in {root}")
        target = PurePosixPath(os.readlink(host))
        if target.is_absolute():
            done = PurePosixPath("/")
        todo = [*target.parts[1 if target.is_absolute() else 0:], *todo]
    return root / done.relative_to("/")


def set_owner(path: Path, mode: int, uid: int = -1, gid: int = -1) -> None:
    """``path`` gets ``mode`` and the owner ``uid``/``gid`` (-1: unchanged); only what differs is
    changed. For paths in directories only root can write: a symbolic link is refused."""
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        raise AsteriskProcessError(f"{path} is a symbolic link: refusing to change its owner")
    if (uid not in (-1, st.st_uid)) or (gid not in (-1, st.st_gid)):
        os.chown(path, uid, gid, follow_symlinks=False)
    if stat.S_IMODE(st.st_mode) != mode:
        path.chmod(mode)


def state_dir(path: Path, user: ChrootUser) -> None:
    """``path`` exists as Asterisk's own 0700 directory, and what root left in it (an Asterisk
    that ran as root) becomes Asterisk's, so that it can go on writing its logs and astdb."""
    path.mkdir(parents=True, exist_ok=True, mode=STATE_DIR_MODE)
    set_owner(path, STATE_DIR_MODE, user.uid, user.gid)
    _hand_over(path, user)


def _hand_over(path: Path, user: ChrootUser) -> None:
    """Entries below ``path`` that root owns become ``user``'s. Asterisk can write in this tree,
    so it is walked without following symbolic links (each name is changed relative to its open
    directory, a link itself is skipped), and a file with a second hard link is left alone: it
    could be a link to a file elsewhere."""
    for _where, dirs, files, dir_fd in os.fwalk(path, follow_symlinks=False):
        for name in dirs + files:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if st.st_uid != 0 or stat.S_ISLNK(st.st_mode):
                continue
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
                continue
            os.chown(name, user.uid, user.gid, dir_fd=dir_fd, follow_symlinks=False)


def public_dir(path: Path, top: Path) -> None:
    """``path`` and its parents up to and including ``top`` exist and anyone can enter them."""
    chain = [path, *path.parents]
    if top not in chain:
        raise ValueError(f"{path} is not {top} or below it")
    path.mkdir(parents=True, exist_ok=True)
    for directory in chain[:chain.index(top) + 1]:
        set_owner(directory, PUBLIC_DIR_MODE)


def public_file(path: Path) -> None:
    set_owner(path, PUBLIC_FILE_MODE)
