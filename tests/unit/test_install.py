from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.paths import Paths
from callcenter.pbx.install import install, installed_version


def _fake_debootstrap(bin_dir: Path, script: str) -> None:
    bin_dir.mkdir()
    tool = bin_dir / "debootstrap"
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)


@pytest.mark.skipif(os.geteuid() != 0, reason="the installer needs root")
def test_failed_debootstrap_is_one_clear_sentence(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _fake_debootstrap(tmp_path / "bin", "echo 'E: Failed getting release file' ; exit 1\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    monkeypatch.setenv("CALLCENTER_VAR", str(tmp_path / "var"))
    for name in ("CALLCENTER_CHROOT", "CALLCENTER_INSTANCE"):  # this var's own chroot
        monkeypatch.delenv(name, raising=False)
    assert main(["asterisk", "install"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err  # one line, no traceback
    assert err.startswith("error: [CC200] debootstrap could not install Asterisk")
    assert "Failed getting release file" in err and "mirror is reachable" in err
    assert not (tmp_path / "var/asterisk/root").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the installer needs root")
def test_broken_install_is_reported_and_rebuilt(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    paths = Paths(tmp_path, tmp_path / "var")
    broken = paths.chroot / "usr/sbin"
    broken.mkdir(parents=True)
    (broken / "asterisk").write_text("not a program")
    version, why = installed_version(paths.chroot)
    assert version is None and "asterisk -V failed" in why
    _fake_debootstrap(tmp_path / "bin", "exit 3\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    said: list[str] = []
    with pytest.raises(Exception, match="exit 3"):
        install(paths, say=said.append)
    assert any("not usable" in line and "rebuilding" in line for line in said)
    assert not paths.chroot.exists()  # the broken tree was removed before rebuilding
