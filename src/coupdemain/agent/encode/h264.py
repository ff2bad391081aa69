"""H.264: a large region in sustained motion, as one video stream through PyAV's libx264.

Each video region of the screen is its own stream, with its own id, size
and encoder. A stream's rectangle never changes: when the region grows,
moves, or the bitrate changes, the stream ends and a new one starts with
a keyframe, so the viewer's decoder is always configured for one size.

The payload of an ``Encoding.H264`` rect (docs/reference/protocol.md,
"H.264 payload")::

    u16 stream id | u8 flags (bit 0: keyframe) | one access unit, Annex B

Annex B (start codes, SPS and PPS in front of every keyframe) makes every
keyframe self-contained: the viewer configures its ``VideoDecoder`` from
the keyframe alone, and reads the codec string (``avc1.42C0xx``) from its
SPS. Settings: constrained baseline profile (no B-frames, so a frame
decodes as soon as it arrives), ``ultrafast`` preset, ``zerolatency``
tuning (no lookahead, one packet out per frame in), CRF 23 capped by a
VBV at the stream's bitrate, no periodic keyframes. Pixels are converted
BGRA → yuv420p with BT.601 (limited range, ``yuv.py``) and the SPS says
so, so that the browser converts back with the same matrix.
"""

from __future__ import annotations

import logging
import struct
from fractions import Fraction
from typing import ClassVar

import av

from ...protocol.encodings import Encoding
from ..capture.base import Pixels
from .base import VideoEncodeError
from .yuv import ToYuv420

logger = logging.getLogger("coupdemain.agent.encode.h264")

PAYLOAD_HEADER = struct.Struct(">HB")  # stream id, flags
FLAG_KEYFRAME = 0x01
PRESET = "ultrafast"
CRF = 23
# The VBV buffer holds this many frames' worth of the bitrate: one large
# frame may not delay the next ones by more than about this many frame times.
VBV_FRAMES = 2
MIN_BITRATE = 100_000


def pack_payload(stream_id: int, keyframe: bool, access_unit: bytes) -> bytes:
    """Writes an H.264 rect's payload: its stream id and flags, then the access unit."""
    return PAYLOAD_HEADER.pack(stream_id & 0xFFFF, FLAG_KEYFRAME if keyframe else 0) + access_unit


def unpack_payload(payload: bytes) -> tuple[int, bool, bytes]:
    """Reads an H.264 rect's payload.

    Returns:
        ``(stream_id, keyframe, access_unit)``.

    Raises:
        ValueError: the payload is shorter than its header.
    """
    if len(payload) < PAYLOAD_HEADER.size:
        raise ValueError(f"h264 payload of {len(payload)} bytes is shorter than its header")
    stream_id, flags = PAYLOAD_HEADER.unpack_from(payload, 0)
    return stream_id, bool(flags & FLAG_KEYFRAME), payload[PAYLOAD_HEADER.size :]


class H264Encoder:
    """One H.264 stream of one fixed rectangle.

    Args:
        stream_id: the id the viewer keys its decoder by (0 to 65535).
        width, height: the stream's size; both must be even.
        bitrate: the VBV cap in bits per second.
        fps: the nominal frame rate (for the VBV's per-frame budget).

    Raises:
        ValueError: an odd or empty size.
    """

    encoding: ClassVar[Encoding] = Encoding.H264

    def __init__(
        self, stream_id: int, width: int, height: int, *, bitrate: int, fps: float = 30.0
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"an H.264 stream needs an even size, not {width}x{height}")
        self.stream_id = stream_id & 0xFFFF
        self.width = width
        self.height = height
        self.bitrate = max(MIN_BITRATE, int(bitrate))
        self.frames = 0
        self._needs_keyframe = True
        context = av.CodecContext.create("libx264", "w")
        assert isinstance(context, av.VideoCodecContext)
        context.width = width
        context.height = height
        context.pix_fmt = "yuv420p"
        rate = max(1, round(fps))
        context.time_base = Fraction(1, rate)
        context.framerate = Fraction(rate, 1)
        context.thread_count = 1  # no gain from more at these sizes (perf-limits §2.4)
        kbps = self.bitrate // 1000
        context.options = {
            "preset": PRESET,
            "tune": "zerolatency",
            "profile": "baseline",
            "crf": str(CRF),
            "maxrate": f"{kbps}k",
            "bufsize": f"{max(1, kbps * VBV_FRAMES // rate)}k",
            "x264-params": (
                "keyint=infinite:repeat-headers=1:annexb=1:"
                "colorprim=smpte170m:transfer=smpte170m:colormatrix=smpte170m:fullrange=off"
            ),
        }
        context.open()
        self._context = context
        self._to_yuv = ToYuv420(width, height)

    def encode(self, pixels: Pixels, *, keyframe: bool = False) -> bytes:
        """Encodes the next picture of the stream.

        Args:
            pixels: a ``(height, width, 4)`` BGRA region of the stream's size.
            keyframe: start over with an IDR picture (the first one always is).

        Returns:
            The rect's payload (see the module docstring).

        Raises:
            ValueError: the region's size is not the stream's.
            VideoEncodeError: the encoder produced no picture.
        """
        if pixels.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"a {pixels.shape[1]}x{pixels.shape[0]} region does not fit the "
                f"{self.width}x{self.height} stream {self.stream_id}"
            )
        frame = self._to_yuv.convert(pixels)
        frame.pts = self.frames
        keyframe = keyframe or self._needs_keyframe
        # Set on every frame: the converter hands back the same frame each time.
        frame.pict_type = (av.video.frame.PictureType.I if keyframe
                           else av.video.frame.PictureType.NONE)
        try:
            packets = self._context.encode(frame)
        except av.FFmpegError as exc:
            raise VideoEncodeError(f"libx264 failed on stream {self.stream_id}: {exc}") from exc
        self.frames += 1
        data = b"".join(bytes(packet) for packet in packets)
        if not data:
            raise VideoEncodeError(f"libx264 gave no picture for stream {self.stream_id}")
        is_key = any(packet.is_keyframe for packet in packets)
        if keyframe and not is_key:
            raise VideoEncodeError(f"libx264 gave no keyframe for stream {self.stream_id}")
        self._needs_keyframe = False
        return pack_payload(self.stream_id, is_key, data)

    def close(self) -> None:
        """Frees the encoder; the stream ends."""
        self._context = None  # type: ignore[assignment]
