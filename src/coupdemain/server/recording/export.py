"""A recording of frames exported as an H.264 MP4, through PyAV.

The recorded frames are decoded here as the viewer decodes them
(web/viewer/decoders/): SOLID fills, PNG and JPEG tiles through Pillow,
COPY moves pixels already on the picture, H.264 regions through PyAV's
decoder, one per stream id. The picture is sampled ``FPS`` times a second
of the recording and encoded with libx264 into an MP4 (yuv420p, so that
every player reads it). The pointer, which the viewer draws apart, is not
in the picture.
"""

from __future__ import annotations

import io
import struct
from fractions import Fraction

import av
import numpy as np
from av.video.codeccontext import VideoCodecContext
from PIL import Image

from ...protocol.encodings import Encoding
from ...protocol.errors import MalformedMessage
from ...protocol.frames import FRAME_KIND_UPDATE, FrameUpdate, binary_kind, parse_frame
from .sealed import records

FPS = 10
_COPY = struct.Struct(">HH")
_H264_HEADER = struct.Struct(">HB")


class Composer:
    """The picture the recorded frames paint, as an RGB array."""

    def __init__(self) -> None:
        self.picture = np.zeros((2, 2, 3), np.uint8)
        self.sized = False
        self._streams: dict[int, VideoCodecContext] = {}

    def resize(self, width: int, height: int) -> None:
        if self.picture.shape[:2] != (height, width):
            self.picture = np.zeros((height, width, 3), np.uint8)
        self.sized = True

    def paint(self, update: FrameUpdate) -> None:
        if update.keyframe and update.rects:
            self.resize(max(r.x + r.width for r in update.rects),
                        max(r.y + r.height for r in update.rects))
        if not self.sized:
            return
        for rect in update.rects:
            try:
                self._paint_rect(rect.x, rect.y, rect.width, rect.height, rect.encoding,
                                 rect.payload)
            except (ValueError, OSError, av.error.FFmpegError):
                continue  # a rect that does not decode; the viewer skips it the same way

    def _paint_rect(self, x: int, y: int, w: int, h: int, encoding: Encoding,
                    payload: bytes) -> None:
        height, width = self.picture.shape[:2]
        if x + w > width or y + h > height:
            return
        target = self.picture[y:y + h, x:x + w]
        if encoding is Encoding.SOLID:
            target[...] = np.frombuffer(payload[:3], np.uint8)
        elif encoding in (Encoding.PNG, Encoding.JPEG):
            with Image.open(io.BytesIO(payload)) as image:
                target[...] = np.asarray(image.convert("RGB"))[:h, :w]
        elif encoding is Encoding.COPY:
            sx, sy = _COPY.unpack_from(payload)
            if sx + w <= width and sy + h <= height:
                target[...] = self.picture[sy:sy + h, sx:sx + w].copy()
        elif encoding is Encoding.H264:
            stream_id, _ = _H264_HEADER.unpack_from(payload)
            decoder = self._streams.get(stream_id)
            if decoder is None:
                decoder = self._streams[stream_id] = VideoCodecContext.create("h264", "r")
            # One access unit a rect: decoded as a packet of its own (a baseline stream
            # has no B-frames, so its picture comes out at once, as in the viewer).
            for picture in decoder.decode(av.Packet(payload[_H264_HEADER.size:])):
                target[...] = picture.to_ndarray(format="rgb24")[:h, :w]


def export_mp4(plaintext: bytes) -> bytes:
    """Encodes a frames recording's plaintext (``sealed.records``) as an H.264 MP4.

    Raises:
        MalformedMessage: the recording holds no whole screen to start from.
    """
    composer = Composer()
    timed = []
    for at, data in records(plaintext):
        if binary_kind(data) != FRAME_KIND_UPDATE:
            continue
        try:
            timed.append((at, parse_frame(data)))
        except MalformedMessage:
            continue
    keyframes = [f for _, f in timed if f.keyframe and f.rects]
    if not keyframes:
        raise MalformedMessage("the recording holds no whole screen")
    width = max(max(r.x + r.width for r in f.rects) for f in keyframes)
    height = max(max(r.y + r.height for r in f.rects) for f in keyframes)
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = width + width % 2, height + height % 2
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, FPS)
        stream.options = {"preset": "veryfast", "crf": "20"}
        duration = timed[-1][0] if timed else 0
        index = 0
        for tick in range(duration * FPS // 1000 + 1):
            now = tick * 1000 // FPS
            while index < len(timed) and timed[index][0] <= now:
                composer.paint(timed[index][1])
                index += 1
            if not composer.sized:
                continue
            canvas = np.zeros((stream.height, stream.width, 3), np.uint8)
            ph, pw = composer.picture.shape[:2]
            canvas[:ph, :pw] = composer.picture
            frame = av.VideoFrame.from_ndarray(canvas, format="rgb24")
            frame.pts = tick
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()
