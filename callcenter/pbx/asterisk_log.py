"""Asterisk's own log (logger.conf) stays small: the log of this run and of the run before.

Asterisk cannot bound its logs itself: each of its rotate strategies keeps every old file, so
logger.conf says ``rotatestrategy = none`` and the log is turned over here, each time Asterisk
starts: messages.log becomes messages.log.1, replacing the one before. What Asterisk writes
there is modest (notices, warnings, errors; not what it does on calls), and the run before is
kept for whoever asks why it stopped.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from callcenter.errors import AsteriskProcessError

LOGS = ("messages.log",)  # the files of logger.conf.j2's [logfiles]


def turn_over(directory: Path) -> list[str]:
    """Each log in ``directory`` (Asterisk's log directory, with Asterisk stopped) becomes
    ``<name>.1``; returns the names turned over. Asterisk can write in this directory: names
    are renamed within it, nothing is opened or followed."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise AsteriskProcessError(f"cannot open Asterisk's log directory {directory}: "
                                   f"{exc.strerror}") from None
    turned = []
    try:
        for name in LOGS:
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(st.st_mode):
                raise AsteriskProcessError(f"{directory / name} is not a file")
            if st.st_size == 0:
                continue
            try:
                os.replace(name, f"{name}.1", src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except OSError as exc:
                raise AsteriskProcessError(
                    f"cannot turn over {directory / name}: {exc.strerror}") from None
            turned.append(name)
    finally:
        os.close(dir_fd)
    return turned
