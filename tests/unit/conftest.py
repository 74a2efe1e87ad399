from __future__ import annotations

import pytest

from callcenter.users import hashing


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at its real cost takes ~50 ms a hash: unit tests use a cheap one (the real
    parameters are checked in test_users.py)."""
    monkeypatch.setattr(hashing, "N", 2**4)
