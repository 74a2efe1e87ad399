"""Asterisk does not run as root: the lab's Asterisk runs as the chroot's own "asterisk" user,
whose id no host account has (the kernel could not tell them apart), with no capabilities,
owns only its state directories, reads the configuration (which holds SIP passwords and the
AMI secret) through its group, and nobody else can read any of it; what the engine writes
about citizens stays root's alone."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time
from pathlib import Path

from callcenter.app import Engine
from callcenter.pbx import confgen, owner
from callcenter.pbx.owner import ChrootUser
from tests.integration.conftest import Lab

NOBODY = ChrootUser("nobody", 65534, 65534)
PERMISSION_ERROR = re.compile(
    r"permission denied|unable to (open|access|write)|unable to create (dir|file)", re.I)


def owner_mode(path: Path) -> tuple[int, int, int]:
    st = path.lstat()
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {key: value.strip() for key, _, value in (line.partition(":") for line in lines)}


def ids_named_in(etc: Path) -> tuple[set[int], set[int]]:
    """(uids, gids) that a system's passwd and group files name (users' primary groups too)."""
    uids: set[int] = set()
    gids: set[int] = set()
    for line in (etc / "passwd").read_text(errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) >= 4 and fields[2].isdigit() and fields[3].isdigit():
            uids.add(int(fields[2]))
            gids.add(int(fields[3]))
    for line in (etc / "group").read_text(errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            gids.add(int(fields[2]))
    return uids, gids


def read_as(lab: Lab, user: ChrootUser, inside: str) -> subprocess.CompletedProcess[bytes]:
    """Read a file in the chroot as ``user`` would (the first bytes)."""
    return subprocess.run(["chroot", f"--userspec={user.uid}:{user.gid}", "--groups=",
                           str(lab.paths.chroot), "/usr/bin/head", "-c", "4", inside],
                          capture_output=True, timeout=10, check=False)


def test_asterisk_runs_as_the_chroots_own_user(lab: Lab) -> None:
    user = owner.chroot_user(lab.paths.chroot)
    assert user.uid != 0 and user.gid != 0
    pid = lab.asterisk.pid()
    assert pid is not None
    status = proc_status(pid)
    assert status["Name"] == "asterisk"
    assert status["Uid"].split() == [str(user.uid)] * 4  # real, effective, saved, filesystem
    assert status["Gid"].split() == [str(user.gid)] * 4
    assert int(status["CapPrm"], 16) == 0 and int(status["CapEff"], 16) == 0
    assert status["NoNewPrivs"] == "1"
    # root still has the console through the control socket
    assert "System uptime" in lab.asterisk.cli("core show uptime")


def test_asterisks_id_is_no_host_accounts(lab: Lab) -> None:
    """The chroot's asterisk has an id that the host's /etc/passwd and /etc/group give nobody:
    it cannot signal, or own files of, a host account (postgres had its id once)."""
    user = owner.chroot_user(lab.paths.chroot)
    assert 0 not in (user.uid, user.gid)
    host_uids, host_gids = ids_named_in(Path("/etc"))
    assert user.uid not in host_uids | host_gids, user
    assert user.gid not in host_uids | host_gids, user
    pid = lab.asterisk.pid()
    assert pid is not None
    status = proc_status(pid)
    assert status["Uid"].split()[0] == str(user.uid)
    assert status["Gid"].split()[0] == str(user.gid)
    # nothing in the chroot was left to the old id: every owner is one the chroot names
    chroot_uids, chroot_gids = ids_named_in(lab.paths.chroot / "etc")
    device = lab.paths.chroot.stat().st_dev
    strays = []
    for where, dirs, files, dir_fd in os.fwalk(lab.paths.chroot, follow_symlinks=False):
        for name in dirs + files:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if st.st_dev == device and (st.st_uid not in chroot_uids
                                        or st.st_gid not in chroot_gids):
                strays.append((f"{where}/{name}", st.st_uid, st.st_gid))
        dirs[:] = [d for d in dirs if os.stat(d, dir_fd=dir_fd,
                                              follow_symlinks=False).st_dev == device]
    assert strays == []


def test_the_configuration_is_root_and_asterisks_group_only(lab: Lab) -> None:
    user = owner.chroot_user(lab.paths.chroot)
    etc = lab.asterisk.host_path(lab.asterisk.etc)
    assert owner_mode(etc) == (0, user.gid, 0o750)
    names = sorted(p.name for p in etc.iterdir())
    assert {"pjsip.conf", "manager.conf", "asterisk.conf"} <= set(names)
    for name in names:
        assert owner_mode(etc / name) == (0, user.gid, 0o640), name
    assert lab.secrets.ami_secret in (etc / "manager.conf").read_text()
    password = next(iter(lab.secrets.sip_passwords.values()))
    assert password in (etc / "pjsip.conf").read_text()
    pjsip = f"{lab.asterisk.etc}/pjsip.conf"
    assert read_as(lab, user, pjsip).returncode == 0
    assert read_as(lab, NOBODY, pjsip).returncode != 0


def test_the_state_dirs_are_asterisks_alone(lab: Lab) -> None:
    user = owner.chroot_user(lab.paths.chroot)
    state = {d: lab.asterisk.host_path(lab.paths.in_chroot(d)) for d in confgen.STATE_DIRS}
    for directory in state.values():
        assert owner_mode(directory) == (user.uid, user.gid, 0o700), directory
        assert str(directory).startswith(str(lab.paths.chroot) + "/")  # not the host's /run
    # what Asterisk writes there it owns: the astdb, its log, the control socket, its pid
    assert owner_mode(state["/var/lib/asterisk"] / "astdb.sqlite3")[0] == user.uid
    assert owner_mode(state["/var/log/asterisk"] / "messages.log")[0] == user.uid
    run = state["/var/run/asterisk"]
    assert owner_mode(run / "asterisk.ctl") == (user.uid, user.gid, 0o600)
    assert int((run / "asterisk.pid").read_text()) == lab.asterisk.pid()
    messages = f"{lab.paths.in_chroot('/var/log/asterisk')}/messages.log"
    assert read_as(lab, NOBODY, messages).returncode != 0


def test_prompts_hold_music_and_sounds_are_readable_by_asterisk(lab: Lab) -> None:
    user = owner.chroot_user(lab.paths.chroot)
    wanted = [confgen.PROMPT_DIR, confgen.MOH_DIR, f"{confgen.SOUNDS_DIR}/zh/digits"]
    for directory in wanted:
        found = sorted(lab.asterisk.host_path(directory).glob("*.wav"))
        assert found, directory
        done = read_as(lab, user, f"{directory}/{found[0].name}")
        assert done.returncode == 0 and done.stdout == b"RIFF", (directory, done.stderr)


async def test_citizens_data_the_engine_writes_is_roots_alone(lab: Lab, engine: Engine) -> None:
    database = lab.paths.resolve(lab.config.engine.paths.database)
    lab.log_lines()  # the call log is flushed to its file
    files = [database, lab.call_log, lab.paths.secrets]
    files += [p for p in (database.with_name(database.name + s) for s in ("-wal", "-shm"))
              if p.exists()]
    assert len(files) >= 4, files  # the store runs in WAL mode while the engine is up
    for path in files:
        assert owner_mode(path) == (0, 0, 0o600), path
        assert owner_mode(path.parent)[::2] == (0, 0o700), path.parent


def test_a_restart_as_asterisk_logs_no_permission_error(lab: Lab) -> None:
    console = lab.paths.log / "asterisk-console.log"
    lab.asterisk.down()
    start = console.stat().st_size
    lab.asterisk.up()
    assert lab.asterisk.pid() is not None
    deadline = time.monotonic() + 5
    while True:  # its console lines reach the file as it writes them
        said = console.read_bytes()[start:].decode("utf-8", errors="replace")
        if "Asterisk Ready" in said or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "Asterisk Ready" in said
    assert not PERMISSION_ERROR.findall(said), said
    assert owner_mode(console)[::2] == (0, 0o600)
