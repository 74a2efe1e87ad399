"""Users (people who sign in), their web sessions, in the embedded store.

Only slow hashes of passwords and API tokens are kept (:mod:`callcenter.users.hashing`), and
of a web session only a digest of its id. A revoked user keeps their row (the audit trail
names them) but no password, token or session of theirs works again. Hashing runs off the
event loop.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from callcenter.actors import Role
from callcenter.clock import iso_seconds
from callcenter.errors import UserError
from callcenter.store.db import Store
from callcenter.users.endings import Endings
from callcenter.users.hashing import (
    fast_digest,
    hash_secret,
    new_password,
    new_token,
    token_id_of,
    verify_secret,
)

NAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")
# names the audit trail gives to others than users: root is the server's command line
RESERVED = frozenset({"root", "system", "engine", "asterisk", "carrier", "unknown", "none"})
ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.UNIT)
VERIFIED_TOKENS = 1024
_ALWAYS_WRONG = hash_secret("never a password")  # a missing user costs as much as a wrong one


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    agent: str  # the agent id of a user with the agent role ("" otherwise)
    unit: str = ""  # the unit (承办单位) of a user with the unit role ("" otherwise)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What ``add`` and ``reset`` hand out, once: only their hashes are kept."""

    user: User
    password: str
    token: str


@dataclass(frozen=True, slots=True)
class WebSession:
    user: User
    session_id: str  # the cookie's value: given once, only its digest is kept
    csrf: str
    expires_at: str


def _user(row: aiosqlite.Row) -> User:
    return User(row["name"], Role(row["role"]), row["agent"] or "", row["unit"] or "")


