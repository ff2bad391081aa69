"""The golden frame updates read by the viewer's tests parse and decode in Python too.

tests/fixtures/encodings/make_fixtures.py writes them; this test proves they
say what their .json files claim, with the protocol core's own parser and
the same libraries the agent encodes with.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import simplejpeg
from PIL import Image

from coupdemain.agent.encode.copy import unpack_payload
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.errors import MalformedMessage
from coupdemain.protocol.frames import EncodedRect, parse_frame

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "encodings"
PICTURES = ("solid", "png", "jpeg", "multi", "copy")
VIDEO = ("h264_key", "h264_delta")
BROKEN = ("truncated", "unknown_encoding", "trailing")


def expected(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def decode(rect: EncodedRect) -> np.ndarray:
    """One rect's pixels as a (height, width, 3) RGB array."""
    if rect.encoding is Encoding.SOLID:
        assert len(rect.payload) == 3
        pixels = np.empty((rect.height, rect.width, 3), np.uint8)
        pixels[:, :] = tuple(rect.payload)
        return pixels
    if rect.encoding is Encoding.PNG:
        with Image.open(io.BytesIO(rect.payload)) as image:
            assert image.format == "PNG"
            return np.asarray(image.convert("RGB"))
    assert rect.encoding is Encoding.JPEG
    decoded: np.ndarray = simplejpeg.decode_jpeg(rect.payload, colorspace="RGB")
    return decoded


@pytest.mark.parametrize("name", PICTURES + VIDEO)
def test_headers_match(name: str) -> None:
    want = expected(name)
    frame = parse_frame((FIXTURES / f"{name}.bin").read_bytes())
    assert frame.frame_id == want["frame_id"]
    assert frame.keyframe is want["keyframe"]
    assert [
        {"x": r.x, "y": r.y, "width": r.width, "height": r.height,
         "encoding": int(r.encoding), "payload_length": len(r.payload)}
        for r in frame.rects
    ] == want["rects"]


@pytest.mark.parametrize("name", PICTURES)
def test_pixels_match(name: str) -> None:
    want = expected(name)
    frame = parse_frame((FIXTURES / f"{name}.bin").read_bytes())
    width, height = want["screen"]["width"], want["screen"]["height"]
    screen = np.zeros((height, width, 3), np.uint8)
    for rect in frame.rects:
        if rect.encoding is Encoding.COPY:  # from the screen as painted so far
            sx, sy = unpack_payload(rect.payload)
            pixels = screen[sy : sy + rect.height, sx : sx + rect.width].copy()
        else:
            pixels = decode(rect)
        assert pixels.shape == (rect.height, rect.width, 3)
        screen[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width] = pixels
    goal = np.array(
        [np.frombuffer(bytes.fromhex(row), np.uint8).reshape(width, 3) for row in want["rgb_rows"]]
    )
    error = np.abs(screen.astype(np.int16) - goal.astype(np.int16)).max()
    assert error <= want["tolerance"]


def test_lossless_fixtures_have_no_tolerance() -> None:
    assert expected("solid")["tolerance"] == 0
    assert expected("png")["tolerance"] == 0


@pytest.mark.parametrize("name", BROKEN)
def test_broken_frames_are_refused_in_words(name: str) -> None:
    with pytest.raises(MalformedMessage) as caught:
        parse_frame((FIXTURES / f"{name}.bin").read_bytes())
    assert str(caught.value) == expected(name)["python_error"]


def test_video_fixtures_decode_in_order_within_their_tolerance() -> None:
    """h264_key starts a stream, h264_delta continues it; FFmpeg decodes both."""
    import av

    from coupdemain.agent.encode.h264 import unpack_payload

    decoder = av.CodecContext.create("h264", "r")
    streams = set()
    for name in VIDEO:
        want = expected(name)
        assert want.get("paint_after", []) == list(VIDEO[: VIDEO.index(name)])
        (rect,) = parse_frame((FIXTURES / f"{name}.bin").read_bytes()).rects
        stream_id, keyframe, access_unit = unpack_payload(rect.payload)
        streams.add(stream_id)
        assert keyframe is (name == "h264_key")
        (picture,) = decoder.decode(av.Packet(access_unit))
        pixels = picture.to_ndarray(format="rgb24")
        assert pixels.shape == (rect.height, rect.width, 3)
        goal = np.array([np.frombuffer(bytes.fromhex(row), np.uint8).reshape(rect.width, 3)
                         for row in want["rgb_rows"]])
        error = np.abs(pixels.astype(np.int16) - goal.astype(np.int16)).max()
        assert 0 < error <= want["tolerance"]
    assert streams == {5}
