"""SOLID: a rectangle of one colour travels as three bytes, R, G, B."""

from __future__ import annotations

from typing import ClassVar

from ...protocol.encodings import Encoding
from ..capture.base import Pixels


class SolidEncoder:
    """Encodes a one-colour rectangle as its colour.

    The caller has checked that the region is one colour (``choose.py``);
    this encoder reads the top-left pixel only.
    """

    encoding: ClassVar[Encoding] = Encoding.SOLID

    def encode(self, pixels: Pixels) -> bytes:
        b, g, r = (int(v) for v in pixels[0, 0, :3])
        return bytes((r, g, b))
