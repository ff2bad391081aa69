"""The encoder seams, and the tables from encoding id to encoder.

Still-image encoders (``Encoder``) turn one region into one payload and
keep no state between rects. Stream encoders (``StreamEncoder``, H.264)
keep a video stream's state between frames, for one fixed rectangle.
COPY is in neither table: it carries no pixels, only where the viewer
finds them on its own picture (``copy.py``, made from a found scroll).
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from ...protocol.encodings import Encoding
from ...protocol.errors import LocalError
from ..capture.base import Pixels


class Encoder(Protocol):
    """Turns the pixels of one rectangle into the payload of one ``EncodedRect``."""

    encoding: ClassVar[Encoding]

    def encode(self, pixels: Pixels) -> bytes:
        """Encodes a ``(height, width, 4)`` BGRA region (it may be a strided view)."""
        ...


class VideoEncodeError(LocalError):
    """A stream encoder gave no picture for a frame; the caller sends the region another way."""

    sentence = "agent:error.internal"


class StreamEncoder(Protocol):
    """Encodes the successive pictures of one fixed rectangle as a video stream.

    Made with the stream's id (which the viewer keys its decoder by), its
    even size, its bitrate cap in bits per second and its nominal frame rate.
    """

    encoding: ClassVar[Encoding]
    stream_id: int
    width: int
    height: int

    def __init__(
        self, stream_id: int, width: int, height: int, *, bitrate: int, fps: float = 30.0
    ) -> None: ...

    def encode(self, pixels: Pixels, *, keyframe: bool = False) -> bytes:
        """Encodes the stream's next picture; ``keyframe`` starts over with an IDR.

        Raises:
            ValueError: the region's size is not the stream's.
            VideoEncodeError: the encoder produced no picture.
        """
        ...

    def close(self) -> None:
        """Ends the stream."""
        ...


def _table() -> dict[Encoding, type[Encoder]]:
    # Imported here so that each encoder module can import this one's Protocol.
    from .jpeg import JpegEncoder
    from .png import PngEncoder
    from .solid import SolidEncoder

    return {Encoding.SOLID: SolidEncoder, Encoding.PNG: PngEncoder, Encoding.JPEG: JpegEncoder}


ENCODERS: dict[Encoding, type[Encoder]] = _table()


def _stream_table() -> dict[Encoding, type[StreamEncoder]]:
    from .h264 import H264Encoder

    return {Encoding.H264: H264Encoder}


STREAM_ENCODERS: dict[Encoding, type[StreamEncoder]] = _stream_table()
