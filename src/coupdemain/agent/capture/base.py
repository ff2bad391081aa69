"""What capture gives: whole-screen frames or parts of them as BGRA pixels, when and where the
screen changed, and the pointer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ...protocol.frames import CursorPosition, CursorShape

Pixels = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle of the screen, in pixels."""

    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height

    def clip(self, width: int, height: int) -> Rect | None:
        """This rectangle cut to a ``width`` x ``height`` screen; None if nothing is left."""
        left, top = max(self.x, 0), max(self.y, 0)
        right, bottom = min(self.x + self.width, width), min(self.y + self.height, height)
        if right <= left or bottom <= top:
            return None
        return Rect(left, top, right - left, bottom - top)


@dataclass(frozen=True, slots=True)
class CapturedFrame:
    """One picture of the whole screen.

    ``pixels`` has shape ``(height, width, 4)``, bytes in B, G, R, A order
    (the X server's and Windows' native order, which simplejpeg reads
    directly). The alpha byte carries no meaning and may hold anything.
    """

    pixels: Pixels
    width: int
    height: int

    @classmethod
    def from_pixels(cls, pixels: Pixels) -> CapturedFrame:
        """Wraps an ``(height, width, 4)`` uint8 array.

        Raises:
            ValueError: the array does not have that shape or type.
        """
        if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
            raise ValueError(
                f"a frame must be a (height, width, 4) uint8 array, not {pixels.shape} "
                f"{pixels.dtype}"
            )
        return cls(pixels, int(pixels.shape[1]), int(pixels.shape[0]))


@dataclass(frozen=True, slots=True)
class Monitor:
    """One monitor of the desktop, in the coordinates of the whole-screen picture."""

    x: int
    y: int
    width: int
    height: int
    name: str = ""
    primary: bool = False


class ScreenSource(Protocol):
    """Something that can take pictures of a screen, or of a region of it.

    The shared screen is a region of the display (all of it by default, one
    monitor when a technician picks one): ``origin`` is its top-left corner
    in display coordinates, which damage reports and the cursor use.
    Captured pixels and ``capture_area`` rectangles are relative to it.

    Calls come from one worker thread (the pipeline's executor), so an
    implementation may keep per-thread handles such as an X connection.
    """

    @property
    def origin(self) -> tuple[int, int]:
        """The shared region's top-left corner, in display coordinates."""
        ...

    def capture(self) -> CapturedFrame:
        """Takes one picture of the whole shared region."""
        ...

    def capture_area(self, area: Rect) -> Pixels:
        """Takes one picture of ``area`` (relative to ``origin``), as ``(h, w, 4)`` pixels.

        Raises:
            CaptureError-like exceptions when the area lies outside the screen,
            e.g. after a resize; the caller then captures the whole region.
        """
        ...

    def monitors(self) -> list[Monitor]:
        """The monitors the picture spans, left to right; one when there is one."""
        ...

    def close(self) -> None:
        """Frees the handles the source holds; ``capture`` is not called afterwards."""
        ...


class ChangeSource(Protocol):
    """Tells the pipeline when, and where, the screen may have changed.

    XDamage where the X server has it (``damage.py``), which also says
    *where*; else a blind timer (``timer.py``).
    """

    async def wait_for_change(self) -> None:
        """Returns once the screen may have changed since the previous call returned."""
        ...

    def take_damage(self) -> list[Rect] | None:
        """The rectangles drawn since the last call, in display coordinates.

        None: unknown, compare the whole screen.
        """
        ...

    def nudge(self) -> None:
        """Input was just injected: the screen is about to change."""
        ...

    def close(self) -> None:
        """Stops listening (called on the event loop's thread)."""
        ...


class CursorSource(Protocol):
    """The pointer's shape and position, in display coordinates (``cursor.py``)."""

    async def next_updates(self) -> list[CursorShape | CursorPosition]:
        """Waits until the shape changes or the pointer moves; returns what changed."""
        ...

    def current(self) -> list[CursorShape | CursorPosition]:
        """The shape and position known now."""
        ...

    def close(self) -> None: ...
