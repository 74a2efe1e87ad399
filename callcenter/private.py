"""Files that hold citizens' data (the ticket database and its WAL, the call log, secrets)
are the owner's alone: created 0600 in 0700 directories, and an existing one that is more
open is closed up — said in the log, since it was readable by others until then.

What is not ours to close up is left as it is: a path that is not a regular file (a device
such as /dev/null: refused before its directory is touched), and a shared directory (sticky
or writable by everyone, such as /tmp)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import structlog

from callcenter.errors import CallCenterError

log = structlog.get_logger("privacy")


class NotAPrivateFile(CallCenterError):
    """A path for citizens' data that is not a regular file (a device, a directory …)."""

    error_id = "CC050"

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """``path`` exists as a directory only its owner can enter (its parents as they are)."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _close_up(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` exists (empty if new) and only its owner can read it; its directory too."""
    if path.exists() and not path.is_file():
        raise NotAPrivateFile(f"{path} is not a regular file: citizens' data cannot be kept "
                              "there (nothing was changed)")
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE))
    _close_up(path, FILE_MODE)
    return path


def close_up(path: Path) -> None:
    """An existing file made owner-only (e.g. a database's -wal and -shm files)."""
    if path.exists():
        _close_up(path, FILE_MODE)


def write_private(path: Path, content: str | bytes) -> None:
    """Replace ``path`` atomically with ``content``: the new file is owner-only before the
    first byte is written, and readers see the old or the new file, never half of one."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    data = content.encode() if isinstance(content, str) else content
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _close_up(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if path.is_dir() and current & (stat.S_ISVTX | stat.S_IWOTH):
        log.warning("privacy.shared_directory", path=str(path), mode=oct(current),
                    effect="left as it is: keep citizens' data in a directory of its own")
        return
    if current & 0o077:
        path.chmod(mode)
        log.warning("privacy.mode_fixed", path=str(path), was=oct(current), now=oct(mode))
