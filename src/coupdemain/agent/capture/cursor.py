"""The pointer, apart from the picture: its shape (XFixes) and its position (XInput 2).

X draws the pointer over the windows, and screen grabs leave it out. So
the agent sends it on its own (``CursorShape`` when it changes,
``CursorPosition`` when it moves) and the viewer draws it: under control
as the browser's own cursor, so that pointing feels instant; when only
viewing, as an image over the screen.

Both come as events on the tracker's own X connection, read on the event
loop's thread: XFixes tells when the shape changes, XInput 2 raw motion
when the pointer moves (``query_pointer`` then says where), and a slow
poll catches warps. A still pointer sends nothing. Positions are
coalesced to ``min_interval``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from ...protocol.errors import LocalError
from ...protocol.frames import MAX_CURSOR_SIDE, CursorPosition, CursorShape

logger = logging.getLogger("coupdemain.agent.capture.cursor")

CursorUpdate = CursorShape | CursorPosition

# Positions go at most this often: the viewer paints at 60 Hz.
MIN_INTERVAL_SECONDS = 1 / 60
# Without XInput 2, the pointer is asked for its position this often.
POLL_SECONDS = 0.05
# With it, this often all the same: a warp (XWarpPointer, as xdotool and some
# applications move the pointer) makes no raw motion event. One round trip
# of 0.1 ms four times a second, and no byte sent while the pointer is still.
WARP_POLL_SECONDS = 0.25
# At least one event pass this often, in case a readiness notification was missed.
MAX_EVENT_WAIT_SECONDS = 1.0


class CursorUnavailable(LocalError, RuntimeError):
    """The X server has no XFixes (or no display): the viewer shows no remote pointer."""

    sentence = "agent:error.internal"


def cursor_png(argb: npt.NDArray[np.uint32], width: int, height: int) -> bytes:
    """A PNG (RGBA, straight alpha) of an XFixes cursor image.

    Args:
        argb: ``width * height`` pixels, 0xAARRGGBB, colour premultiplied by alpha.
    """
    from PIL import Image

    pixels = argb.astype(np.uint32).reshape(height, width)
    a = (pixels >> 24) & 0xFF
    rgb = np.stack([(pixels >> 16) & 0xFF, (pixels >> 8) & 0xFF, pixels & 0xFF], axis=-1)
    # Undo the premultiplication; transparent pixels stay black.
    alpha = np.maximum(a, 1)[..., None]
    straight = np.where(a[..., None] > 0, np.minimum(rgb * 255 // alpha, 255), 0)
    rgba = np.concatenate([straight, a[..., None]], axis=-1).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(out, format="PNG", compress_level=1)
    return out.getvalue()


class CursorState:
    """The last shape and position known, and which of them are news; the pure part.

    Positions are in display coordinates here; the pipeline moves them to
    the shared picture's.
    """

    def __init__(self) -> None:
        self.shape: CursorShape | None = None
        self.position: CursorPosition | None = None
        self._news: dict[type, CursorUpdate] = {}

    def receive_shape(self, shape: CursorShape) -> None:
        if self.shape is not None and shape.serial == self.shape.serial \
                and shape.png == self.shape.png:
            return
        self.shape = shape
        self._news[CursorShape] = shape

    def receive_position(self, x: int, y: int) -> None:
        position = CursorPosition(x, y)
        if position == self.position:
            return
        self.position = position
        self._news[CursorPosition] = position

    @property
    def has_news(self) -> bool:
        return bool(self._news)

    def take_news(self) -> list[CursorUpdate]:
        """What changed since the last call, the shape first."""
        news = [self._news[kind] for kind in (CursorShape, CursorPosition) if kind in self._news]
        self._news.clear()
        return news

    def current(self) -> list[CursorUpdate]:
        """Everything known, for a viewer that starts from nothing."""
        return [u for u in (self.shape, self.position) if u is not None]


class CursorTracker:
    """Follows the X pointer's shape and position; call from the event loop's thread.

    Args:
        display: the X display, e.g. ":0"; defaults to ``$DISPLAY``.
        min_interval: the shortest time between two position updates.

    Raises:
        CursorUnavailable: no display, or no XFixes on it.
    """

    def __init__(
        self, display: str | None = None, *, min_interval: float = MIN_INTERVAL_SECONDS
    ) -> None:
        self.display_name = display or os.environ.get("DISPLAY", "")
        self.min_interval = min_interval
        self.state = CursorState()
        self.raw_motion = False
        self._display: Any = None
        self._root: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._news: asyncio.Event | None = None
        self._moved = False
        self._last_sent = 0.0
        self._open()

    def _open(self) -> None:
        if not self.display_name:
            raise CursorUnavailable("DISPLAY is not set")
        try:
            from Xlib import display as xdisplay  # type: ignore[import-untyped]
            from Xlib.error import DisplayError  # type: ignore[import-untyped]
            from Xlib.ext import xfixes, xinput  # type: ignore[import-untyped]
        except ImportError as exc:
            raise CursorUnavailable(f"python-xlib is missing: {exc}") from exc
        try:
            conn = xdisplay.Display(self.display_name)
        except (DisplayError, OSError) as exc:
            raise CursorUnavailable(f"cannot open X display {self.display_name!r}: {exc}") from exc
        try:
            if not conn.has_extension("XFIXES"):
                raise CursorUnavailable(f"X display {self.display_name!r} has no XFIXES")
            root = conn.screen().root
            # XFixes answers nothing before its version is asked.
            conn.xfixes_query_version()
            conn.xfixes_select_cursor_input(root, xfixes.XFixesDisplayCursorNotifyMask)
            conn.sync()
        except CursorUnavailable:
            conn.close()
            raise
        except Exception as exc:  # an X error here means: no usable cursor
            conn.close()
            raise CursorUnavailable(f"XFixes failed on {self.display_name!r}: {exc}") from exc
        try:
            if conn.has_extension("XInputExtension"):
                # Raw events need XInput 2.1 or later, asked for explicitly.
                xinput.XIQueryVersion(
                    display=conn.display, opcode=conn.display.get_extension_major(xinput.extname),
                    major_version=2, minor_version=2,
                )
                root.xinput_select_events([(xinput.AllMasterDevices, xinput.RawMotionMask)])
                conn.sync()
                self.raw_motion = True
        except Exception:  # noqa: BLE001 - positions are then polled
            logger.info("no XInput 2 raw motion; polling the pointer", exc_info=True)
        self._display, self._root = conn, root

    # --- reading, on the event loop's thread ------------------------------------

    def start(self) -> None:
        """Reads the current shape and position, then follows their changes."""
        if self._loop is not None or self._display is None:
            return
        self._loop = asyncio.get_running_loop()
        self._news = asyncio.Event()
        self._loop.add_reader(self._display.fileno(), self._read_events)
        self._read_shape()
        self._moved = True
        self._read_events()

    def _read_events(self) -> None:
        conn = self._display
        if conn is None:
            return
        shape_changed = False
        try:
            while conn.pending_events():
                event = conn.next_event()
                if hasattr(event, "cursor_serial"):
                    shape_changed = True
                elif getattr(event, "evtype", None) is not None:
                    self._moved = True
            if shape_changed:
                self._read_shape()
        except Exception:  # noqa: BLE001 - the viewer keeps the last pointer it knew
            logger.warning("the pointer's X connection failed", exc_info=True)
            self._stop_reading()
            return
        if (self._moved or self.state.has_news) and self._news is not None:
            self._news.set()

    def _read_shape(self) -> None:
        image = self._display.xfixes_get_cursor_image(self._root)
        width, height = int(image.width), int(image.height)
        if not (0 < width <= MAX_CURSOR_SIDE and 0 < height <= MAX_CURSOR_SIDE):
            self.state.receive_shape(CursorShape(int(image.cursor_serial), 0, 0, 0, 0))
            return
        argb = np.array(image.cursor_image, dtype=np.uint32)
        if argb.size != width * height:
            logger.debug("cursor image of %d pixels for %dx%d ignored", argb.size, width, height)
            return
        hot_x, hot_y = min(int(image.xhot), width - 1), min(int(image.yhot), height - 1)
        self.state.receive_shape(CursorShape(
            int(image.cursor_serial), width, height, hot_x, hot_y,
            cursor_png(argb, width, height),
        ))

    def _read_position(self) -> None:
        pointer = self._root.query_pointer()
        self.state.receive_position(int(pointer.root_x), int(pointer.root_y))

    async def next_updates(self) -> list[CursorUpdate]:
        """Waits until the shape changes or the pointer moves; returns what changed."""
        if self._loop is None:
            self.start()
        assert self._news is not None
        for _ in range(1_000_000):  # bounded: each pass waits at most a second
            if self._display is None:
                await asyncio.sleep(MAX_EVENT_WAIT_SECONDS)  # broken: stay quiet
                continue
            if self._moved:
                # Coalesced: at most one position per interval.
                delay = self._last_sent + self.min_interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                    self._read_events()
                self._moved = False
                with contextlib.suppress(Exception):
                    self._read_position()
            if self.state.has_news:
                self._last_sent = time.monotonic()
                return self.state.take_news()
            self._news.clear()
            wait = WARP_POLL_SECONDS if self.raw_motion else POLL_SECONDS
            try:
                await asyncio.wait_for(self._news.wait(), wait)
            except TimeoutError:
                self._moved = True  # ask where it is: it may have been warped
            self._read_events()
        return []

    def current(self) -> list[CursorUpdate]:
        """The shape and position known now, for a viewer that starts from nothing."""
        return self.state.current()

    def _stop_reading(self) -> None:
        if self._loop is not None and self._display is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._display.fileno())

    def close(self) -> None:
        self._stop_reading()
        conn, self._display = self._display, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
