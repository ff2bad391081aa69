"""The one table of rectangle encodings, mirrored by web/viewer/encodings.js."""

from __future__ import annotations

import enum


class Encoding(enum.IntEnum):
    """How the pixels of one rectangle travel.

    Ids are never reused; a retired id is listed in docs/reference/protocol.md.
    """

    SOLID = 0  # 3 bytes: R, G, B; the whole rectangle is one colour
    PNG = 1    # a PNG image, lossless: text and flat UI
    JPEG = 2   # a baseline JPEG image: photographic content


ENCODING_NAMES: dict[Encoding, str] = {e: e.name.lower() for e in Encoding}
