"""The MP4 export: recorded frames decoded as the viewer decodes them, encoded with PyAV."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from coupdemain.agent.encode.h264 import pack_payload
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.errors import MalformedMessage
from coupdemain.protocol.frames import EncodedRect, FrameUpdate, serialize_frame
from coupdemain.server.recording.export import FPS, export_mp4
from coupdemain.server.recording.sealed import RECORD_HEADER


def record(at: int, update: FrameUpdate) -> bytes:
    data = serialize_frame(update)
    return RECORD_HEADER.pack(at, len(data)) + data


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), rgb).save(out, "PNG")
    return out.getvalue()


def h264_keyframe(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """One Annex B access unit of a flat picture, as the agent's encoder makes them."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = Fraction(1, 30)
    codec.options = {"preset": "ultrafast", "tune": "zerolatency", "profile": "baseline"}
    picture = np.zeros((height, width, 3), np.uint8)
    picture[...] = rgb
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
    packets = list(codec.encode(frame)) + list(codec.encode(None))
    return b"".join(bytes(p) for p in packets)


def decoded(mp4: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(mp4)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_png_solid_copy_and_h264_rects_make_the_pictures_of_the_mp4() -> None:
    plain = b"".join([
        record(0, FrameUpdate(1, (EncodedRect(0, 0, 128, 96, Encoding.PNG,
                                              png(128, 96, (240, 240, 240))),), keyframe=True)),
        record(500, FrameUpdate(2, (EncodedRect(0, 0, 32, 32, Encoding.SOLID, b"\x20\x40\xe0"),))),
        record(1000, FrameUpdate(3, (EncodedRect(64, 0, 32, 32, Encoding.COPY,
                                                 b"\x00\x00\x00\x00"),))),
        record(1500, FrameUpdate(4, (EncodedRect(64, 48, 64, 48, Encoding.H264, pack_payload(
            1, True, h264_keyframe(64, 48, (220, 30, 30)))),))),
    ])
    pictures = decoded(export_mp4(plain))
    assert len(pictures) == 1500 * FPS // 1000 + 1
    assert pictures[0].shape == (96, 128, 3)

    def at(picture: np.ndarray, x: int, y: int) -> tuple[int, ...]:
        return tuple(int(v) for v in picture[y - 2:y + 2, x - 2:x + 2].mean(axis=(0, 1)))

    def near(got: tuple[int, ...], want: tuple[int, int, int]) -> bool:
        return all(abs(a - b) <= 20 for a, b in zip(got, want, strict=True))

    assert near(at(pictures[0], 16, 16), (240, 240, 240))
    assert near(at(pictures[6], 16, 16), (32, 64, 224))      # the solid rect, at 0.6 s
    assert near(at(pictures[6], 80, 16), (240, 240, 240))    # not copied yet
    assert near(at(pictures[11], 80, 16), (32, 64, 224))     # copied at 1 s
    assert near(at(pictures[-1], 96, 72), (220, 30, 30))     # the H.264 region at 1.5 s


def test_a_recording_without_a_whole_screen_is_refused_in_words() -> None:
    plain = record(0, FrameUpdate(1, (EncodedRect(0, 0, 8, 8, Encoding.SOLID, b"\0\0\0"),)))
    with pytest.raises(MalformedMessage, match="the recording holds no whole screen"):
        export_mp4(plain)
