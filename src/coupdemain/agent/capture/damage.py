"""What changed on the X screen, as the X server reports it (XDamage).

An XDamage object on the root window reports every rectangle drawn, about
1 ms after an XTest key reaches an application (research/perf-limits.md
§2.2), instead of the 0-33 ms a 30 fps timer waits. ``DamageTracker``
accumulates those rectangles; the pipeline takes them, grabs only the
tiles they touch, and diffs those against what the viewer has.

The X connection is the tracker's own, read on the event loop's thread
(``loop.add_reader``): nothing runs while nothing is drawn, so an idle
screen costs neither CPU nor bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

from .base import Rect

logger = logging.getLogger("coupdemain.agent.capture.damage")

# Past this many rectangles waiting, the tracker stops listing them and
# reports "everything may have changed": a full grab and tile diff (4 + 3 ms
# at 1080p) is then cheaper than hundreds of small grabs.
MAX_PENDING_RECTS = 256
# Captures follow damage at most this often: a screen that changes all the
# time (a video) is captured at 60 fps, not as fast as the CPU allows.
MIN_INTERVAL_SECONDS = 1 / 60
# A burst of drawing (a window that opens) comes as many events; the first
# capture waits this long after the first of them, so that it sees the end
# of the burst rather than its first strokes. Well under a frame at 60 Hz.
SETTLE_SECONDS = 0.002
# Safety net: at least one event pass this often, in case a readiness
# notification was missed while the X library buffered events.
MAX_EVENT_WAIT_SECONDS = 1.0


class DamageUnavailable(RuntimeError):
    """The X server has no DAMAGE extension (or no display): the timer takes over."""


class DamageAccumulator:
    """Rectangles damaged since they were last taken; the pure part of the tracker.

    Args:
        max_rects: past this many, ``take`` answers None ("everything").
    """

    def __init__(self, max_rects: int = MAX_PENDING_RECTS) -> None:
        self.max_rects = max_rects
        self._rects: list[Rect] = []
        self._everything = False

    @property
    def pending(self) -> bool:
        """Whether something was damaged since the last ``take``."""
        return self._everything or bool(self._rects)

    def add(self, rect: Rect) -> None:
        if self._everything or rect.width <= 0 or rect.height <= 0:
            return
        if len(self._rects) >= self.max_rects:
            self.add_everything()
            return
        self._rects.append(rect)

    def add_everything(self) -> None:
        """The whole screen may have changed (overflow, resize, lost events)."""
        self._everything = True
        self._rects.clear()

    def take(self) -> list[Rect] | None:
        """The damaged rectangles, in display coordinates; None: everything.

        Clears what was pending.
        """
        if self._everything:
            self._everything = False
            return None
        rects, self._rects = self._rects, []
        return rects

    def clear(self) -> None:
        self._everything = False
        self._rects.clear()


class DamageTracker:
    """A ``ChangeSource`` fed by XDamage on the root window.

    ``start()`` must be called on the event loop's thread; the tracker then
    reads its own X connection there. Until the first ``take_damage()`` the
    whole screen counts as damaged.

    Args:
        display: the X display, e.g. ":0"; defaults to ``$DISPLAY``.
        min_interval: the shortest time between two wake-ups.

    Raises:
        DamageUnavailable: no display, or no DAMAGE extension on it.
    """

    def __init__(
        self, display: str | None = None, *, min_interval: float = MIN_INTERVAL_SECONDS
    ) -> None:
        self.display_name = display or os.environ.get("DISPLAY", "")
        self.min_interval = min_interval
        self.damage = DamageAccumulator()
        self.damage.add_everything()
        self.events = 0
        self._last = 0.0
        self._changed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._display: Any = None
        self._damage_id = 0
        self._geometry: tuple[int, int] | None = None
        self._open()

    def _open(self) -> None:
        if not self.display_name:
            raise DamageUnavailable("DISPLAY is not set")
        try:
            from Xlib import display as xdisplay  # type: ignore[import-untyped]
            from Xlib.error import DisplayError  # type: ignore[import-untyped]
            from Xlib.ext import damage  # type: ignore[import-untyped]
        except ImportError as exc:  # python-xlib is a dependency on Linux only
            raise DamageUnavailable(f"python-xlib is missing: {exc}") from exc
        try:
            conn = xdisplay.Display(self.display_name)
        except (DisplayError, OSError) as exc:
            raise DamageUnavailable(f"cannot open X display {self.display_name!r}: {exc}") from exc
        try:
            if not conn.has_extension("DAMAGE"):
                raise DamageUnavailable(f"X display {self.display_name!r} has no DAMAGE extension")
            conn.damage_query_version()
            root = conn.screen().root
            geometry = root.get_geometry()
            self._geometry = (geometry.width, geometry.height)
            self._damage_id = root.damage_create(damage.DamageReportRawRectangles)
            conn.sync()
        except DamageUnavailable:
            conn.close()
            raise
        except Exception as exc:  # an X error here means: no usable damage
            conn.close()
            raise DamageUnavailable(f"XDamage failed on {self.display_name!r}: {exc}") from exc
        self._display = conn
        logger.info("capture follows XDamage on %s", self.display_name)

    # --- the event loop's side -------------------------------------------------

    def start(self) -> None:
        """Starts reading damage events on the running loop."""
        if self._loop is not None or self._display is None:
            return
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._loop.add_reader(self._display.fileno(), self._read_events)
        self._read_events()  # events that arrived before the reader was set

    def _read_events(self) -> None:
        conn = self._display
        if conn is None:
            return
        try:
            # pending_events() reads what the socket holds without blocking.
            while conn.pending_events():
                self._receive(conn.next_event())
        except Exception:  # noqa: BLE001 - a broken connection: fall back to "everything"
            logger.warning("the XDamage connection failed; capturing the whole screen",
                           exc_info=True)
            self.damage.add_everything()
            self._stop_reading()
        if self.damage.pending and self._changed is not None:
            self._changed.set()

    def _receive(self, event: Any) -> None:
        area = getattr(event, "area", None)
        if area is None:
            return
        self.events += 1
        geometry = getattr(event, "drawable_geometry", None)
        if geometry is not None and (geometry.width, geometry.height) != self._geometry:
            # The root window was resized: every picture is stale.
            self._geometry = (geometry.width, geometry.height)
            self.damage.add_everything()
            return
        self.damage.add(Rect(area.x, area.y, area.width, area.height))

    async def wait_for_change(self) -> None:
        """Returns once something was drawn (at most every ``min_interval``)."""
        if self._loop is None:
            self.start()
        assert self._changed is not None
        for _ in range(1_000_000):  # bounded: each pass waits for an event or a second
            if self.damage.pending:
                break
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), MAX_EVENT_WAIT_SECONDS)
            self._read_events()
        now = time.monotonic()
        delay = max(SETTLE_SECONDS, self._last + self.min_interval - now)
        await asyncio.sleep(delay)
        self._read_events()
        self._last = time.monotonic()

    def take_damage(self) -> list[Rect] | None:
        """The rectangles drawn since the last call, in display coordinates; None: all."""
        self._read_events()
        return self.damage.take()

    def nudge(self) -> None:
        """Input was injected: XDamage reports its effect by itself."""

    def _stop_reading(self) -> None:
        if self._loop is not None and self._display is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._display.fileno())

    def close(self) -> None:
        """Stops reading and closes the X connection (on the loop's thread)."""
        self._stop_reading()
        conn, self._display = self._display, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.damage_destroy(self._damage_id)
                conn.close()
