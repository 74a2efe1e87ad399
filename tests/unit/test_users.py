"""Users with roles: slow hashes only, revocation, sessions with an expiry, sign-in limits,
and an audit trail nobody rewrites."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.actors import LOCAL
from callcenter.audit import AuditEntry
from callcenter.errors import Forbidden, UnknownAgent, UserError
from callcenter.store.db import NoSuchRow
from callcenter.users import hashing
from callcenter.users.throttle import SignInThrottle
from tests.unit.people import PEOPLE, Door, open_door
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
    run, root = door.commands.run, LOCAL  # the server's command line adds at once
    for args, error in (({"name": "li", "role": "agent", "agent": "1001"}, UserError),
                        ({"name": "Li Ming", "role": "agent", "agent": "1001"}, UserError),
                        ({"name": "x\nname", "role": "admin"}, UserError),
                        ({"name": "sun", "role": "boss"}, UserError),
                        ({"name": "sun", "role": "agent"}, UserError),
                        ({"name": "sun", "role": "supervisor", "agent": "1001"}, UserError),
                        ({"name": "sun", "role": "agent", "agent": "4711"}, UnknownAgent),
                        ({"name": "root", "role": "admin"}, UserError)):  # the CLI's name
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
    fresh = await door.commands.run("user.reset", {"name": "li"}, LOCAL)
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


def _fail(throttle: SignInThrottle, name: str, address: str, now: float) -> None:
    """A password sign-in that went wrong: its reserved attempt stays a failure."""
    assert throttle.attempt(name, address, now) == 0


def test_failed_sign_ins_are_limited_per_user_and_address() -> None:
    throttle = SignInThrottle(per_user=5, per_address=20, window_s=900, lock_s=900)
    for i in range(4):
        _fail(throttle, "li", "10.0.0.1", float(i))
    _fail(throttle, "li", "10.0.0.1", 4.0)  # the fifth attempt is still allowed
    assert throttle.attempt("li", "10.0.0.1", 5.0) == pytest.approx(899.0)
    assert throttle.attempt("li", "10.0.0.2", 5.0) == 0  # another address
    assert throttle.attempt("wang", "10.0.0.1", 5.0) == 0  # another user
    assert throttle.attempt("li", "10.0.0.1", 905.0) == 0  # the lock has run its course
    for i in range(19):  # many names from one address: the address's own limit, 20
        _fail(throttle, f"user{i}", "10.0.0.9", 1000.0 + i)
    assert throttle.attempt("anyone", "10.0.0.9", 1019.0) == 0  # the 20th
    assert throttle.attempt("someone", "10.0.0.9", 1020.0) > 0
    spread = SignInThrottle(per_user=5, window_s=900, lock_s=900)
    for i in range(10):  # one failure every 20 minutes: never locked
        assert spread.attempt("li", "10.0.0.1", i * 1200.0) == 0


def test_a_success_takes_its_attempt_back() -> None:
    throttle = SignInThrottle(per_user=5, per_address=20)
    for i in range(4):
        _fail(throttle, "li", "10.0.0.1", float(i))
    assert throttle.attempt("li", "10.0.0.1", 4.0) == 0
    throttle.succeeded("li", "10.0.0.1", 4.0)
    for i in range(5):  # the user's count starts again; the address kept its 4 failures
        _fail(throttle, "li", "10.0.0.1", 5.0 + i)
    assert throttle.attempt("li", "10.0.0.1", 10.0) > 0


def test_wrong_tokens_count_against_their_id_or_their_address() -> None:
    throttle = SignInThrottle(per_user=5, per_address=20)
    for i in range(6):  # six failed sign-ins of made-up names
        _fail(throttle, f"made-up{i}", "10.0.0.1", float(i))
    assert throttle.unknown_token("10.0.0.1", 7.0) == 0  # 7 failures < 20: a 401
    for i in range(12):
        throttle.unknown_token("10.0.0.1", 8.0 + i)
    assert throttle.unknown_token("10.0.0.1", 30.0) > 0  # the 20th failure: 429 from now
    for i in range(5):  # a real token's id with wrong secrets: each reserved before its hash
        assert throttle.token_attempt("abcdefabcdef", 40.0 + i) == 0
    assert throttle.token_attempt("abcdefabcdef", 50.0) > 0  # locked: no more hashes
    assert throttle.token_attempt("fedcbafedcba", 50.0) == 0  # another user's token is not
    throttle.token_good("fedcbafedcba")


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
    assert "X-CSRF-Token" in refused[0][1] and "其他网站" in refused[1][1]
    assert {target for target, _ in refused} == {"POST /api/agents/1001/pause"}


async def test_sign_in_is_throttled_over_http(door: Door) -> None:
    async with TestClient(TestServer(door.app())) as client:
        for _ in range(5):
            r = await client.post("/api/login", json={"user": "li", "password": "guess"})
            assert r.status == 401
        r = await client.post("/api/login", json={"user": "li",
                                                  "password": door.passwords["li"]})
        assert r.status == 429 and (await r.json())["error_id"] == "CC1302"
        garbage = await client.post("/api/login", data=b"{",
                                    headers={"Content-Type": "application/json"})
        assert garbage.status == 400
    results = [r["result"] for r in await door.audit()]
    assert results == ["CC1300"] * 5 + ["CC1302", "CC1203"]  # the unreadable body too


async def test_sign_ins_sent_at_once_meet_the_limit(door: Door) -> None:
    """The limit is reserved before the password's slow hash is awaited: 60 wrong passwords
    sent together are 5 refusals and 55 throttles, as if sent one by one."""
    async with TestClient(TestServer(door.app())) as client:
        replies = await asyncio.gather(*(client.post("/api/login", json={
            "user": "li", "password": f"guess{n}"}) for n in range(60)))
        statuses = sorted(r.status for r in replies)
    assert statuses == [401] * 5 + [429] * 55


async def test_a_valid_token_is_never_throttled_by_others_failures(door: Door) -> None:
    async with TestClient(TestServer(door.app())) as client:
        for n in range(25):  # made-up names from this address: it is locked for passwords
            await client.post("/api/login", json={"user": f"nobody{n}", "password": "x"})
        locked = await client.post("/api/login", json={"user": "zhao",
                                                       "password": door.passwords["zhao"]})
        assert locked.status == 429
        token = await client.get("/api/status", headers=door.auth("zhao"))
        assert token.status == 200  # the supervisor's valid token still works
        wrong = await client.get("/api/status", headers={"Authorization": "Bearer cc_x.y"})
        assert wrong.status == 429  # a wrong one from this address is throttled


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


async def test_an_admin_over_the_web_only_asks_and_root_approves(door: Door) -> None:
    """An admin who could reset a supervisor's password over the web — or approve such a
    request and be shown it — could sign in as them and read citizens' data: over the web
    an admin only asks; root approves on the server, where the password is printed once."""
    await door.users.add("ma", "admin", "", door.clock())
    ma = (await door.users.reset("ma", door.clock())).token  # (the root way: at once)
    async with TestClient(TestServer(door.app())) as client:
        chen, second = door.auth("chen"), {"Authorization": f"Bearer {ma}"}
        asked = await client.post("/api/users", headers=chen,
                                  json={"name": "liu", "role": "supervisor"})
        assert asked.status == 202
        pending = (await asked.json())["pending"]
        assert "password" not in str(await asked.json()) and pending["requested_by"] == "chen"
        listed = await (await client.get("/api/users/requests", headers=second)).json()
        assert [(r["action"], r["name"], r["role"]) for r in listed] == [
            ("add", "liu", "supervisor")]
        for admin in (chen, second):  # neither the asker nor another admin approves
            refused = await client.post(f"/api/users/requests/{pending['id']}/approve",
                                        headers=admin)
            assert refused.status == 403 and "password" not in await refused.text()
        assert await door.users.by_password("liu", "") is None  # nobody yet
        # a reset asked, refused by the second admin: the supervisor's password still works
        asked = await client.post("/api/users/zhao/reset", headers=chen)
        assert asked.status == 202
        reset = (await asked.json())["pending"]
        assert (reset["action"], reset["role"]) == ("reset", "supervisor")
        refused = await client.post(f"/api/users/requests/{reset['id']}/refuse",
                                    headers=second)
        assert refused.status == 200
        assert await door.users.by_password("zhao", door.passwords["zhao"]) is not None
    # root, on the server, approves the new supervisor: the password is printed there
    made = await door.commands.run("user.approve", {"request": str(pending["id"])}, LOCAL)
    assert await door.users.by_password("liu", made["password"]) is not None
    with pytest.raises(NoSuchRow):  # decided once
        await door.commands.run("user.approve", {"request": str(pending["id"])}, LOCAL)
    door.clock.now += timedelta(hours=25)  # and a request lapses after a day
    asked_late = await door.commands.run("user.reset", {"name": "li"}, door.actor("chen"))
    door.clock.now += timedelta(hours=25)
    with pytest.raises(NoSuchRow):
        await door.commands.run("user.approve", {"request": str(
            asked_late["pending"]["id"])}, LOCAL)
    rows = [(r["user"], r["action"], r["target"], r["result"])
            for r in await door.audit() if r["action"].startswith("user.")]
    assert rows[:5] == [("chen", "user.add", "user liu", "ok"),
                        ("chen", "user.approve", "user request 1", "CC1301"),
                        ("ma", "user.approve", "user request 1", "CC1301"),
                        ("chen", "user.reset", "user zhao", "ok"),
                        ("ma", "user.refuse", "user request 2", "ok")]
    assert ("root", "user.approve", "user request 1", "ok") in rows
    assert made["password"] not in str(await door.audit())


async def test_the_audit_trail_is_filtered_by_action_and_result(door: Door) -> None:
    for action, result in (("agent.pause", "ok"), ("agent.unpause", "CC702"),
                           ("agentx", "ok"), ("sign-in", "CC1300")):
        await door.trail.record(AuditEntry("t", "li", "agent", "http", "127.0.0.1", action,
                                           "", result))
    run, chen = door.commands.run, door.actor("chen")
    picked = await run("audit.list", {"action": "agent"}, chen)
    assert [r["action"] for r in picked] == ["agent.pause", "agent.unpause"]
    picked = await run("audit.list", {"result": "refused"}, chen)
    assert [r["action"] for r in picked] == ["agent.unpause", "sign-in"]
    picked = await run("audit.list", {"action": "agent.pause", "result": "ok"}, chen)
    assert [r["action"] for r in picked] == ["agent.pause"]


async def test_an_audit_row_is_never_replaced(door: Door) -> None:
    await door.trail.record(AuditEntry("t", "li", "agent", "http", "127.0.0.1", "agent.pause",
                                       "agent 1001", "ok"))
    [row] = await door.audit()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await door.store.db.execute(
            "INSERT OR REPLACE INTO audit (id, at, user, role, via, address, action, target, "
            "result) VALUES (?, 't', 'x', 'agent', 'http', '', 'forged', '', 'ok')", (row["id"],))
    [kept] = await door.audit()
    assert (kept["user"], kept["action"]) == ("li", "agent.pause")


async def test_the_server_command_line_ends_a_users_streams_at_once(door: Door) -> None:
    """`run.py user revoke|reset` change the store; then they tell the running engine
    (``user.ended``, root only, through the control socket) to end the user's streams and
    softphone sockets now rather than at their next check."""
    ended: list[str] = []
    door.users.endings.watch("li", None, lambda: ended.append("li"))
    door.users.endings.watch("zhao", None, lambda: ended.append("zhao"))
    for name, _role, _agent in PEOPLE:  # no user over the web may, not even an admin
        with pytest.raises(Forbidden):
            await door.commands.run("user.ended", {"name": "li"}, door.actor(name))
    assert ended == []
    assert await door.commands.run("user.ended", {"name": "li"}, LOCAL) == {
        "name": "li", "ended": True}
    assert ended == ["li"]
