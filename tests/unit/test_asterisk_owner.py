"""Asterisk runs as the chroot's own user: its uid and gid come from the chroot's files and
are no host account's, its state directories become its own, the configuration it reads is
root's and its group's only, and paths in the chroot never lead out of it (a fake chroot and a
fake host in a temporary directory)."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.errors import AsteriskInstallError, AsteriskProcessError
from callcenter.pbx import install, owner, renumber
from callcenter.pbx.confgen import RenderedFile, write

# numbers no host is likely to have for anyone: they are read from the chroot, not the host
UID, GID = 4242, 4343
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def fake_chroot(root: Path, user: bool = True, uid: int = UID, gid: int = GID) -> Path:
    (root / "etc").mkdir(parents=True)
    passwd = ["root:x:0:0:root:/root:/bin/bash", "# a comment", "broken line",
              "_apt:x:42:65534::/nonexistent:/usr/sbin/nologin"]
    group = ["root:x:0:", "dialout:x:20:asterisk"]
    if user:
        passwd.append(f"asterisk:x:{uid}:{gid}:Asterisk PBX daemon:/var/lib/asterisk:"
                      "/usr/sbin/nologin")
        group.append(f"asterisk:x:{gid}:")
    (root / "etc/passwd").write_text("\n".join(passwd) + "\n")
    (root / "etc/group").write_text("\n".join(group) + "\n")
    return root


def fake_host(root: Path, passwd: list[str], group: list[str]) -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("\n".join(passwd) + "\n")
    (root / "etc/group").write_text("\n".join(group) + "\n")
    return root


@pytest.fixture
def host(tmp_path: Path) -> Path:
    """A host like the lab's: postgres is uid 101, _ssh is gid 101 (Debian's first system ids,
    which the chroot's Debian gave its asterisk too), and the top of the reserved range is
    someone's group."""
    top = renumber.RESERVED[-1]
    return fake_host(tmp_path / "host",
                     ["root:x:0:0:root:/root:/bin/bash", "postgres:x:101:104::/var/lib:/bin/sh",
                      "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin"],
                     ["root:x:0:", "_ssh:x:101:", "postgres:x:104:", f"late:x:{top}:"])


@pytest.fixture
def umask_077() -> Iterator[None]:
    old = os.umask(0o077)  # the strictest an admin's shell might have
    try:
        yield
    finally:
        os.umask(old)


def test_the_user_comes_from_the_chroots_own_files(tmp_path: Path, host: Path) -> None:
    root = fake_chroot(tmp_path / "root")
    assert owner.chroot_user(root, host=host) == owner.ChrootUser("asterisk", UID, GID)


def test_a_chroot_without_the_user_is_one_clear_error(tmp_path: Path) -> None:
    root = fake_chroot(tmp_path / "root", user=False)
    assert owner.find_user(root) is None
    with pytest.raises(AsteriskProcessError, match=r"no user and group .asterisk.*install"):
        owner.chroot_user(root)
    (root / "etc/passwd").write_text("asterisk:x:0:0::/:/bin/sh\n")
    (root / "etc/group").write_text("asterisk:x:0:\n")
    with pytest.raises(AsteriskProcessError, match="root's id"):
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
    with pytest.raises(AsteriskProcessError, match="too many symbolic links"):
        owner.chroot_path(root, "/var/loop/x")


@as_root
def test_a_state_dir_becomes_asterisks_own(tmp_path: Path, host: Path) -> None:
    root = fake_chroot(tmp_path / "root")
    user = owner.chroot_user(root, host=host)
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
    with pytest.raises(AsteriskProcessError, match="symbolic link"):
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


FREE = renumber.RESERVED[-2]  # the highest id the fake host leaves free


