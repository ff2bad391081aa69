"""Capture of the X display named by ``DISPLAY``, through mss (XShm).

mss uses the MIT shared-memory extension when the server offers it: about
4 ms for a 1080p grab, against 12 ms without it, and 0.2 ms for a small
region (research/perf-limits.md). The pipeline grabs the whole region for
keyframes and only the damaged rectangles otherwise (``capture_area``).

X draws the pointer apart from the windows: neither XShmGetImage nor
XGetImage returns it, so the frames never carry the cursor. It travels on
its own (``capture/cursor.py``) and the viewer draws it.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from ...protocol.errors import LocalError
from .base import CapturedFrame, Monitor, Pixels, Rect


class CaptureError(LocalError, RuntimeError):
    """The screen could not be captured."""

    sentence = "agent:error.internal"


class X11Screen:
    """The X root window, or a region of it, captured with mss.

    mss handles must stay in the thread that made them, so one is made
    lazily per thread; the pipeline calls from a single worker thread.

    Args:
        display: the X display, e.g. ":0"; defaults to ``$DISPLAY``.
        region: the part of the root window to share, in root coordinates
            (one monitor, say); None shares the whole root window.
    """

    def __init__(self, display: str | None = None, region: Rect | None = None) -> None:
        self.display = display or os.environ.get("DISPLAY", "")
        if not self.display:
            raise CaptureError("DISPLAY is not set: there is no X screen to share")
        if region is not None and (region.width <= 0 or region.height <= 0):
            raise CaptureError(f"the region to share is empty: {region}")
        self.region = region
        self._local = threading.local()

    @property
    def origin(self) -> tuple[int, int]:
        return (0, 0) if self.region is None else (self.region.x, self.region.y)

    def _grabber(self) -> Any:
        sct = getattr(self._local, "sct", None)
        if sct is None:
            import mss

            try:
                # mss 10 renamed the factory; 9 only has the old name.
                factory = getattr(mss, "MSS", None) or mss.mss
                sct = factory(display=self.display)
            except Exception as exc:  # mss raises its own ScreenShotError and OSErrors
                raise CaptureError(f"cannot open X display {self.display!r}: {exc}") from exc
            self._local.sct = sct
        return sct

    def _grab(self, box: dict[str, int]) -> Pixels:
        sct = self._grabber()
        try:
            shot = sct.grab(box)
        except Exception as exc:
            raise CaptureError(
                f"cannot capture {box} of X display {self.display!r}: {exc}"
            ) from exc
        # shot.raw is a fresh bytearray: the array owns writable pixels.
        return np.frombuffer(shot.raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)

    def capture(self) -> CapturedFrame:
        """Grabs the shared region (by default the root window: all monitors)."""
        if self.region is None:
            # monitors[0] is the union of all monitors, i.e. the root window,
            # so captured pixels and injected pointer positions share one origin.
            pixels = self._grab(dict(self._grabber().monitors[0]))
        else:
            r = self.region
            pixels = self._grab({"left": r.x, "top": r.y, "width": r.width, "height": r.height})
        return CapturedFrame(pixels, int(pixels.shape[1]), int(pixels.shape[0]))

    def capture_area(self, area: Rect) -> Pixels:
        """Grabs one rectangle of the shared region (coordinates relative to it)."""
        if area.width <= 0 or area.height <= 0:
            raise CaptureError(f"cannot capture an empty area: {area}")
        x, y = self.origin
        if self.region is not None and area.clip(self.region.width, self.region.height) != area:
            raise CaptureError(f"{area} lies outside the shared region {self.region}")
        return self._grab(
            {"left": x + area.x, "top": y + area.y, "width": area.width, "height": area.height}
        )

    def monitors(self) -> list[Monitor]:
        """The RandR monitors (CRTCs) of the display, in root coordinates, left to right."""
        import mss

        # A handle of its own: mss reads the list once per handle, and a
        # monitor plugged in since the last keyframe must show up.
        try:
            factory = getattr(mss, "MSS", None) or mss.mss
            with factory(display=self.display) as sct:
                found = sct.monitors
        except Exception as exc:  # mss raises its own ScreenShotError and OSErrors
            raise CaptureError(f"cannot list the monitors of {self.display!r}: {exc}") from exc
        root = found[0]
        listed = sorted(
            (
                Monitor(
                    x=int(mon["left"]) - int(root["left"]), y=int(mon["top"]) - int(root["top"]),
                    width=int(mon["width"]), height=int(mon["height"]),
                    name=str(mon.get("output", "")), primary=bool(mon.get("is_primary", False)),
                )
                for mon in found[1:]
            ),
            key=lambda mon: (mon.x, mon.y),
        )
        return listed or [Monitor(0, 0, int(root["width"]), int(root["height"]), primary=True)]

    def close(self) -> None:
        sct = getattr(self._local, "sct", None)
        if sct is not None:
            sct.close()
            self._local.sct = None
