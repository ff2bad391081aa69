"""Counts failures per address in a sliding window (wrong codes, failed sign-ins)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable


class FailureLimiter:
    """Refuses an address once it has failed ``limit`` times within ``window`` seconds.

    Kept in memory: a restart forgives everyone, which is acceptable for a
    limit measured in minutes. Several server processes would share it
    through the message bus.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _prune(self, address: str) -> deque[float]:
        failures = self._failures[address]
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[address]
        return failures

    def is_blocked(self, address: str) -> bool:
        return len(self._prune(address)) >= self.limit

    def record_failure(self, address: str) -> None:
        self._prune(address)
        self._failures[address].append(self._clock())

    def retry_after(self, address: str) -> float:
        """Seconds until the address may try again (0 if it may now)."""
        failures = self._prune(address)
        if len(failures) < self.limit:
            return 0.0
        return max(0.0, failures[0] + self.window - self._clock())
