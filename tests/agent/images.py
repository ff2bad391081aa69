"""Pictures the agent tests share: text-like, photographic and flat regions."""

from __future__ import annotations

import numpy as np

from coupdemain.agent.capture.base import Pixels


def bgra(height: int, width: int, rgb: tuple[int, int, int] = (255, 255, 255)) -> Pixels:
    """A flat BGRA region of one colour."""
    pixels = np.zeros((height, width, 4), dtype=np.uint8)
    pixels[..., 0], pixels[..., 1], pixels[..., 2] = rgb[2], rgb[1], rgb[0]
    pixels[..., 3] = 255
    return pixels


def text_like(height: int = 64, width: int = 128) -> Pixels:
    """Dark strokes on white with a few grey edge shades, like rendered text."""
    pixels = bgra(height, width)
    rng = np.random.default_rng(7)
    for row in range(4, height - 8, 12):
        for col in range(4, width - 8, 7):
            if rng.random() < 0.7:
                pixels[row : row + 8, col : col + 1, :3] = 20
                pixels[row : row + 8, col + 1 : col + 2, :3] = 160  # anti-aliased edge
                pixels[row + 7, col : col + 4, :3] = 20
    return pixels


def photo_like(height: int = 64, width: int = 128, grain: int = 25) -> Pixels:
    """A smooth colour gradient with grain, like a photograph."""
    y, x = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(11)
    pixels = np.empty((height, width, 4), dtype=np.uint8)
    noise = rng.integers(-grain, grain + 1, size=(height, width, 3))
    pixels[..., 0] = np.clip(x * 255 // max(1, width - 1) + noise[..., 0], 0, 255)
    pixels[..., 1] = np.clip(y * 255 // max(1, height - 1) + noise[..., 1], 0, 255)
    pixels[..., 2] = np.clip(128 + noise[..., 2] * 2, 0, 255)
    pixels[..., 3] = 255
    return pixels


def terminal_text(lines: int, width: int, seed: int = 3) -> Pixels:
    """Light-on-dark lines of 16-pixel-high glyphs, each line its own, like a terminal."""
    rng = np.random.default_rng(seed)
    glyphs = (rng.random((64, 16, 8)) < 0.35) & (np.arange(16)[None, :, None] < 12)
    chars = rng.integers(0, 64, (lines, width // 8))
    ink = glyphs[chars].transpose(0, 2, 1, 3).reshape(lines * 16, (width // 8) * 8)
    pixels = bgra(lines * 16, width, (30, 30, 30))
    pixels[:, : ink.shape[1], :3][ink] = 224
    return pixels
