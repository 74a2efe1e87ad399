"""Failed sign-ins are rate-limited per user and address, and per address (someone trying
many names): a pure record of failures, time passed in.

After ``per_user`` failures for one (user, address) within ``window_s``, or ``per_address``
failures from one address, sign-ins from there wait ``lock_s`` from the last failure; a
success clears the (user, address) count. Kept in memory: a restart forgets it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class SignInThrottle:
    per_user: int = 5
    per_address: int = 20
    window_s: float = 900.0
    lock_s: float = 900.0
    max_keys: int = 10_000  # bounded: the oldest keys go first
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def wait_s(self, name: str, address: str, now: float) -> float:
        """Seconds until this user may try again from this address (0: now)."""
        waits = [self._wait((name, address), self.per_user, now),
                 self._wait(("", address), self.per_address, now)]
        return max(waits)

    def failed(self, name: str, address: str, now: float) -> None:
        keep = max(self.per_user, self.per_address)
        for key in ((name, address), ("", address)):
            times = self._failures.pop(key, deque(maxlen=keep))
            times.append(now)
            self._failures[key] = times  # re-inserted: the dict's order is last use
        while len(self._failures) > self.max_keys:
            del self._failures[next(iter(self._failures))]

    def succeeded(self, name: str, address: str) -> None:
        self._failures.pop((name, address), None)

    def _wait(self, key: tuple[str, str], limit: int, now: float) -> float:
        """Locked while the last ``limit`` failures fell within one window, until ``lock_s``
        after the last of them."""
        times = list(self._failures.get(key, ()))[-limit:]
        if len(times) < limit or times[-1] - times[0] > self.window_s:
            return 0.0
        return max(0.0, times[-1] + self.lock_s - now)
