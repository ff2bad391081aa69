from __future__ import annotations

import io

import numpy as np
import simplejpeg
from PIL import Image

from coupdemain.agent.capture.base import Rect
from coupdemain.agent.encode.base import ENCODERS, STREAM_ENCODERS
from coupdemain.agent.encode.choose import RectEncoder, choose_encoding
from coupdemain.protocol.encodings import Encoding
from tests.agent.images import bgra, photo_like, text_like


def test_flat_region_is_solid() -> None:
    assert choose_encoding(bgra(64, 64, (30, 60, 90))) is Encoding.SOLID


def test_alpha_byte_is_ignored() -> None:
    pixels = bgra(64, 64)
    pixels[5, 5, 3] = 0
    assert choose_encoding(pixels) is Encoding.SOLID


def test_text_is_lossless() -> None:
    assert choose_encoding(text_like(64, 256)) is Encoding.PNG


def test_photo_is_jpeg() -> None:
    assert choose_encoding(photo_like(64, 256)) is Encoding.JPEG


def test_large_photo_is_jpeg_through_the_sample() -> None:
    assert choose_encoding(photo_like(256, 1280)) is Encoding.JPEG


def test_one_odd_pixel_is_not_solid() -> None:
    pixels = bgra(64, 64)
    pixels[63, 63, :3] = 0
    assert choose_encoding(pixels) is Encoding.PNG


def test_every_encoding_has_an_encoder() -> None:
    # COPY carries no pixels: encode/copy.py writes it from a found scroll.
    assert set(ENCODERS) | set(STREAM_ENCODERS) | {Encoding.COPY} == set(Encoding)
    assert not set(ENCODERS) & set(STREAM_ENCODERS)


def test_rect_encoder_paints_the_frame_back() -> None:
    frame = bgra(128, 192, (0, 0, 255))
    frame[0:64, 64:128] = text_like(64, 64)
    frame[64:128, 128:192] = photo_like(64, 64)
    encoder = RectEncoder()
    canvas = np.zeros((128, 192, 3), dtype=np.uint8)
    kinds = {}
    for ty in range(2):
        for tx in range(3):
            rect = encoder.encode_rect(frame, Rect(tx * 64, ty * 64, 64, 64))
            kinds[(tx, ty)] = rect.encoding
            if rect.encoding is Encoding.SOLID:
                canvas[rect.y : rect.y + 64, rect.x : rect.x + 64] = tuple(rect.payload)
            elif rect.encoding is Encoding.PNG:
                with Image.open(io.BytesIO(rect.payload)) as image:
                    canvas[rect.y : rect.y + 64, rect.x : rect.x + 64] = np.asarray(
                        image.convert("RGB"))
            else:
                canvas[rect.y : rect.y + 64, rect.x : rect.x + 64] = simplejpeg.decode_jpeg(
                    rect.payload, colorspace="RGB")
    assert kinds[(0, 0)] is Encoding.SOLID
    assert kinds[(1, 0)] is Encoding.PNG
    assert kinds[(2, 1)] is Encoding.JPEG
    lossless = canvas[:, :128]
    assert np.array_equal(lossless, frame[:, :128, 2::-1])


def test_lossless_never_picks_jpeg() -> None:
    assert choose_encoding(photo_like(64, 64), lossless=True) is Encoding.PNG
    assert choose_encoding(bgra(64, 64), lossless=True) is Encoding.SOLID
    rect = RectEncoder().encode_rect(photo_like(64, 64), Rect(0, 0, 64, 64), lossless=True)
    assert rect.encoding is Encoding.PNG


def test_jpeg_quality_is_clamped_and_used() -> None:
    encoder = RectEncoder()
    encoder.jpeg_quality = 150
    assert encoder.jpeg_quality == 100
    big = len(encoder.encode_rect(photo_like(64, 64), Rect(0, 0, 64, 64)).payload)
    encoder.jpeg_quality = 20
    small = len(encoder.encode_rect(photo_like(64, 64), Rect(0, 0, 64, 64)).payload)
    assert small < big
