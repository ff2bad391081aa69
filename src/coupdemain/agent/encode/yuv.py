"""BGRA → yuv420p, the picture libx264 takes: libyuv where installed, swscale otherwise.

The conversion cost as much CPU as the encoding itself: swscale (through
PyAV) takes 0.74 ms for 896x512, libyuv's ``ARGBToI420`` (SIMD, the
converter Chrome and WebRTC use) 0.08 ms. Both write BT.601 limited range,
the matrix the stream's SPS announces; libyuv averages each 2x2 block for
its chroma, swscale filters a little wider, so they differ by a few levels
on sharp colour edges only.

libyuv comes from the system (Debian's ``libyuv0``) and is called through
ctypes: it has no Python binding on PyPI. Without it the agent converts
with swscale, as before, a little slower.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Iterator
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from ..capture.base import Pixels

logger = logging.getLogger("coupdemain.agent.encode.yuv")

LIBYUV_NAMES = ("libyuv.so.0", "libyuv.so")


@functools.cache
def _argb_to_i420() -> Any:
    """libyuv's ``ARGBToI420``, or None where libyuv is not installed.

    libyuv's "ARGB" is a little-endian 32-bit word: the bytes B, G, R, A in
    memory, as X11 and mss give them.
    """
    for name in _library_names():
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        function = library.ARGBToI420
        function.argtypes = [
            ctypes.c_void_p, ctypes.c_int,  # src_argb, src_stride_argb
            ctypes.c_void_p, ctypes.c_int,  # dst_y, dst_stride_y
            ctypes.c_void_p, ctypes.c_int,  # dst_u, dst_stride_u
            ctypes.c_void_p, ctypes.c_int,  # dst_v, dst_stride_v
            ctypes.c_int, ctypes.c_int,  # width, height
        ]
        function.restype = ctypes.c_int
        logger.debug("video frames are converted by libyuv (%s)", name)
        return function
    logger.info("libyuv is not installed: video frames are converted by swscale (slower)")
    return None


def _library_names() -> Iterator[str]:
    yield from LIBYUV_NAMES
    # Slower (it may run ldconfig): only where the usual names are missing.
    found = ctypes.util.find_library("yuv")
    if found:
        yield found


def libyuv_available() -> bool:
    return _argb_to_i420() is not None


class ToYuv420:
    """Converts BGRA regions of one size to yuv420p video frames, again and again.

    Args:
        width, height: the size of every region converted; both even.
        use_libyuv: False forces swscale (tests compare the two).
    """

    def __init__(self, width: int, height: int, *, use_libyuv: bool = True) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"yuv420p needs an even size, not {width}x{height}")
        self.width = width
        self.height = height
        self._convert = _argb_to_i420() if use_libyuv else None
        # libyuv's output: one frame for the stream's life (libx264 copies
        # each picture it is given). Allocated by PyAV, not wrapped around an
        # array: PyAV reads a yuv420p array's height in steps of 4 rows, and
        # a 302-row region became a 300-row frame, scaled back up by the encoder.
        self._frame = av.VideoFrame(width, height, "yuv420p") if self._convert else None
        # swscale's context, kept: a fresh one per frame costs 3 ms more.
        self._reformatter = VideoReformatter() if self._convert is None else None

    @property
    def uses_libyuv(self) -> bool:
        return self._convert is not None

    def convert(self, pixels: Pixels) -> av.VideoFrame:
        """The frame for a ``(height, width, 4)`` BGRA region (rows may lie a screen apart).

        The frame holds the converter's own buffer: it is valid until the
        next ``convert``, long enough to hand it to the encoder.

        Raises:
            ValueError: the region is not of the converter's size.
        """
        if pixels.shape != (self.height, self.width, 4):
            raise ValueError(f"a {pixels.shape} region does not fit a "
                             f"{self.width}x{self.height} converter")
        if pixels.strides[1:] != (4, 1):
            pixels = np.ascontiguousarray(pixels)
        convert = self._convert
        if convert is None:
            assert self._reformatter is not None
            # The frame wraps the region where it lies: no copy before swscale.
            bgra = av.VideoFrame.from_numpy_buffer(pixels, format="bgra")
            # One thread: slices of a small region cost more in wake-ups than they save.
            return self._reformatter.reformat(bgra, format="yuv420p", threads=1)
        assert self._frame is not None
        y, u, v = self._frame.planes
        status = convert(
            pixels.ctypes.data, pixels.strides[0],
            y.buffer_ptr, y.line_size,
            u.buffer_ptr, u.line_size,
            v.buffer_ptr, v.line_size,
            self.width, self.height,
        )
        if status != 0:
            raise ValueError(f"libyuv could not convert a {self.width}x{self.height} region")
        return self._frame
