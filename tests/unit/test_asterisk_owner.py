"""Asterisk runs as the chroot's own user: its uid and gid come from the chroot's files, its
state directories become its own, the configuration it reads is root's and its group's only,
and paths in the chroot never lead out of it (a fake chroot in a temporary directory)."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.errors import AsteriskControlError, AsteriskInstallError
from callcenter.pbx import install, owner
from callcenter.pbx.confgen import RenderedFile, write

# numbers no host is likely to have for anyone: they are read from the chroot, not the host
UID, GID = 4242, 4343
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def fake_chroot(root: Path, user: bool = True) -> Path:
    (root / "etc").mkdir(parents=True)
    passwd = ["root:x:0:0:root:/root:/bin/bash", "# a comment", "broken line",
              "_apt:x:42:65534::/nonexistent:/usr/sbin/nologin"]
    group = ["root:x:0:", "dialout:x:20:asterisk"]
    if user:
        passwd.append(f"asterisk:x:{UID}:{GID}:Asterisk PBX daemon:/var/lib/asterisk:"
                      "/usr/sbin/nologin")
        group.append(f"asterisk:x:{GID}:")
    (root / "etc/passwd").write_text("\n".join(passwd) + "\n")
    (root / "etc/group").write_text("\n".join(group) + "\n")
    return root


@pytest.fixture
def umask_077() -> Iterator[None]:
    old = os.umask(0o077)  # the strictest an admin's shell might have
    try:
        yield
    finally:
        os.umask(old)


def test_the_user_comes_from_the_chroots_own_files(tmp_path: Path) -> None:
    root = fake_chroot(tmp_path / "root")
    assert owner.chroot_user(root) == owner.ChrootUser("asterisk", UID, GID)


def test_a_chroot_without_the_user_is_one_clear_error(tmp_path: Path) -> None:
    root = fake_chroot(tmp_path / "root", user=False)
    assert owner.find_user(root) is None
    with pytest.raises(AsteriskControlError, match=r"no user and group .asterisk.*install"):
        owner.chroot_user(root)
    (root / "etc/passwd").write_text("asterisk:x:0:0::/:/bin/sh\n")
    (root / "etc/group").write_text("asterisk:x:0:\n")
    with pytest.raises(AsteriskControlError, match="root's id"):
        owner.chroot_user(root)


def test_paths_in_the_chroot_never_lead_to_the_hosts(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "var/lib").mkdir(parents=True)
    (root / "run").mkdir()
    (root / "usr/bin").mkdir(parents=True)
    (root / "var/run").symlink_to("/run")  # as debootstrap makes it: absolute
    (root / "bin").symlink_to("usr/bin")  # merged /usr: relative
    (root / "var/loop").symlink_to("loop")
    assert owner.chroot_path(root, "/var/run/asterisk-test") == root / "run/asterisk-test"
    assert owner.chroot_path(root, "/bin/sh") == root / "usr/bin/sh"
    assert owner.chroot_path(root, "/var/lib/asterisk") == root / "var/lib/asterisk"
    assert owner.chroot_path(root, "/../../etc/./passwd") == root / "etc/passwd"
    with pytest.raises(AsteriskControlError, match="too many symbolic links"):
        owner.chroot_path(root, "/var/loop/x")


@as_root
def test_a_state_dir_becomes_asterisks_own(tmp_path: Path) -> None:
    root = fake_chroot(tmp_path / "root")
    user = owner.chroot_user(root)
    state = root / "var/lib/asterisk"
    (state / "sounds").mkdir(parents=True, mode=0o755)
    (state / "astdb.sqlite3").write_text("left by an Asterisk that ran as root")
    elsewhere = tmp_path / "shadow"  # outside the state dir, e.g. the host's /etc/shadow
    elsewhere.write_text("secret")
    (state / "link").symlink_to(elsewhere)
    os.link(elsewhere, state / "hardlink")
    (state / "someone-elses").write_text("")
    os.chown(state / "someone-elses", 777, 777)

    owner.state_dir(state, user)

    assert mode(state) == 0o700
    for name in ("", "sounds", "astdb.sqlite3"):
        st = (state / name).lstat()
        assert (st.st_uid, st.st_gid) == (UID, GID), name
    assert elsewhere.stat().st_uid == 0  # neither the symbolic nor the hard link was followed
    assert (state / "link").lstat().st_uid == 0
    assert (state / "someone-elses").stat().st_uid == 777
    owner.state_dir(root / "var/spool/asterisk-test", user)  # a new one is made
    assert mode(root / "var/spool/asterisk-test") == 0o700


def test_owners_of_a_symbolic_link_are_never_changed(tmp_path: Path) -> None:
    (tmp_path / "target").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(AsteriskControlError, match="symbolic link"):
        owner.set_owner(tmp_path / "link", 0o700)


@as_root
def test_config_files_are_root_and_asterisks_group_only(tmp_path: Path,
                                                        umask_077: None) -> None:
    etc = tmp_path / "root/etc/callcenter"
    etc.mkdir(parents=True)
    (etc / "manager.conf").write_text("secret = same\n")  # unchanged, but left 0600 root:root
    (etc / "manager.conf").chmod(0o600)
    (etc / "old.conf").write_text("")
    files = [RenderedFile("manager.conf", "secret = same\n"),
             RenderedFile("pjsip.conf", "password = pw\n")]

    assert write(files, etc, group=GID) == ["pjsip.conf", "old.conf"]

    assert mode(etc) == 0o750 and etc.stat().st_gid == GID
    assert sorted(p.name for p in etc.iterdir()) == ["manager.conf", "pjsip.conf"]
    for name in ("manager.conf", "pjsip.conf"):
        st = (etc / name).stat()
        assert (st.st_uid, st.st_gid, mode(etc / name)) == (0, GID, 0o640), name
    assert write(files, etc, group=GID) == []


def test_without_a_group_config_files_are_owner_only(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    write([RenderedFile("pjsip.conf", "password = pw\n")], etc)
    assert mode(etc) == 0o700 and mode(etc / "pjsip.conf") == 0o600


def test_prompts_are_readable_whatever_the_umask(tmp_path: Path, umask_077: None) -> None:
    top = tmp_path / "root/var/lib/callcenter"
    prompts = top / "prompts" / "sub"
    owner.public_dir(prompts, top)
    (prompts / "welcome.wav").write_bytes(b"RIFF")
    owner.public_file(prompts / "welcome.wav")
    assert [mode(p) for p in (top, top / "prompts", prompts)] == [0o755] * 3
    assert mode(prompts / "welcome.wav") == 0o644
    assert mode(top.parent) == 0o700  # above the top: left as it was
    before = mode(tmp_path)
    with pytest.raises(ValueError):  # not below the top: nothing is made or changed
        owner.public_dir(tmp_path / "x", top)
    assert not (tmp_path / "x").exists() and mode(tmp_path) == before


def test_install_adds_the_user_only_to_a_chroot_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []

    def chroot_tools(command: list[str], **_kwargs: Any) -> subprocess.CompletedProcess[str]:
        ran.append(command)
        if command[2] == "/usr/sbin/useradd":  # what the chroot's groupadd and useradd do
            with (root / "etc/passwd").open("a") as passwd:
                passwd.write(f"asterisk:x:{UID}:{GID}::/var/lib/asterisk:/usr/sbin/nologin\n")
            with (root / "etc/group").open("a") as group:
                group.write(f"asterisk:x:{GID}:\n")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", chroot_tools)
    root = fake_chroot(tmp_path / "with")
    assert install.ensure_asterisk_user(root).uid == UID and ran == []

    root = fake_chroot(tmp_path / "without", user=False)
    assert install.ensure_asterisk_user(root) == owner.ChrootUser("asterisk", UID, GID)
    assert [c[:3] for c in ran] == [["chroot", str(root), "/usr/sbin/groupadd"],
                                    ["chroot", str(root), "/usr/sbin/useradd"]]

    monkeypatch.setattr(subprocess, "run",
                        lambda command, **_: subprocess.CompletedProcess(command, 1, "", ""))
    root = fake_chroot(tmp_path / "broken", user=False)
    with pytest.raises(AsteriskInstallError, match="could not add the user 'asterisk'"):
        install.ensure_asterisk_user(root)
