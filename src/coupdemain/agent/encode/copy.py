"""COPY: a rectangle the viewer already has elsewhere on its picture (a scroll).

The rect is the destination; its payload is where to copy from, the
source's top-left corner on the viewer's picture::

    u16 source x | u16 source y      (big-endian)

The viewer copies the rect's width x height pixels from there, as its
picture stands when the rect's turn comes in the frame: a COPY comes
before the rects that paint what scrolled into view. Source and
destination may overlap (the viewer copies as if through a buffer).
``scroll.py`` finds what can travel this way.
"""

from __future__ import annotations

import struct

from ...protocol.encodings import Encoding
from ...protocol.frames import EncodedRect
from ..capture.base import Rect

PAYLOAD = struct.Struct(">HH")


def copy_rect(dest: Rect, source: tuple[int, int]) -> EncodedRect:
    """The rect that tells the viewer to copy ``dest``'s size from ``source`` to ``dest``."""
    return EncodedRect(dest.x, dest.y, dest.width, dest.height, Encoding.COPY,
                       PAYLOAD.pack(*source))


def unpack_payload(payload: bytes) -> tuple[int, int]:
    """The source corner of a COPY rect's payload.

    Raises:
        ValueError: the payload is not exactly 4 bytes.
    """
    if len(payload) != PAYLOAD.size:
        raise ValueError(f"copy rect payload must be {PAYLOAD.size} bytes, not {len(payload)}")
    x, y = PAYLOAD.unpack(payload)
    return x, y
