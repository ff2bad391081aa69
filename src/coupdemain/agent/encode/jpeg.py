"""JPEG: lossy, for photographic regions, through libjpeg-turbo (simplejpeg)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import simplejpeg  # type: ignore[import-untyped]

from ...protocol.encodings import Encoding
from ..capture.base import Pixels

QUALITY = 75


class JpegEncoder:
    """Encodes a BGRA region as a baseline 4:2:0 JPEG.

    simplejpeg reads BGRA directly and releases the GIL while it works, so
    encoding in the executor leaves the event loop free.

    Args:
        quality: the JPEG quality, 1 to 100.
    """

    encoding: ClassVar[Encoding] = Encoding.JPEG

    def __init__(self, quality: int = QUALITY) -> None:
        self.quality = quality

    def encode(self, pixels: Pixels) -> bytes:
        data: bytes = simplejpeg.encode_jpeg(
            np.ascontiguousarray(pixels),
            quality=self.quality,
            colorspace="BGRA",
            colorsubsampling="420",
        )
        return data
