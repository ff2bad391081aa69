from __future__ import annotations

import numpy as np
import simplejpeg

from coupdemain.agent.encode.jpeg import JpegEncoder
from coupdemain.protocol.encodings import Encoding
from tests.agent.images import bgra, photo_like


def test_round_trip_is_close() -> None:
    pixels = photo_like(64, 128, grain=4)
    payload = JpegEncoder().encode(pixels)
    assert payload[:2] == b"\xff\xd8"  # a JPEG starts with SOI
    decoded = simplejpeg.decode_jpeg(payload, colorspace="RGB")
    assert decoded.shape == (64, 128, 3)
    error = np.abs(decoded.astype(int) - pixels[..., 2::-1].astype(int)).mean()
    assert error < 6


def test_flat_colour_survives() -> None:
    decoded = simplejpeg.decode_jpeg(JpegEncoder().encode(bgra(32, 48, (200, 40, 90))),
                                     colorspace="RGB")
    assert np.abs(decoded.astype(int) - np.array([200, 40, 90])).max() <= 4


def test_strided_view_and_odd_size() -> None:
    frame = photo_like(100, 200)
    region = frame[3:40, 5:62]
    decoded = simplejpeg.decode_jpeg(JpegEncoder().encode(region), colorspace="RGB")
    assert decoded.shape == (37, 57, 3)


def test_encoding_id() -> None:
    assert JpegEncoder.encoding is Encoding.JPEG
