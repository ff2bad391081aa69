"""PNG: lossless, for text and flat user-interface regions."""

from __future__ import annotations

import io
from typing import ClassVar

import numpy as np
from PIL import Image

from ...protocol.encodings import Encoding
from ..capture.base import Pixels

# Level 1 is about twice as fast as 6 for a few percent more bytes on
# screen content (research/perf-limits.md §2.3).
COMPRESS_LEVEL = 1
# Regions up to this many pixels (a 1920x256 band, four rows of tiles) are
# checked for a palette. Up to there the palette PNG is both faster and
# smaller: 0.9 against 1.5 ms and 3.2 against 12.9 kB for 743x102 of
# terminal text, 3.6 against 5.6 ms and 5.8 against 16.5 kB for 1920x256
# of text; a photograph gives up after 0.1-0.6 ms. A whole 1080p screen
# is not: 79 against 29 ms, its arrays no longer fit the caches.
PALETTE_MAX_PIXELS = 512 * 1024
_RGB_MASK = np.uint32(0x00FFFFFF)


class PngEncoder:
    """Encodes a BGRA region as a PNG: with a palette when it has few colours, else RGB.

    Typed text in a 64x64 tile is two or three colours: a 1- or 2-bit
    palette PNG is half the size of the RGB one (about 160 against 370 bytes).
    """

    encoding: ClassVar[Encoding] = Encoding.PNG

    def encode(self, pixels: Pixels) -> bytes:
        height, width = pixels.shape[:2]
        if 0 < height * width <= PALETTE_MAX_PIXELS:
            paletted = _palette_png(pixels)
            if paletted is not None:
                return paletted
        # Pillow's "BGRX" raw mode drops the meaningless alpha byte while it
        # reads, which saves a separate BGRA -> RGB copy.
        data = np.ascontiguousarray(pixels).tobytes()
        image = Image.frombuffer("RGB", (width, height), data, "raw", "BGRX", 0, 1)
        out = io.BytesIO()
        image.save(out, format="PNG", compress_level=COMPRESS_LEVEL)
        return out.getvalue()


def _palette_png(pixels: Pixels) -> bytes | None:
    """The region as a palette PNG of the smallest bit depth, or None past 256 colours."""
    height, width = pixels.shape[:2]
    data = np.ascontiguousarray(pixels)
    # Pillow counts colours with a hash table and gives up past 256; sorting
    # every pixel (np.unique) took 17 ms for 832x64 of text, this 0.2 ms.
    rgb_image = Image.frombuffer("RGB", (width, height), data.tobytes(), "raw", "BGRX", 0, 1)
    found = rgb_image.getcolors(256)
    if found is None:
        return None
    channels = np.array([colour for _, colour in found], np.uint32).reshape(-1, 3)
    # Sorted by value, so that the same picture always gives the same bytes.
    colours = np.sort((channels[:, 0] << 16) | (channels[:, 1] << 8) | channels[:, 2])
    words = data.view(np.uint32).reshape(-1) & _RGB_MASK
    # Every word is one of the colours: its index is exact, not a nearest match.
    indices = np.searchsorted(colours, words).astype(np.uint8)
    count = colours.size
    bits = 1 if count <= 2 else 2 if count <= 4 else 4 if count <= 16 else 8
    image = Image.frombytes("P", (width, height), indices.tobytes())
    # Words are 0x00RRGGBB (B, G, R, A bytes, little-endian).
    rgb = np.stack([(colours >> 16) & 0xFF, (colours >> 8) & 0xFF, colours & 0xFF], axis=1)
    image.putpalette(rgb.astype(np.uint8).tobytes())
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=COMPRESS_LEVEL, bits=bits)
    return out.getvalue()