class Users:
    def __init__(self, store: Store) -> None:
        self._db = store.db
        # digest of a token checked once → the stored hash it matched: the next request with
        # it costs a lookup, not a scrypt (valid while that very hash is the user's, which a
        # reset changes; revocation is read from the row every time)
        self._verified: OrderedDict[str, str] = OrderedDict()
        self.endings = Endings()  # told when a session or a user's sign-ins end

    async def check_new(self, name: str, role: str, agent: str, unit: str = "") -> None:
        """:class:`UserError` unless a user ``name`` with ``role`` (and ``agent`` or
        ``unit``) can be added now."""
        if not NAME.fullmatch(name):
            raise UserError(f"用户名须为 2 到 32 个 a-z 0-9 . _ - 字符、以字母开头，"
                            f"不能是 {name[:40]!r}")
        if name in RESERVED:
            raise UserError(f"用户名 {name!r} 留作系统使用（审计记录中的服务器命令行等）")
        if role not in ROLES:
            raise UserError(f"角色 {role!r} 不是 {', '.join(ROLES)} 之一")
        if (role == Role.AGENT) != bool(agent):
            raise UserError("话务员角色的用户须指定其座席号（--agent ID），其他角色不指定")
        if (role == Role.UNIT) != bool(unit):
            raise UserError("承办单位角色的用户须指定其单位（--unit UNIT），其他角色不指定")
        if await self._row(name) is not None:
            raise UserError(f"已有用户 {name!r}（重置可得到新的密码和令牌）")

    async def add(self, name: str, role: str, agent: str, now: datetime,
                  unit: str = "") -> Credentials:
        await self.check_new(name, role, agent, unit)
        password, (token_id, token), hashes = await self._fresh()
        await self._db.execute(
            "INSERT INTO users (name, role, agent, unit, password_hash, token_id, token_hash, "
            "created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, role, agent or None, unit or None, hashes[0], token_id, hashes[1],
             iso_seconds(now), iso_seconds(now)))
        await self._db.commit()
        return Credentials(User(name, Role(role), agent, unit), password, token)

    async def reset(self, name: str, now: datetime) -> Credentials:
        """New password and token (the old ones and every web session stop working); a
        revoked user is taken back."""
        row = await self._existing(name)
        password, (token_id, token), hashes = await self._fresh()
        await self._db.execute(
            "UPDATE users SET password_hash = ?, token_id = ?, token_hash = ?, changed_at = ?,"
            " revoked_at = NULL WHERE id = ?", (hashes[0], token_id, hashes[1], iso_seconds(now),
                                                row["id"]))
        await self._db.execute("DELETE FROM web_session WHERE user_id = ?", (row["id"],))
        await self._db.commit()
        self.endings.user_ended(name)
        return Credentials(_user(row), password, token)

    async def revoke(self, name: str, now: datetime) -> User:
        row = await self._existing(name)
        await self._db.execute("UPDATE users SET revoked_at = ?, changed_at = ? WHERE id = ?",
                               (iso_seconds(now), iso_seconds(now), row["id"]))
        await self._db.execute("DELETE FROM web_session WHERE user_id = ?", (row["id"],))
        await self._db.commit()
        self.endings.user_ended(name)
        return _user(row)

    async def get(self, name: str) -> User:
        return _user(await self._existing(name))

    async def list(self) -> list[dict[str, Any]]:
        async with self._db.execute(
                "SELECT name, role, agent, unit, created_at, changed_at, revoked_at FROM users "
                "ORDER BY name") as cursor:
            return [{**dict(r), "agent": r["agent"] or "", "unit": r["unit"] or ""}
                    for r in await cursor.fetchall()]

    # -- checking credentials ------------------------------------------------------------

    async def by_password(self, name: str, password: str) -> User | None:
        row = await self._row(name)
        stored = row["password_hash"] if row is not None else _ALWAYS_WRONG
        good = await asyncio.to_thread(verify_secret, password, stored)
        if not good or row is None or row["revoked_at"] is not None:
            return None
        return _user(row)

    async def token_in_use(self, token_id: str) -> bool:
        """Whether a user who is not revoked has a token with this id (no hash needed)."""
        async with self._db.execute("SELECT 1 FROM users WHERE token_id = ? AND revoked_at "
                                    "IS NULL", (token_id,)) as cursor:
            return await cursor.fetchone() is not None

    def known_good(self, token: str) -> bool:
        """Whether ``token`` was checked good before (its stored hash may since have changed:
        :meth:`by_token` still reads the row)."""
        return fast_digest(token) in self._verified

    async def by_token(self, token: str) -> User | None:
        token_id = token_id_of(token)
        if token_id is None:
            return None
        async with self._db.execute("SELECT * FROM users WHERE token_id = ?",
                                    (token_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None or row["revoked_at"] is not None:
            return None
        key = fast_digest(token)
        if self._verified.get(key) != row["token_hash"]:
            if not await asyncio.to_thread(verify_secret, token, row["token_hash"]):
                return None
            self._verified[key] = row["token_hash"]
            if len(self._verified) > VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        self._verified.move_to_end(key)
        return _user(row)

    async def open_session(self, user: User, address: str, now: datetime,
                           lifetime: timedelta) -> WebSession:
        row = await self._existing(user.name)
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = iso_seconds(now + lifetime)
        await self._db.execute(
            "DELETE FROM web_session WHERE expires_at <= ?", (iso_seconds(now),))
        await self._db.execute(
            "INSERT INTO web_session (id_hash, user_id, csrf, address, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (fast_digest(session_id), row["id"], csrf, address, iso_seconds(now), expires))
        await self._db.commit()
        return WebSession(user, session_id, csrf, expires)

    async def session(self, session_id: str, now: datetime) -> WebSession | None:
        async with self._db.execute(
                "SELECT users.name, users.role, users.agent, users.unit, web_session.csrf, "
                "web_session.expires_at FROM web_session JOIN users "
                "ON users.id = web_session.user_id WHERE web_session.id_hash = ? "
                "AND users.revoked_at IS NULL AND web_session.expires_at > ?",
                (fast_digest(session_id), iso_seconds(now))) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return WebSession(_user(row), session_id, row["csrf"], row["expires_at"])

    async def close_session(self, session_id: str) -> None:
        await self._db.execute("DELETE FROM web_session WHERE id_hash = ?",
                               (fast_digest(session_id),))
        await self._db.commit()
        self.endings.session_ended(session_id)

    # -- inside ----------------------------------------------------------------------------

    async def _fresh(self) -> tuple[str, tuple[str, str], tuple[str, str]]:
        password, (token_id, token) = new_password(), new_token()
        hashes = await asyncio.gather(asyncio.to_thread(hash_secret, password),
                                      asyncio.to_thread(hash_secret, token))
        return password, (token_id, token), (hashes[0], hashes[1])

    async def _row(self, name: str) -> aiosqlite.Row | None:
        async with self._db.execute("SELECT * FROM users WHERE name = ?", (name,)) as cursor:
            return await cursor.fetchone()

    async def _existing(self, name: str) -> aiosqlite.Row:
        row = await self._row(name)
        if row is None:
            raise UserError(f"没有用户 {name[:40]!r}（用户列表中可查看）")
        return row
