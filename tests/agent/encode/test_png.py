from __future__ import annotations

import io

import numpy as np
from PIL import Image

from coupdemain.agent.encode.png import PngEncoder
from tests.agent.images import photo_like, text_like


def decode_rgb(payload: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(payload)) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def test_round_trip_is_lossless() -> None:
    pixels = photo_like(50, 70)
    decoded = decode_rgb(PngEncoder().encode(pixels))
    assert decoded.shape == (50, 70, 3)
    assert np.array_equal(decoded, pixels[..., 2::-1])


def test_strided_view_of_a_frame() -> None:
    frame = text_like(128, 256)
    region = frame[10:74, 30:100]
    decoded = decode_rgb(PngEncoder().encode(region))
    assert np.array_equal(decoded, region[..., 2::-1])