class ChrootTools:
    """The chroot's groupadd, useradd, groupmod and usermod, as far as the fake chroot needs
    them: what each would change in its passwd and group files."""

    def __init__(self, added: tuple[int, int] = (101, 101)) -> None:
        self.ran: list[list[str]] = []
        self.added = added

    def __call__(self, command: list[str], **_kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.ran.append(command)
        root, tool, args = Path(command[1]), command[2].rsplit("/", 1)[1], command[3:]
        if tool == "useradd":
            uid, gid = self.added
            with (root / "etc/passwd").open("a") as passwd:
                passwd.write(f"asterisk:x:{uid}:{gid}::/var/lib/asterisk:/usr/sbin/nologin\n")
            with (root / "etc/group").open("a") as group:
                group.write(f"asterisk:x:{gid}:\n")
        elif tool in ("groupmod", "usermod"):
            table = root / ("etc/group" if tool == "groupmod" else "etc/passwd")
            lines = []
            for line in table.read_text().splitlines():
                fields = line.split(":")
                if fields[0] == args[-1]:
                    fields[2] = args[1]  # --gid N / --uid N
                    if tool == "usermod":
                        fields[3] = args[3]  # --gid N
                lines.append(":".join(fields))
            table.write_text("\n".join(lines) + "\n")
        return subprocess.CompletedProcess(command, 0, "", "")

    def tools(self) -> list[str]:
        return [command[2] for command in self.ran]


def test_ids_in_a_system_are_its_users_and_groups(host: Path) -> None:
    assert owner.ids_in(host) == {0, 101, 104, 65534, renumber.RESERVED[-1]}
    chroot = fake_chroot(host.parent / "root")
    assert owner.ids_in(chroot) == {0, 42, 65534, 20, UID, GID}
    assert owner.ids_in(chroot, skip="asterisk") == {0, 42, 65534, 20}
    assert owner.ids_in(host.parent / "nothing") == frozenset()


def test_the_id_is_the_highest_free_one_of_the_reserved_range() -> None:
    top = renumber.RESERVED[-1]
    debian = owner.ChrootUser("asterisk", 101, 101)
    assert renumber.free_id(debian, frozenset()) == top
    assert renumber.free_id(debian, {top, top - 1, 101}) == top - 2
    # the same answer whatever order the ids are found in
    assert renumber.free_id(debian, {top - 1, top}) == renumber.free_id(debian, {top, top - 1})
    # an id it has already, its own, in the range and free, is kept
    assert renumber.free_id(owner.ChrootUser("asterisk", top - 5, top - 5), {top}) == top - 5
    # … but not when uid and gid differ, when it is taken, or outside the range
    assert renumber.free_id(owner.ChrootUser("asterisk", top - 5, top - 6), set()) == top
    assert renumber.free_id(owner.ChrootUser("asterisk", top - 5, top - 5), {top - 5}) == top
    assert renumber.free_id(owner.ChrootUser("asterisk", 5000, 5000), set()) == top
    assert renumber.RESERVED[0] > 60000 and top < 61184  # people's ids; systemd's dynamic ones
    with pytest.raises(AsteriskInstallError, match="no id from"):
        renumber.free_id(debian, set(renumber.RESERVED))


def test_a_host_accounts_id_is_refused(host: Path) -> None:
    root = fake_chroot(host.parent / "root", uid=101, gid=101)
    with pytest.raises(AsteriskProcessError, match=r"uid 101 and gid 101.*asterisk install"):
        owner.chroot_user(root, host=host)
    root = fake_chroot(host.parent / "gid", uid=FREE, gid=104)  # the gid alone is enough
    with pytest.raises(AsteriskProcessError, match="accounts of its own"):
        owner.chroot_user(root, host=host)
    root = fake_chroot(host.parent / "own", uid=FREE, gid=FREE)
    assert owner.chroot_user(root, host=host) == owner.ChrootUser("asterisk", FREE, FREE)


def test_install_adds_the_user_only_to_a_chroot_without_it(
        tmp_path: Path, host: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = ChrootTools(added=(FREE, FREE))
    monkeypatch.setattr(subprocess, "run", tools)
    root = fake_chroot(tmp_path / "with", uid=FREE, gid=FREE)
    assert install.ensure_asterisk_user(root, host).uid == FREE and tools.ran == []

    root = fake_chroot(tmp_path / "without", user=False)
    assert install.ensure_asterisk_user(root, host) == owner.ChrootUser("asterisk", FREE, FREE)
    assert [c[:3] for c in tools.ran] == [["chroot", str(root), "/usr/sbin/groupadd"],
                                          ["chroot", str(root), "/usr/sbin/useradd"]]

    monkeypatch.setattr(subprocess, "run",
                        lambda command, **_: subprocess.CompletedProcess(command, 1, "", ""))
    root = fake_chroot(tmp_path / "broken", user=False)
    with pytest.raises(AsteriskInstallError, match="could not add the user 'asterisk'"):
        install.ensure_asterisk_user(root, host)


@as_root
def test_install_gives_asterisk_an_id_no_host_account_has(
        tmp_path: Path, host: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = ChrootTools()
    monkeypatch.setattr(subprocess, "run", tools)
    root = fake_chroot(tmp_path / "root", uid=101, gid=101)  # as Debian makes it
    state = root / "var/lib/asterisk"
    state.mkdir(parents=True)
    (state / "astdb.sqlite3").write_text("")
    for path in (state, state / "astdb.sqlite3"):
        os.chown(path, 101, 101)

    user = install.ensure_asterisk_user(root, host)

    assert user == owner.ChrootUser("asterisk", FREE, FREE)
    assert owner.chroot_user(root, host=host) == user
    assert tools.tools() == ["/usr/sbin/groupmod", "/usr/sbin/usermod"]
    for path in (state, state / "astdb.sqlite3"):
        assert (path.stat().st_uid, path.stat().st_gid) == (FREE, FREE)
    tools.ran.clear()  # done: the next run only reads the passwd and group files
    assert install.ensure_asterisk_user(root, host) == user and tools.ran == []


def test_install_does_not_move_the_id_under_a_running_asterisk(
        tmp_path: Path, host: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = ChrootTools()
    monkeypatch.setattr(subprocess, "run", tools)
    monkeypatch.setattr(renumber, "processes_in", lambda _root: [4711])
    root = fake_chroot(tmp_path / "root", uid=101, gid=101)
    with pytest.raises(AsteriskInstallError, match=r"from uid 101/gid 101 .*\(pid 4711\).*down"):
        install.ensure_asterisk_user(root, host)
    assert tools.ran == [] and owner.find_user(root) == owner.ChrootUser("asterisk", 101, 101)


def test_processes_in_a_root_are_found() -> None:
    assert os.getpid() in renumber.processes_in(Path("/"))  # this one's root is the host's /
    assert renumber.processes_in(Path("/nonexistent-chroot")) == []


@as_root
def test_reowning_stays_in_the_chroot(tmp_path: Path) -> None:
    root = tmp_path / "root"
    old = owner.ChrootUser("asterisk", 101, 101)
    (root / "var/lib/asterisk").mkdir(parents=True)
    (root / "etc").mkdir()
    outside = tmp_path / "host-postgres-file"  # the host's: uid 101 is postgres there
    outside.write_text("")
    os.chown(outside, 101, 104)
    mounted = root / "proc"  # as if something were mounted there: never entered
    mounted.mkdir()
    (mounted / "inside-a-mount").write_text("")
    os.chown(mounted / "inside-a-mount", 101, 101)

    made = {"var/lib/asterisk": (101, 101), "var/lib/asterisk/astdb": (101, 101),
            "etc/callcenter.conf": (0, 101), "etc/someone-elses": (777, 777),
            "var/lib/asterisk/ours-twice": (101, 101)}
    for name, (uid, gid) in made.items():
        path = root / name
        if not path.exists():
            path.write_text("")
        os.chown(path, uid, gid)
    os.link(root / "var/lib/asterisk/ours-twice", root / "etc/second-name")
    (root / "var/lib/asterisk/to-host").symlink_to(outside)
    os.chown(root / "var/lib/asterisk/to-host", 101, 101, follow_symlinks=False)
    (root / "var/run").symlink_to("/run")  # absolute, as debootstrap makes it
    os.link(outside, root / "var/lib/asterisk/hard-to-host")

    left = renumber.reown(root, old, FREE, mounts=[mounted])

    def ids(name: str) -> tuple[int, int]:
        st = (root / name).lstat()
        return st.st_uid, st.st_gid

    assert ids("var/lib/asterisk") == ids("var/lib/asterisk/astdb") == (FREE, FREE)
    assert ids("etc/callcenter.conf") == (0, FREE)  # root's file, the group's gid
    assert ids("etc/someone-elses") == (777, 777)
    assert ids("var/lib/asterisk/ours-twice") == (FREE, FREE)  # both its names are here
    assert ids("var/lib/asterisk/to-host") == (FREE, FREE)  # the link itself, not its target
    # nothing outside the chroot, nor in a mount, nor through a link out of it, was touched
    assert (outside.stat().st_uid, outside.stat().st_gid) == (101, 104)
    assert (mounted / "inside-a-mount").stat().st_uid == 101
    assert left == [root / "var/lib/asterisk/hard-to-host"]
    assert renumber.reown(root, old, FREE, mounts=[mounted]) == left  # nothing else to do
