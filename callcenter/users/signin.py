"""Signing in: a password (the web pages: a session cookie follows), an API token, or a web
session. Failed sign-ins are rate-limited per user and address
(:mod:`callcenter.users.throttle`); every sign-in and sign-out, and every refused one, is an
audit row. What comes out is the :class:`~callcenter.actors.Actor` the commands run as."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from callcenter.actors import Actor, Role
from callcenter.audit import OK, AuditEntry, AuditTrail
from callcenter.clock import iso_seconds
from callcenter.errors import NotSignedIn, ServiceUnavailable, TooManyAttempts
from callcenter.users.hashing import fast_digest, token_id_of
from callcenter.users.store import User, Users, WebSession
from callcenter.users.throttle import SignInThrottle

log = structlog.get_logger("signin")

SIGN_IN = "sign-in"
SIGN_OUT = "sign-out"


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))} 分钟"


def actor_of(user: User, via: str, address: str) -> Actor:
    return Actor(user.name, via, address, user.role, user.agent, user.unit)


class SignIn:
    def __init__(self, users: Callable[[], Users | None], audit: Callable[[], AuditTrail | None],
                 clock: Callable[[], datetime], session_lifetime: timedelta,
                 throttle: SignInThrottle | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._users = users
        self._audit = audit
        self._clock = clock
        self.session_lifetime = session_lifetime
        self.throttle = throttle or SignInThrottle()
        self._monotonic = monotonic
        # tokens being checked (by digest): the lock, and how many requests wait on it
        self._checking: dict[str, tuple[asyncio.Lock, int]] = {}

    def _open(self) -> tuple[Users, AuditTrail]:
        users, audit = self._users(), self._audit()
        if users is None or audit is None:
            raise ServiceUnavailable("用户库尚未打开，请稍后再试")
        return users, audit

    async def with_password(self, name: str, password: str, address: str) -> WebSession:
        users, audit = self._open()
        name = name[:64]
        attempted_at = self._monotonic()
        # reserved before the slow hash is awaited: sign-ins sent at once meet the limit too
        wait = self.throttle.attempt(name, address, attempted_at)
        if wait > 0:
            await self._record(audit, Actor(name, "http", address, Role.NONE), SIGN_IN,
                               TooManyAttempts.error_id)
            raise TooManyAttempts(f"登录失败次数过多，请 {_minutes(wait)} 后再试")
        user = await users.by_password(name, password)
        if user is None:
            await self._record(audit, Actor(name, "http", address, Role.NONE), SIGN_IN,
                               NotSignedIn.error_id)
            log.warning("signin.failed", user=name, address=address)
            raise NotSignedIn("用户名或密码错误，请重新输入")
        self.throttle.succeeded(name, address, attempted_at)
        session = await users.open_session(user, address, self._clock(),
                                           self.session_lifetime)
        await self._record(audit, actor_of(user, "http", address), SIGN_IN, OK)
        return session

    async def with_token(self, token: str, address: str) -> Actor:
        """A valid token signs in whoever failed from its address. A token of no user is
        refused without a slow hash (and counts against its address); a user's token with
        a wrong secret is reserved against its id before the hash is checked — its id
        locked, a 429 with no hash at all (:mod:`callcenter.users.throttle`)."""
        users, audit = self._open()
        token_id = token_id_of(token)
        now = self._monotonic()
        user = None
        if token_id is None or not await users.token_in_use(token_id):
            wait = self.throttle.unknown_token(address, now)
        else:
            # requests with one token at once wait for its first check, then find it good
            key = fast_digest(token)
            lock, waiting = self._checking.get(key, (asyncio.Lock(), 0))
            self._checking[key] = (lock, waiting + 1)
            try:
                async with lock:
                    user, wait = await self._user_of_token(users, token, token_id, now)
            finally:
                lock, waiting = self._checking[key]
                if waiting > 1:
                    self._checking[key] = (lock, waiting - 1)
                else:
                    del self._checking[key]
        if user is not None:
            return actor_of(user, "http", address)
        refused = TooManyAttempts if wait > 0 else NotSignedIn
        await self._record(audit, Actor("(token)", "http", address, Role.NONE), SIGN_IN,
                           refused.error_id, "API token")
        log.warning("signin.token_refused", address=address)
        if wait > 0:
            raise TooManyAttempts(f"令牌错误次数过多，请 {_minutes(wait)} 后再试")
        raise NotSignedIn("API 令牌错误、已吊销或格式不对")

    async def _user_of_token(self, users: Users, token: str, token_id: str,
                             now: float) -> tuple[User | None, float]:
        if users.known_good(token):
            return await users.by_token(token), 0.0
        wait = self.throttle.token_attempt(token_id, now)
        user = await users.by_token(token) if wait == 0 else None
        if user is not None:
            self.throttle.token_good(token_id)
        return user, wait

    async def token_holds(self, token: str, address: str) -> Actor:
        """A token that signed a request in, asked again (a long-lived stream's): neither
        throttled nor audited, since it is not a sign-in."""
        users, _audit = self._open()
        user = await users.by_token(token)
        if user is None:
            raise NotSignedIn("API 令牌已吊销")
        return actor_of(user, "http", address)

    async def with_session(self, session_id: str, address: str) -> tuple[Actor, WebSession]:
        users, _audit = self._open()
        session = await users.session(session_id, self._clock())
        if session is None:
            raise NotSignedIn("尚未登录或登录已失效，请重新登录")
        return actor_of(session.user, "web", address), session

    def watch_ending(self, user: str, session_id: str | None,
                     ended: Callable[[], None]) -> Callable[[], None]:
        """Call ``ended`` when ``user`` is revoked or reset, or ``session_id`` signs out
        (:class:`~callcenter.users.endings.Endings`); returns what stops watching."""
        users = self._users()
        if users is None:
            return lambda: None
        return users.endings.watch(user, session_id, ended)

    async def audited(self, actor: Actor, action: str, target: str, result: str,
                      detail: str = "") -> None:
        """An audit row for what the web does outside the command layer (a page's request
        refused before it reaches a command, a softphone's connection)."""
        _users, audit = self._open()
        await audit.record(AuditEntry.of(actor, iso_seconds(self._clock()), action, target, result,
                                         detail))

    async def sign_out(self, actor: Actor, session_id: str) -> None:
        users, audit = self._open()
        await users.close_session(session_id)
        await self._record(audit, actor, SIGN_OUT, OK)

    async def _record(self, audit: AuditTrail, actor: Actor, action: str, result: str,
                      detail: str = "") -> None:
        await audit.record(AuditEntry.of(actor, iso_seconds(self._clock()), action,
                                         f"user {actor.name}", result, detail))
