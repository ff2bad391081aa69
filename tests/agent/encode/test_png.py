from __future__ import annotations

import io

import numpy as np
import pytest
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


def test_few_colours_take_a_palette_of_the_smallest_depth_and_stay_exact() -> None:
    pixels = text_like(64, 64)
    payload = PngEncoder().encode(pixels)
    with Image.open(io.BytesIO(payload)) as image:
        assert image.mode == "P"
        colours = len(np.unique(pixels[..., :3].reshape(-1, 3), axis=0))
        assert colours <= 4
    assert np.array_equal(decode_rgb(payload), pixels[..., 2::-1])
    # Half the bytes of the RGB encoding (the photo path of the same picture).
    rgb = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels[..., 2::-1])).save(rgb, format="PNG",
                                                                    compress_level=1)
    assert len(payload) < len(rgb.getvalue()) * 0.7


def test_a_band_of_text_a_screen_wide_takes_a_palette_too() -> None:
    # The lines a terminal scrolls into view, or a row of tiles of a page.
    pixels = text_like(256, 1920)
    payload = PngEncoder().encode(pixels)
    with Image.open(io.BytesIO(payload)) as image:
        assert image.mode == "P"
    assert np.array_equal(decode_rgb(payload), pixels[..., 2::-1])


def test_exactly_256_colours_keep_a_palette_and_257_do_not() -> None:
    pixels = np.zeros((16, 17, 4), np.uint8)
    values = np.arange(16 * 17)
    pixels[..., 0] = (values % 256).reshape(16, 17)
    pixels[..., 1] = (values // 256).reshape(16, 17)
    with Image.open(io.BytesIO(PngEncoder().encode(pixels))) as image:
        assert image.mode == "RGB"  # 272 colours
    small = pixels[:, :16].copy()
    small[..., 1] = 0  # 256 colours
    payload = PngEncoder().encode(small)
    with Image.open(io.BytesIO(payload)) as image:
        assert image.mode == "P"
    assert np.array_equal(decode_rgb(payload), small[..., 2::-1])


@pytest.mark.parametrize("colours", [2, 3, 4, 5, 16, 17, 256])
@pytest.mark.parametrize("width", [1, 7, 9, 64])
def test_every_palette_depth_and_row_length_decodes_exactly(colours: int, width: int) -> None:
    rng = np.random.default_rng(colours * 100 + width)
    height = 5
    palette = rng.integers(0, 256, (colours, 4), dtype=np.uint8)
    # Every colour appears at least once when the region is big enough.
    picks = np.arange(height * width) % colours
    pixels = palette[rng.permutation(picks)].reshape(height, width, 4)
    payload = PngEncoder().encode(pixels)
    distinct = len(np.unique(pixels[..., :3].reshape(-1, 3), axis=0))
    with Image.open(io.BytesIO(payload)) as image:
        assert image.mode == "P"
        depth = {2: 1, 4: 2, 16: 4, 256: 8}[min(n for n in (2, 4, 16, 256) if n >= distinct)]
        assert payload[24] == depth  # IHDR's bit depth
    assert np.array_equal(decode_rgb(payload), pixels[..., 2::-1])


def test_the_same_picture_gives_the_same_bytes() -> None:
    pixels = text_like(40, 90)
    assert PngEncoder().encode(pixels) == PngEncoder().encode(pixels.copy())
