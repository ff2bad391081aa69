"""What every screen source gives: whole-screen frames as BGRA pixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Pixels = npt.NDArray[np.uint8]


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


class ScreenSource(Protocol):
    """Something that can take pictures of a screen.

    Calls come from one worker thread (the pipeline's executor), so an
    implementation may keep per-thread handles such as an X connection.
    """

    def capture(self) -> CapturedFrame:
        """Takes one picture of the whole screen."""
        ...

    def close(self) -> None:
        """Frees the handles the source holds; ``capture`` is not called afterwards."""
        ...
