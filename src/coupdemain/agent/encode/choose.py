"""Which encoding fits a rectangle: one colour, few colours, or a photograph.

- One colour (a blank margin, a window background): SOLID, three bytes.
- Few colours (text, icons, flat UI): PNG, so that text stays sharp.
- Many colours (photos, gradients, video): JPEG, ten times smaller.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ...protocol.encodings import Encoding
from ...protocol.frames import EncodedRect
from ..capture.base import Pixels, Rect
from .base import ENCODERS, Encoder
from .jpeg import JpegEncoder

# Anti-aliased text on a plain background uses tens to a couple of hundred
# colours; a photograph of the same size uses thousands.
MAX_LOSSLESS_COLOURS = 256
# Counting colours sorts the pixels; a sample keeps that cheap on big regions.
SAMPLE_PIXELS = 16 * 1024
_RGB_MASK = np.uint32(0x00FFFFFF)


def _colours(pixels: Pixels) -> npt.NDArray[np.uint32]:
    """The region's pixels as 0xRRGGBB-ish uint32 words, alpha masked off."""
    words = np.ascontiguousarray(pixels).view(np.uint32).reshape(-1)
    return words & _RGB_MASK


def choose_encoding(pixels: Pixels, *, lossless: bool = False) -> Encoding:
    """Picks the encoding for one BGRA region.

    Args:
        pixels: a ``(height, width, 4)`` region, possibly a view of a frame.
        lossless: only SOLID or PNG (a refresh of a region at rest).
    """
    colours = _colours(pixels)
    if colours.size == 0 or bool((colours == colours[0]).all()):
        return Encoding.SOLID
    if lossless:
        return Encoding.PNG
    if colours.size > SAMPLE_PIXELS:
        # An evenly spaced sample; a region that is text everywhere is text
        # in the sample too.
        step = colours.size // SAMPLE_PIXELS
        colours = colours[::step]
    distinct = np.unique(colours).size
    return Encoding.PNG if distinct <= MAX_LOSSLESS_COLOURS else Encoding.JPEG


class RectEncoder:
    """Encodes rectangles of a frame, each with the encoding that fits it.

    Holds one encoder instance per still-image encoding, so that
    per-encoder settings are made once; ``jpeg_quality`` follows the
    pipeline's quality level.
    """

    def __init__(self) -> None:
        self._encoders: dict[Encoding, Encoder] = {
            encoding: cls() for encoding, cls in ENCODERS.items()
        }

    @property
    def jpeg_quality(self) -> int:
        jpeg = self._encoders[Encoding.JPEG]
        assert isinstance(jpeg, JpegEncoder)
        return jpeg.quality

    @jpeg_quality.setter
    def jpeg_quality(self, quality: int) -> None:
        jpeg = self._encoders[Encoding.JPEG]
        assert isinstance(jpeg, JpegEncoder)
        jpeg.quality = max(1, min(100, int(quality)))

    def encode_rect(self, frame: Pixels, rect: Rect, *, lossless: bool = False) -> EncodedRect:
        """Chooses and encodes one rectangle of a whole-screen frame.

        Args:
            frame: the whole screen.
            rect: the part to encode.
            lossless: SOLID or PNG only, never JPEG.
        """
        region = frame[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
        encoding = choose_encoding(region, lossless=lossless)
        payload = self._encoders[encoding].encode(region)
        return EncodedRect(rect.x, rect.y, rect.width, rect.height, encoding, payload)
