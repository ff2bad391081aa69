"""What changed on the X screen, as the X server reports it (XDamage).

An XDamage object on the root window reports drawing about 1 ms after an
XTest key reaches an application (research/perf-limits.md §2.2), instead
of the 0-33 ms a 30 fps timer waits. The pipeline takes the damaged
rectangles, grabs only the tiles they touch, and diffs those against what
the viewer has.

The damage object reports at level NonEmpty: one event when the server's
damage region goes from empty to non-empty, however much is drawn after
it. ``take_damage`` then moves that region into an XFixes region
(``DamageSubtract``) and reads its rectangles back (``FetchRegion``) in one
round trip; the server has merged them into non-overlapping y-x bands, and
the next drawing makes the next event. Reporting every rectangle drawn
(level RawRectangles) cost 850-1330 events a second on a busy 1080p screen,
each parsed in pure Python on the event loop's thread. Without XFixes 2
that per-rectangle reporting is still used (``raw_rectangles=True`` forces
it).

The X connection is the tracker's own, read on the event loop's thread
(``loop.add_reader``), and its requests are sent from that thread too:
nothing runs while nothing is drawn, so an idle screen costs neither CPU
nor bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

from ...protocol.errors import LocalError
from .base import Rect

logger = logging.getLogger("coupdemain.agent.capture.damage")

# Past this many rectangles waiting, the tracker stops listing them and
# reports "everything may have changed": a full grab and tile diff (4 + 3 ms
# at 1080p) is then cheaper than hundreds of small grabs.
MAX_PENDING_RECTS = 256
# Captures follow damage at most this often: a screen that changes all the
# time (a video) is captured at 60 fps, not as fast as the CPU allows.
MIN_INTERVAL_SECONDS = 1 / 60
# The first capture after drawing starts waits this long, so that it sees a
# short burst (a glyph, a button's repaint) whole rather than its first
# strokes; what a longer burst draws later goes with the next capture. The
# bench's key -> pixel median went from 14.1 to 12.2 ms when this went from
# 2 to 0.5 ms, with the same bytes for typing.
SETTLE_SECONDS = 0.0005
# Safety net: at least one event pass this often, in case a readiness
# notification was missed while the X library buffered events.
MAX_EVENT_WAIT_SECONDS = 1.0
# Once the tracker's own X connection has failed, it wakes the pipeline this
# often with "everything": the blind 30 fps timer the agent uses without
# XDamage, so that the picture keeps following the screen.
FAILED_INTERVAL_SECONDS = 1 / 30


class DamageUnavailable(LocalError, RuntimeError):
    """The X server has no DAMAGE extension (or no display): the timer takes over."""

    sentence = "agent:error.internal"


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
        raw_rectangles: report every rectangle drawn as its own event, even
            where XFixes regions would allow one event per burst of drawing.

    Raises:
        DamageUnavailable: no display, or no DAMAGE extension on it.
    """

    def __init__(
        self,
        display: str | None = None,
        *,
        min_interval: float = MIN_INTERVAL_SECONDS,
        raw_rectangles: bool = False,
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
        # The XFixes region damage is moved into on each take; 0: the
        # tracker lists the rectangles of RawRectangles events instead.
        self._region = 0
        # NonEmpty level: the server holds damage not yet taken.
        self._server_damage = False
        # The sequence number of the last DamageSubtract: events older than it
        # announced damage that the subtract already took.
        self._subtract_serial: int | None = None
        self._failed = False
        self._configure_notify = -1
        self._geometry: tuple[int, int] | None = None
        self._open(raw_rectangles)

    @property
    def uses_regions(self) -> bool:
        """Whether damage is fetched as a region on each take (else listed per event)."""
        return self._region != 0

    def _open(self, raw_rectangles: bool) -> None:
        if not self.display_name:
            raise DamageUnavailable("DISPLAY is not set")
        try:
            from Xlib import X  # type: ignore[import-untyped]
            from Xlib import display as xdisplay
            from Xlib.error import DisplayError  # type: ignore[import-untyped]
            from Xlib.ext import damage  # type: ignore[import-untyped]

            from . import xfixes_region
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
            # A resize is reported on the root (ConfigureNotify) even while
            # the damage region is non-empty and NonEmpty sends no event.
            root.change_attributes(event_mask=X.StructureNotifyMask)
            if not raw_rectangles and xfixes_region.supports_regions(conn):
                self._region = xfixes_region.create_region(conn)
                self._damage_id = root.damage_create(damage.DamageReportNonEmpty)
            else:
                self._damage_id = root.damage_create(damage.DamageReportRawRectangles)
            conn.sync()
        except DamageUnavailable:
            conn.close()
            raise
        except Exception as exc:  # an X error here means: no usable damage
            conn.close()
            raise DamageUnavailable(f"XDamage failed on {self.display_name!r}: {exc}") from exc
        self._display = conn
        self._configure_notify = X.ConfigureNotify
        self._fetch_region = xfixes_region.fetch_region
        self._destroy_region = xfixes_region.destroy_region
        logger.info("capture follows XDamage on %s (%s)", self.display_name,
                    "regions" if self._region else "raw rectangles")

    # --- the event loop's side -------------------------------------------------

    @property
    def pending(self) -> bool:
        """Whether something was drawn that no ``take_damage`` returned yet."""
        return self._server_damage or self.damage.pending

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
        if conn is None or self._failed:
            return
        try:
            # pending_events() reads what the socket holds without blocking,
            # and counts what python-xlib queued while it waited for a reply;
            # next_event() then takes them from that queue without a read.
            # What arrives after is announced by the socket's readiness.
            for _ in range(conn.pending_events()):
                self._receive(conn.next_event())
        except Exception:  # noqa: BLE001 - a broken connection: fall back to "everything"
            self._fail()
        if self.pending and self._changed is not None:
            self._changed.set()

    def _fail(self) -> None:
        """The connection broke: from now on, everything may have changed at every wake-up."""
        logger.warning("the XDamage connection failed; capturing the whole screen",
                       exc_info=True)
        self._failed = True
        self._server_damage = False
        self.damage.add_everything()
        self._stop_reading()

    def _receive(self, event: Any) -> None:
        if event.type == self._configure_notify:
            self._resized(event.width, event.height)
            return
        area = getattr(event, "area", None)
        if area is None:
            return
        self.events += 1
        geometry = getattr(event, "drawable_geometry", None)
        if geometry is not None:
            self._resized(geometry.width, geometry.height)
        if self._region:
            if not self._before_subtract(event.sequence_number):
                self._server_damage = True
        else:
            self.damage.add(Rect(area.x, area.y, area.width, area.height))

    def _resized(self, width: int, height: int) -> None:
        if (width, height) != self._geometry:
            # The root window was resized: every picture is stale.
            self._geometry = (width, height)
            self.damage.add_everything()

    def _before_subtract(self, sequence_number: int) -> bool:
        """Whether an event was sent before the server ran the last DamageSubtract.

        An event carries the sequence number of the last request of ours the
        server had run when it sent it (16 bits). One older than the subtract
        announced damage the subtract already moved into the region.
        """
        if self._subtract_serial is None:
            return False
        return 0 < (self._subtract_serial - sequence_number) & 0xFFFF < 0x8000

    async def wait_for_change(self) -> None:
        """Returns once something was drawn (at most every ``min_interval``)."""
        if self._loop is None:
            self.start()
        assert self._changed is not None
        if self._failed:
            await asyncio.sleep(max(0.0, self._last + FAILED_INTERVAL_SECONDS - time.monotonic()))
            self.damage.add_everything()
            self._last = time.monotonic()
            return
        for _ in range(1_000_000):  # bounded: each pass waits for an event or a second
            if self.pending:
                break
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), MAX_EVENT_WAIT_SECONDS)
            except TimeoutError:
                # Only then: the reader that set the event has just read.
                self._read_events()
        now = time.monotonic()
        delay = max(SETTLE_SECONDS, self._last + self.min_interval - now)
        await asyncio.sleep(delay)
        self._last = time.monotonic()

    def take_damage(self) -> list[Rect] | None:
        """The rectangles drawn since the last call, in display coordinates; None: all."""
        if not self._region:
            self._read_events()  # the rectangles drawn while settling come along
        elif self.pending and not self._failed:
            # The subtract takes whatever was drawn by now, announced or not:
            # no need to read the events first (one X round trip less a frame).
            self._take_region()
        return self.damage.take()

    def _take_region(self) -> None:
        """Moves the server's damage into the accumulator.

        Nothing drawn is lost between the event and this call: the server
        runs requests one at a time, so DamageSubtract moves exactly what
        the damage held when it ran, whatever was drawn since the event,
        and empties it. Drawing the server runs after the subtract finds
        the damage empty and sends a new NonEmpty event, which carries the
        subtract's sequence number or a later one and is kept. Events that
        were still on their way (older sequence numbers) are dropped as
        already taken. The subtract also runs when only "everything" is
        pending: a damage region left non-empty would send no more events.
        """
        conn = self._display
        try:
            conn.damage_subtract(self._damage_id, 0, self._region)
            # damage_subtract returns nothing: its serial is the one before
            # the next request's (python-xlib numbers requests modulo 2**16).
            self._subtract_serial = (conn.display.request_serial - 1) & 0xFFFF
            self._server_damage = False
            rects = self._fetch_region(conn, self._region)
        except Exception:  # noqa: BLE001 - a broken connection: fall back to "everything"
            self._fail()
            return
        for x, y, width, height in rects:
            self.damage.add(Rect(x, y, width, height))
        # Events that came while waiting for the reply sit in python-xlib's
        # queue, where the socket's readiness no longer announces them.
        self._read_events()

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
                if self._region:
                    self._destroy_region(conn, self._region)
                conn.damage_destroy(self._damage_id)
                conn.close()
