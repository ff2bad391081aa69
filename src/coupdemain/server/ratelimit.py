"""Counts failures per address in a sliding window (wrong codes, failed sign-ins)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass


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


@dataclass(eq=False, slots=True)
class Charge:
    """One code checked: when, and against how many live codes."""

    at: float
    cost: int


class GuessBudget:
    """A server-wide budget of wrong support codes that no number of addresses walks around.

    A wrong code checked while ``N`` codes are live had a chance of
    ``N / code_space`` to hit one of them. The budget adds up those chances
    over the life of the oldest live code (and so of every live code) and
    checks no further code once the sum would pass ``1 / odds``: a guesser's
    chance of hitting any live code during its life stays under one in
    ``odds``, from one address or from a million. In units of one code
    tried against one live code, the budget is ``code_space // odds``
    (10^9 // 10^6 = 1000 by default): 1000 wrong codes while one code is
    live, 20 while 50 are.

    Guesses made before the oldest live code was issued could hit none of
    the live codes nor any later one: they leave the budget then. A burst
    of wrong codes therefore pauses the checks only until the codes that
    were live during it are used, ended or expired.

    A code is charged before it is looked up (so that many lookups at once
    cannot all pass) and refunded if it was right.

    Args:
        odds: the chance of a hit to stay under is one in ``odds``.
        code_space: how many different codes there are.
        lifetime: how long a code lives, in seconds: no guess older matters.
        clock: seconds, for tests.
    """

    # The codes' ages come from the database's wall clock, the guesses' times
    # from this clock: a guess is kept this much longer, so that no skew
    # between the two lets one slip out of a live code's window.
    SKEW = 1.0

    def __init__(
        self, odds: int, code_space: int, lifetime: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= odds <= code_space:
            raise ValueError(
                f"--code-guess-odds {odds} must be between 1 and {code_space}, "
                "the number of codes."
            )
        self.budget = code_space // odds
        self.lifetime = lifetime
        self._clock = clock
        self._spent: deque[Charge] = deque()   # oldest first
        self._total = 0

    @property
    def spent(self) -> int:
        """Units charged to the guesses that still count."""
        return self._total

    def try_spend(self, live_codes: int, oldest_age: float) -> Charge | None:
        """Charges one code checked against ``live_codes`` codes, if the budget allows it.

        Args:
            live_codes: how many codes the lookup could match now.
            oldest_age: seconds since the oldest of them was issued.

        Returns:
            The charge, to ``refund`` if the code was right; or None: the
            code must not be checked.
        """
        horizon = self._clock() - min(max(oldest_age, 0.0), self.lifetime) - self.SKEW
        while self._spent and self._spent[0].at < horizon:
            self._total -= self._spent.popleft().cost
        if live_codes <= 0:
            return Charge(self._clock(), 0)  # nothing it could hit
        if self._total + live_codes > self.budget:
            return None
        charge = Charge(self._clock(), live_codes)
        self._spent.append(charge)
        self._total += live_codes
        return charge

    def refund(self, charge: Charge) -> None:
        """The code was right: it was no guess."""
        for i, entry in enumerate(self._spent):
            if entry is charge:
                del self._spent[i]
                self._total -= charge.cost
                return


class Backoff:
    """Per-key exponential backoff after repeated failures: sign-ins, per account.

    After ``free`` failures the key waits ``first`` seconds before its next
    try; each further failure doubles the wait, up to ``cap``. Attempts during the
    wait are refused without being checked and do not count, so the wait
    ends on time whatever an attacker does meanwhile. A key with no failure
    for ``forget_after`` seconds starts again from zero, and so does one
    that succeeds. At most ``max_keys`` keys are kept: past that, the one
    whose last failure is the oldest is forgotten.
    """

    def __init__(
        self, free: int, first: float, cap: float, forget_after: float = 86400.0,
        clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000,
    ) -> None:
        self.free = free
        self.first = first
        self.cap = cap
        self.forget_after = forget_after
        self.max_keys = max_keys
        self._clock = clock
        self._failures: dict[str, tuple[int, float]] = {}   # key: (count, last), oldest first

    def delay(self, failures: int) -> float:
        """How long a key waits after its ``failures``-th failure."""
        if failures < self.free:
            return 0.0
        return float(min(self.cap, self.first * 2 ** min(failures - self.free, 60)))

    def _entry(self, key: str) -> tuple[int, float]:
        entry = self._failures.get(key)
        if entry is not None and self._clock() - entry[1] >= self.forget_after:
            del self._failures[key]
            return (0, 0.0)
        return entry or (0, 0.0)

    def retry_after(self, key: str) -> float:
        """Seconds until the key may try again (0: now)."""
        count, last = self._entry(key)
        if count == 0:
            return 0.0
        return max(0.0, last + self.delay(count) - self._clock())

    def record_failure(self, key: str) -> None:
        count, _ = self._entry(key)
        self._failures.pop(key, None)  # re-inserted last: the dict stays oldest first
        self._failures[key] = (count + 1, self._clock())
        while len(self._failures) > self.max_keys:
            del self._failures[next(iter(self._failures))]

    def forget(self, key: str) -> None:
        """The key succeeded."""
        self._failures.pop(key, None)
