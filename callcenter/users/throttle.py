"""Failed sign-ins are rate-limited per user and address, and per address (someone trying
many names): a pure record of attempts, time passed in.

A password sign-in *reserves* its attempt before the slow hash is checked
(:meth:`SignInThrottle.attempt`): the reservation counts as a failure until the sign-in
succeeds (:meth:`SignInThrottle.succeeded` takes it back). So sign-ins sent all at once meet
the limit as sign-ins sent one after the other do — the check and the count are one step,
with no ``await`` between them.

After ``per_user`` failures for one (user, address) within ``window_s``, or ``per_address``
failures from one address, password sign-ins from there wait ``lock_s`` from the last
failure; a success clears the (user, address) count. A wrong API token counts against its
address only (:meth:`SignInThrottle.token_failed`), and a valid token is never refused
because of others' failures. Kept in memory: a restart forgets it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

Key = tuple[str, str, str]  # ("user", name, address) or ("address", "", address)


def _user(name: str, address: str) -> Key:
    return ("user", name, address)


def _address(address: str) -> Key:
    return ("address", "", address)


@dataclass
class SignInThrottle:
    per_user: int = 5
    per_address: int = 20
    window_s: float = 900.0
    lock_s: float = 900.0
    max_keys: int = 10_000  # bounded: the oldest keys go first
    _failures: dict[Key, deque[float]] = field(default_factory=dict)

    def attempt(self, name: str, address: str, now: float) -> float:
        """0: the attempt may go on, and is counted as a failure until it succeeds; else the
        seconds until ``name`` may try again from ``address`` (nothing counted)."""
        wait = max(self._wait(_user(name, address), self.per_user, now),
                   self._wait(_address(address), self.per_address, now))
        if wait == 0:
            self._add(_user(name, address), self.per_user, now)
            self._add(_address(address), self.per_address, now)
        return wait

    def succeeded(self, name: str, address: str, attempted_at: float) -> None:
        """The attempt reserved at ``attempted_at`` signed in: it was no failure."""
        self._failures.pop(_user(name, address), None)
        times = self._failures.get(_address(address))
        if times is not None and attempted_at in times:
            times.remove(attempted_at)

    def token_failed(self, address: str, now: float) -> float:
        """Count a wrong token against ``address``; the seconds it must now wait (0: none)."""
        self._add(_address(address), self.per_address, now)
        return self._wait(_address(address), self.per_address, now)

    def _add(self, key: Key, limit: int, now: float) -> None:
        times = self._failures.pop(key, deque(maxlen=limit))
        times.append(now)
        self._failures[key] = times  # re-inserted: the dict's order is last use
        while len(self._failures) > self.max_keys:
            del self._failures[next(iter(self._failures))]

    def _wait(self, key: Key, limit: int, now: float) -> float:
        """Locked while the last ``limit`` failures fell within one window, until ``lock_s``
        after the last of them."""
        times = list(self._failures.get(key, ()))[-limit:]
        if len(times) < limit or times[-1] - times[0] > self.window_s:
            return 0.0
        return max(0.0, times[-1] + self.lock_s - now)
