"""Give the chroot's "asterisk" user and group an id of their own (owner.py says why).

The id is the highest in ``RESERVED`` that neither the host's passwd and group files nor the
chroot's other users and groups use: the same on every run on the same host. ``RESERVED`` is
above the ids Debian gives people (up to 60000) and systemd-homed's (60001-60513), and below
the ids systemd hands its DynamicUser services on the fly (61184-65519), which no passwd file
lists.

Moving to the new id: what the old uid or gid owns in the chroot is re-owned first, then the
chroot's own groupmod and usermod change the files. A run cut short is finished by the next
one (the passwd file still says the old id, and re-owning again is harmless).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Set
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.errors import AsteriskInstallError
from callcenter.pbx.owner import ChrootUser

RESERVED = range(60514, 61184)


def free_id(user: ChrootUser, taken: Set[int]) -> int:
    """The id for ``user`` (uid and gid alike): the one it has if uid and gid are the same, in
    ``RESERVED`` and not ``taken``; else the highest of ``RESERVED`` that is not ``taken``."""
    if user.uid == user.gid and user.uid in RESERVED and user.uid not in taken:
        return user.uid
    for number in reversed(RESERVED):
        if number not in taken:
            return number
    raise AsteriskInstallError(
        f"no id from {RESERVED.start} to {RESERVED.stop - 1} is free for '{user.name}'")


def processes_in(root: Path) -> list[int]:
    """The processes whose root directory is ``root`` or below it (an Asterisk running in the
    chroot, a CLI attached to it)."""
    top = os.path.realpath(root)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            where = os.readlink(entry / "root")
        except OSError:  # gone, or not ours to see
            continue
        if where == top or where.startswith(top + "/"):
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class _Linked:
    """A file with more than one name: re-owned only when all its names are in the chroot."""

    names: list[Path] = field(default_factory=list)
    nlink: int = 0
    owner: tuple[int, int] = (-1, -1)


def reown(root: Path, old: ChrootUser, new_id: int,
          mounts: Collection[Path] = ()) -> list[Path]:
    """What ``old``'s uid or gid owns in the chroot at ``root`` gets ``new_id`` instead (uid
    for uid, gid for gid). Like ``find -xdev``: other file systems and ``mounts`` are not
    entered, symbolic links are changed themselves, never followed (each name is changed
    relative to its open directory). A file with names outside the chroot (more hard links
    than names found here) is left as it is; those names are returned."""
    top = root.resolve()
    device = os.lstat(top).st_dev
    skip = {os.path.realpath(m) for m in mounts}
    linked: dict[int, _Linked] = {}
    for where, dirs, files, dir_fd in os.fwalk(top, follow_symlinks=False):
        subdirs, enter = set(dirs), []
        for name in dirs + files:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if st.st_dev != device or os.path.join(where, name) in skip:
                continue
            if name in subdirs:
                enter.append(name)
            uid = new_id if st.st_uid == old.uid else -1
            gid = new_id if st.st_gid == old.gid else -1
            if uid == gid == -1:
                continue
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
                entry = linked.setdefault(st.st_ino, _Linked(nlink=st.st_nlink, owner=(uid, gid)))
                entry.names.append(Path(where, name))
                continue
            os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)
        dirs[:] = enter
    left: list[Path] = []
    for inode, entry in sorted(linked.items()):
        if len(entry.names) < entry.nlink:
            left.extend(entry.names)
        elif os.lstat(entry.names[0]).st_ino == inode:
            os.chown(entry.names[0], *entry.owner, follow_symlinks=False)
    return left
