"""Capture of the X display named by ``DISPLAY``, through mss (XShm).

mss uses the MIT shared-memory extension when the server offers it: about
4 ms for a 1080p grab, against 12 ms without it (research/perf-limits.md).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from .base import CapturedFrame


class CaptureError(RuntimeError):
    """The screen could not be captured."""


class X11Screen:
    """The whole X root window, captured with mss.

    mss handles must stay in the thread that made them, so one is made
    lazily per thread; the pipeline calls from a single worker thread.

    Args:
        display: the X display, e.g. ":0"; defaults to ``$DISPLAY``.
    """

    def __init__(self, display: str | None = None) -> None:
        self.display = display or os.environ.get("DISPLAY", "")
        if not self.display:
            raise CaptureError("DISPLAY is not set: there is no X screen to share")
        self._local = threading.local()

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

    def capture(self) -> CapturedFrame:
        """Grabs the whole root window (all monitors), as root coordinates."""
        sct = self._grabber()
        try:
            # monitors[0] is the union of all monitors, i.e. the root window,
            # so captured pixels and injected pointer positions share one origin.
            shot = sct.grab(sct.monitors[0])
        except Exception as exc:
            raise CaptureError(f"cannot capture X display {self.display!r}: {exc}") from exc
        pixels = np.frombuffer(shot.raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)
        return CapturedFrame(pixels, shot.width, shot.height)

    def close(self) -> None:
        sct = getattr(self._local, "sct", None)
        if sct is not None:
            sct.close()
            self._local.sct = None
