"""Users with roles: slow hashes only, revocation, sessions with an expiry, sign-in limits,
and an audit trail nobody rewrites."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.audit import AuditEntry
from callcenter.errors import UnknownAgent, UserError
from callcenter.users import hashing
from callcenter.users.throttle import SignInThrottle
from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeDesk, FakeEngine


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[Door]:
    opened = await open_door(tmp_path, FakeEngine(FakeDesk()))
    yield opened
    await opened.store.close()


def test_real_hashes_are_scrypt_at_its_full_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "N", 2**14)
    stored = hashing.hash_secret("correct horse")
    assert stored.startswith("scrypt$16384$8$1$") and "correct horse" not in stored
    assert hashing.verify_secret("correct horse", stored)
    assert not hashing.verify_secret("correct hors", stored)
    assert stored != hashing.hash_secret("correct horse")  # salted
    for broken in ("", "scrypt$", "md5$1$2$3$4$5", stored + "x", "scrypt$x$8$1$AA==$AA=="):
        assert not hashing.verify_secret("correct horse", broken)


async def test_the_store_keeps_no_password_or_token(door: Door) -> None:
    async with door.store.db.execute("SELECT * FROM users") as cursor:
        dump = str([tuple(row) for row in await cursor.fetchall()])
    for name in door.tokens:
        assert door.tokens[name] not in dump and door.passwords[name] not in dump
        secret = door.tokens[name].split("_", 2)[2]
        assert secret not in dump


async def test_add_refuses_what_it_cannot_keep(door: Door) -> None:
    run, root = door.commands.run, door.actor("chen", "control")
    for args, error in (({"name": "li", "role": "agent", "agent": "1001"}, UserError),
                        ({"name": "Li Ming", "role": "agent", "agent": "1001"}, UserError),
                        ({"name": "x\nname", "role": "admin"}, UserError),
                        ({"name": "sun", "role": "boss"}, UserError),
                        ({"name": "sun", "role": "agent"}, UserError),
                        ({"name": "sun", "role": "supervisor", "agent": "1001"}, UserError),
                        ({"name": "sun", "role": "agent", "agent": "4711"}, UnknownAgent)):
        with pytest.raises(error):
            await run("user.add", args, root)
    made = await run("user.add", {"name": "sun", "role": "agent", "agent": "1002"}, root)
    assert made["password"] and made["token"].startswith("cc_")
    assert await door.users.by_password("sun", made["password"]) is not None
    rows = [(r["action"], r["target"], r["result"]) for r in await door.audit()]
    assert rows[-1] == ("user.add", "agent 1002 user sun", "ok")
    assert made["password"] not in str(await door.audit())


async def test_revoke_and_reset(door: Door) -> None:
    li = door.who["li"]
    assert await door.users.by_token(door.tokens["li"]) == li
    assert await door.users.by_password("li", door.passwords["li"]) == li
    session = await door.users.open_session(li, "127.0.0.1", door.clock(), timedelta(hours=1))
    await door.commands.run("user.revoke", {"name": "li"}, door.actor("chen"))
    assert await door.users.by_token(door.tokens["li"]) is None
    assert await door.users.by_password("li", door.passwords["li"]) is None
    assert await door.users.session(session.session_id, door.clock()) is None
    fresh = await door.commands.run("user.reset", {"name": "li"}, door.actor("chen"))
    assert await door.users.by_token(door.tokens["li"]) is None  # the old token stays dead
    assert await door.users.by_token(fresh["token"]) == li
    assert await door.users.by_password("li", fresh["password"]) == li
    listed = {u["name"]: u for u in await door.commands.run("user.list", {},
                                                           door.actor("chen"))}
    assert listed["li"]["revoked_at"] is None and listed["li"]["agent"] == "1001"
    assert "password_hash" not in listed["li"] and "token_hash" not in listed["li"]


async def test_a_session_ends_at_its_expiry(door: Door) -> None:
    session = await door.users.open_session(door.who["zhao"], "127.0.0.1", door.clock(),
                                            timedelta(hours=12))
    assert await door.users.session(session.session_id, door.clock()) is not None
    assert await door.users.session(session.session_id + "x", door.clock()) is None
    door.clock.now += timedelta(hours=12, seconds=1)
    assert await door.users.session(session.session_id, door.clock()) is None


async def test_audit_rows_are_never_rewritten(door: Door) -> None:
    await door.trail.record(AuditEntry("t", "li", "agent", "http", "127.0.0.1", "agent.pause",
                                       "agent 1001", "ok"))
    for sql in ("UPDATE audit SET result = 'CC1301'", "DELETE FROM audit",
                "UPDATE audit SET user = 'nobody' WHERE id = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await door.store.db.execute(sql)
    [row] = await door.audit()
    assert (row["user"], row["result"]) == ("li", "ok")


def test_failed_sign_ins_are_limited_per_user_and_address() -> None:
    throttle = SignInThrottle(per_user=5, per_address=20, window_s=900, lock_s=900)
    for i in range(4):
        throttle.failed("li", "10.0.0.1", float(i))
    assert throttle.wait_s("li", "10.0.0.1", 4.0) == 0
    throttle.failed("li", "10.0.0.1", 4.0)
    assert throttle.wait_s("li", "10.0.0.1", 5.0) == pytest.approx(899.0)
    assert throttle.wait_s("li", "10.0.0.2", 5.0) == 0  # another address
    assert throttle.wait_s("wang", "10.0.0.1", 5.0) == 0  # another user
    assert throttle.wait_s("li", "10.0.0.1", 905.0) == 0  # the lock has run its course
    for i in range(20):  # many names from one address
        throttle.failed(f"user{i}", "10.0.0.9", 1000.0 + i)
    assert throttle.wait_s("anyone", "10.0.0.9", 1020.0) > 0
    spread = SignInThrottle(per_user=5, window_s=900, lock_s=900)
    for i in range(10):  # one failure every 20 minutes: never locked
        spread.failed("li", "10.0.0.1", i * 1200.0)
        assert spread.wait_s("li", "10.0.0.1", i * 1200.0 + 1) == 0


async def test_the_web_sign_in(door: Door) -> None:
    async with TestClient(TestServer(door.app())) as client:
        bad = await client.post("/api/login", json={"user": "zhao", "password": "nope"})
        assert bad.status == 401 and "cc_session" not in bad.cookies
        r = await client.post("/api/login", json={"user": "zhao",
                                                  "password": door.passwords["zhao"]})
        assert r.status == 200
        body = await r.json()
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
        assert body["role"] == "supervisor" and body["csrf"]
        assert r.headers["Cache-Control"] == "no-store"
        me = await client.get("/api/me")  # the cookie alone, for a read
        assert (await me.json())["user"] == "zhao"
        no_csrf = await client.post("/api/agents/1001/pause", json={"reason": "小休"})
        assert no_csrf.status == 403 and "X-CSRF-Token" in (await no_csrf.json())["error"]
        csrf = {"X-CSRF-Token": body["csrf"]}
        elsewhere = await client.post("/api/agents/1001/pause", json={"reason": "小休"},
                                      headers={**csrf, "Origin": "http://evil.example"})
        assert elsewhere.status == 403
        ok = await client.post("/api/agents/1001/pause", json={"reason": "小休"}, headers=csrf)
        assert ok.status == 200
        out = await client.post("/api/logout", headers=csrf)
        assert out.status == 200
        again = await client.get("/api/me")
        assert again.status == 401
    actions = [(r["user"], r["action"], r["result"]) for r in await door.audit()]
    # the refusals for a missing CSRF token or another origin come before any command:
    # the audit trail has them too, with what was asked
    assert actions == [("zhao", "sign-in", "CC1300"), ("zhao", "sign-in", "ok"),
                       ("zhao", "web.refused", "CC1301"), ("zhao", "web.refused", "CC1301"),
                       ("zhao", "agent.pause", "ok"), ("zhao", "sign-out", "ok")]
    refused = [(r["target"], r["detail"]) for r in await door.audit()
               if r["action"] == "web.refused"]
    assert "X-CSRF-Token" in refused[0][1] and "another site" in refused[1][1]
    assert {target for target, _ in refused} == {"POST /api/agents/1001/pause"}


async def test_sign_in_is_throttled_over_http(door: Door) -> None:
    async with TestClient(TestServer(door.app())) as client:
        for _ in range(5):
            r = await client.post("/api/login", json={"user": "li", "password": "guess"})
            assert r.status == 401
        r = await client.post("/api/login", json={"user": "li",
                                                  "password": door.passwords["li"]})
        assert r.status == 429 and (await r.json())["error_id"] == "CC1302"
        garbage = await client.post("/api/login", data=b"{")
        assert garbage.status == 400
    results = [r["result"] for r in await door.audit()]
    assert results == ["CC1300"] * 5 + ["CC1302"]


async def test_a_token_is_hashed_once_then_looked_up(door: Door,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = hashing.verify_secret

    def counted(secret: str, stored: str) -> bool:
        calls.append(secret)
        return real(secret, stored)

    monkeypatch.setattr("callcenter.users.store.verify_secret", counted)
    token = door.tokens["zhao"]
    for _ in range(5):
        assert await door.users.by_token(token) == door.who["zhao"]
    assert len(calls) == 1
    assert await door.users.by_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert len(calls) == 2  # a wrong secret is always hashed (and refused)
    fresh = await door.users.reset("zhao", door.clock())
    assert await door.users.by_token(token) is None  # the cached check is of the old hash
    assert await door.users.by_token(fresh.token) == door.who["zhao"]
