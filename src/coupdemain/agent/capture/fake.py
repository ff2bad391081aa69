"""A screen without a display: a numbered test pattern, for unit tests."""

from __future__ import annotations

import numpy as np

from .base import CapturedFrame, Monitor, Pixels, Rect

# Seven-segment-like digit shapes on a 3x5 grid, so that each frame's number
# is visible in the pattern itself when a test dumps a picture.
_DIGITS: dict[str, tuple[str, ...]] = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
}


class FakeScreen:
    """A screen whose picture tests can change at will.

    It starts with a background of colour bands and the number 0 drawn in
    its top-left corner. ``advance()`` increments and redraws the number;
    ``fill()`` paints any rectangle; ``pixels`` can be written directly.

    Args:
        width, height: the screen's size in pixels.
        monitors: the monitors it pretends to span; one covering it all by default.
    """

    def __init__(
        self, width: int = 320, height: int = 200, monitors: list[Monitor] | None = None
    ) -> None:
        self.width = width
        self.height = height
        self.layout = monitors or [Monitor(0, 0, width, height, "fake", primary=True)]
        self.number = 0
        self.captures = 0
        self.area_captures: list[Rect] = []
        self.pixels: Pixels = np.zeros((height, width, 4), dtype=np.uint8)
        self.pixels[..., 3] = 255
        # Bands of flat colour: each 64-pixel tile column differs from the next.
        for index, x in enumerate(range(0, width, 64)):
            self.pixels[:, x : x + 64, 0] = (index * 40) % 256
            self.pixels[:, x : x + 64, 1] = (index * 90 + 30) % 256
            self.pixels[:, x : x + 64, 2] = 200
        self._draw_number()

    def _draw_number(self, scale: int = 4) -> None:
        self.fill(0, 0, min(self.width, 64), min(self.height, 32), (255, 255, 255))
        for position, digit in enumerate(str(self.number)[-3:]):
            for row, line in enumerate(_DIGITS[digit]):
                for col, cell in enumerate(line):
                    if cell == "#":
                        x = 2 + position * 4 * scale + col * scale
                        y = 2 + row * scale
                        self.fill(x, y, scale, scale, (0, 0, 0))

    def fill(self, x: int, y: int, width: int, height: int, rgb: tuple[int, int, int]) -> None:
        """Paints a rectangle in one colour (clipped to the screen)."""
        r, g, b = rgb
        self.pixels[y : y + height, x : x + width, :3] = (b, g, r)

    def advance(self) -> None:
        """Moves to the next number, changing only the top-left tile."""
        self.number += 1
        self._draw_number()

    def resize(self, width: int, height: int) -> None:
        """Changes the screen's size, as a display reconfiguration would."""
        self.__init__(width, height)  # type: ignore[misc]

    origin = (0, 0)

    def capture(self) -> CapturedFrame:
        self.captures += 1
        return CapturedFrame.from_pixels(self.pixels.copy())

    def capture_area(self, area: Rect) -> Pixels:
        """A copy of one rectangle of the screen; counted in ``area_captures``."""
        if area.clip(self.width, self.height) != area:
            raise ValueError(f"{area} lies outside the {self.width}x{self.height} screen")
        self.area_captures.append(area)
        return self.pixels[area.y : area.y + area.height, area.x : area.x + area.width].copy()

    def monitors(self) -> list[Monitor]:
        return list(self.layout)

    def close(self) -> None:
        pass
