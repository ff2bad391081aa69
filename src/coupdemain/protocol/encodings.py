"""The one table of rectangle encodings; web/viewer/wire.js carries it to the viewer (schema.py)."""

from __future__ import annotations

import enum


class Encoding(enum.IntEnum):
    """How the pixels of one rectangle travel.

    Ids are never reused; a retired id is listed in docs/reference/protocol.md.
    """

    SOLID = 0  # 3 bytes: R, G, B; the whole rectangle is one colour
    PNG = 1    # a PNG image, lossless: text and flat UI
    JPEG = 2   # a baseline JPEG image: photographic content
    H264 = 3   # one H.264 access unit of a video stream: a large region in motion
    COPY = 4   # 4 bytes: u16 x, u16 y of pixels the viewer already has, moved here (a scroll)


ENCODING_NAMES: dict[Encoding, str] = {e: e.name.lower() for e in Encoding}

LOSSLESS: frozenset[Encoding] = frozenset({Encoding.SOLID, Encoding.PNG})
"""Encodings that give back the exact pixels; the others are refreshed once at rest.

COPY is in neither set: it is as exact as the pixels it copies."""

BASELINE: frozenset[Encoding] = frozenset({Encoding.SOLID, Encoding.PNG, Encoding.JPEG})
"""What every viewer paints; the agent sends only these until a viewer says more."""
