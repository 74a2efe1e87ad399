"""Who is told at once when a sign-in ends: a web session signed out, or every session and
token of a user revoked or reset. Long-lived connections (event streams, the browser
softphone's socket) watch their own person here and close the moment it happens, rather than
at their next periodic check (which stays, for sessions that simply expire)."""

from __future__ import annotations

from collections.abc import Callable

import structlog

log = structlog.get_logger("signin")

Unwatch = Callable[[], None]


class Endings:
    def __init__(self) -> None:
        self._by_user: dict[str, dict[int, Callable[[], None]]] = {}
        self._by_session: dict[str, dict[int, Callable[[], None]]] = {}
        self._next = 0

    def watch(self, user: str, session_id: str | None, ended: Callable[[], None]) -> Unwatch:
        """Call ``ended`` (once) when ``user``'s sign-in ends, or ``session_id``'s."""
        self._next += 1
        key = self._next
        told = False

        def once() -> None:
            nonlocal told
            if not told:
                told = True
                ended()

        places = [(self._by_user, user)]
        if session_id:
            places.append((self._by_session, session_id))
        for table, name in places:
            table.setdefault(name, {})[key] = once

        def unwatch() -> None:
            for table, name in places:
                watchers = table.get(name)
                if watchers is not None:
                    watchers.pop(key, None)
                    if not watchers:
                        del table[name]

        return unwatch

    def user_ended(self, user: str) -> None:
        self._tell(self._by_user.pop(user, {}))

    def session_ended(self, session_id: str) -> None:
        self._tell(self._by_session.pop(session_id, {}))

    def _tell(self, watchers: dict[int, Callable[[], None]]) -> None:
        for ended in watchers.values():
            try:
                ended()
            except Exception:  # one watcher's failure must not keep the others open
                log.exception("signin.ending_failed")

    def watching(self) -> int:
        return sum(len(w) for w in self._by_user.values())
