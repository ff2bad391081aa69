"""A blind timer, for screens that do not say when they change (no XDamage).

Every capture then grabs and diffs the whole screen; injected input brings
the next capture forward.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from .base import Rect

DEFAULT_FPS = 30.0
# After injected input without XDamage, the timer captures this soon, so that
# the application's echo shows without waiting for the next tick.
NUDGE_DELAY_SECONDS = 0.008
MIN_NUDGED_INTERVAL_SECONDS = 1 / 60


class FrameTimer:
    """A blind timer: "the screen may have changed" up to ``fps`` times a second.

    It knows nothing of where: every capture grabs and diffs the whole
    screen. A ``nudge`` (injected input) brings the next capture forward to
    ``NUDGE_DELAY_SECONDS`` from now, so that a typed key's echo does not
    wait for the next tick.

    Args:
        fps: the highest capture rate.
    """

    def __init__(self, fps: float = DEFAULT_FPS) -> None:
        self.interval = 1.0 / fps
        self._last = 0.0
        self._nudged: asyncio.Event | None = None

    async def wait_for_change(self) -> None:
        # Measured from the previous return, so capture and encoding time
        # count against the interval and a slow frame does not cause a burst.
        if self._nudged is None:
            self._nudged = asyncio.Event()
        delay = self._last + self.interval - time.monotonic()
        if delay > 0 and not self._nudged.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nudged.wait(), delay)
        if self._nudged.is_set():
            self._nudged.clear()
            # Soon, but not more often than 60 times a second: a dragged
            # pointer nudges at every move.
            await asyncio.sleep(max(NUDGE_DELAY_SECONDS,
                                    self._last + MIN_NUDGED_INTERVAL_SECONDS - time.monotonic()))
        self._last = time.monotonic()

    def take_damage(self) -> list[Rect] | None:
        return None

    def nudge(self) -> None:
        if self._nudged is not None:
            self._nudged.set()

    def close(self) -> None:
        pass
