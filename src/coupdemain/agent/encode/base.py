"""The encoder seam, and the one table from encoding id to encoder."""

from __future__ import annotations

from typing import ClassVar, Protocol

from ...protocol.encodings import Encoding
from ..capture.base import Pixels


class Encoder(Protocol):
    """Turns the pixels of one rectangle into the payload of one ``EncodedRect``."""

    encoding: ClassVar[Encoding]

    def encode(self, pixels: Pixels) -> bytes:
        """Encodes a ``(height, width, 4)`` BGRA region (it may be a strided view)."""
        ...


def _table() -> dict[Encoding, type[Encoder]]:
    # Imported here so that each encoder module can import this one's Protocol.
    from .jpeg import JpegEncoder
    from .png import PngEncoder
    from .solid import SolidEncoder

    return {Encoding.SOLID: SolidEncoder, Encoding.PNG: PngEncoder, Encoding.JPEG: JpegEncoder}


ENCODERS: dict[Encoding, type[Encoder]] = _table()
