"""The benchmark's test application: one full-screen X window with every workload.

It draws with python-xlib straight to the X server (no toolkit), so that
its own cost stays small and the same for every stack measured. The bench
drives it with one command per line on stdin and reads its answers on
stdout:

    mode idle|typing|scroll|shapes|video   start a workload (idle stops motion)
    flip                                    change the patch's colour now;
                                            answers "flipped <time.time()>"
    focus                                   take the keyboard focus
    quit

A key press or a button press on the window also changes the patch's colour
(key→pixel and click→pixel trials). Every picture of a workload increments a
frame number drawn as a barcode (16 black or white blocks), which the page
reads to count the frames the browser displayed.

Layout (1920×1080, below the agent's banner at the top centre): see LAYOUT.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import sys
import time
from dataclasses import dataclass

import numpy as np
from Xlib import X, display  # type: ignore[import-untyped]

# Every region as (x, y, width, height), in screen pixels.
LAYOUT: dict[str, tuple[int, int, int, int]] = {
    "barcode": (40, 200, 16 * 12, 12),
    "patch": (40, 240, 96, 96),
    "terminal": (200, 220, 800, 600),
    "shapes": (1040, 220, 840, 460),
    "video": (1160, 700, 640, 360),
}
BARCODE_BITS = 16
BARCODE_BLOCK = 12
PATCH_COLOURS = (0xD02020, 0x20A040, 0x2050D0)  # red, green, blue: far apart in every channel
BACKGROUND = 0xE8E8E8
TERMINAL_BG = 0x1E1E1E
TERMINAL_FG = 0xE0E0E0
FPS = 30
TYPING_RATE = 10.0  # keys per second
SCROLL_LINES_PER_TICK = 4  # at 60 ticks/s: 240 new lines per second, like `yes` in a terminal
SCROLL_TICK = 1 / 60
# python-xlib does not use BIG-REQUESTS: a request stays under 256 KiB.
MAX_IMAGE_BYTES = 200_000

WORDS_TEXT = ("the quick brown fox jumps over the lazy dog while the help desk reads the log "
              "of every session and writes a short report for the person who asked for help ")


def _photo(width: int, height: int, seed: int = 7) -> np.ndarray:
    """A smooth synthetic photograph (sky, hills, texture) as BGRX rows, uint8."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack([200 - y * 0.08, 170 - y * 0.05, 110 + y * 0.02], axis=-1)
    hills = (np.sin(x / 97.0) * 40 + np.sin(x / 31.0 + 1.3) * 12 + height * 0.55) < y
    ground = np.stack([60 + np.sin(x / 13.0) * 20, 120 + np.cos(y / 17.0) * 25,
                       70 + np.sin((x + y) / 23.0) * 20], axis=-1)
    picture = np.where(hills[..., None], ground, sky)
    coarse = rng.normal(0, 14, (height // 16 + 2, width // 16 + 2, 3)).astype(np.float32)
    picture += _smooth_upscale(coarse, 16)[:height, :width]  # blotches, like foliage and clouds
    picture += rng.normal(0, 4, picture.shape).astype(np.float32)  # grain
    bgrx = np.zeros((height, width, 4), np.uint8)
    bgrx[..., :3] = np.clip(picture, 0, 255).astype(np.uint8)
    return bgrx


@dataclass
class Shape:
    """A square or a disc bouncing inside the shapes region."""

    x: int
    y: int
    dx: int
    dy: int
    size: int
    colour: int
    round: bool

    def move(self, width: int, height: int) -> None:
        self.x, self.y = self.x + self.dx, self.y + self.dy
        if self.x < 0 or self.x + self.size > width:
            self.dx, self.x = -self.dx, min(max(self.x, 0), width - self.size)
        if self.y < 0 or self.y + self.size > height:
            self.dy, self.y = -self.dy, min(max(self.y, 0), height - self.size)


def _sprite(shape: Shape) -> bytes:
    """The shape on white as BGRX bytes: a shaded disc with a soft edge, or a bevelled square."""
    n = shape.size
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) + 0.5
    rgb = np.array([(shape.colour >> 16) & 255, (shape.colour >> 8) & 255, shape.colour & 255],
                   np.float32)
    if shape.round:
        r = n / 2
        d = np.hypot(x - r, y - r)
        light = 1.25 - 0.5 * np.hypot(x - r * 0.7, y - r * 0.7) / n  # lit from the top left
        alpha = np.clip(r - d, 0, 1)  # one pixel of anti-aliasing at the edge
    else:
        light = 1.2 - 0.4 * (x + y) / (2 * n)
        edge = np.minimum(np.minimum(x, y), np.minimum(n - x, n - y))
        light = np.where(edge < 3, light * 0.7, light)  # a darker bevel
        alpha = np.ones_like(x)
    colour = np.clip(rgb * light[..., None], 0, 255)
    picture = colour * alpha[..., None] + 255 * (1 - alpha[..., None])
    bgrx = np.zeros((n, n, 4), np.uint8)
    bgrx[..., :3] = picture[..., ::-1].astype(np.uint8)
    return bgrx.tobytes()


def _smooth_upscale(small: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear enlargement of an (h, w, 3) array by ``factor``."""
    h, w = small.shape[:2]
    ys = np.linspace(0, h - 1, (h - 1) * factor)
    xs = np.linspace(0, w - 1, (w - 1) * factor)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = small[y0][:, x0] * (1 - fx) + small[y0][:, x1] * fx
    bottom = small[y1][:, x0] * (1 - fx) + small[y1][:, x1] * fx
    out: np.ndarray = top * (1 - fy) + bottom * fy
    return out


class WorkloadApp:
    def __init__(self, video: str = "panning") -> None:
        self.d = display.Display()
        screen = self.d.screen()
        self.width, self.height = screen.width_in_pixels, screen.height_in_pixels
        self.window = screen.root.create_window(
            0, 0, self.width, self.height, 0, screen.root_depth, X.InputOutput,
            X.CopyFromParent, background_pixel=BACKGROUND,
            event_mask=X.ExposureMask | X.KeyPressMask | X.ButtonPressMask,
        )
        self.window.set_wm_name("coupdemain bench")
        self.font = self.d.open_font("fixed")
        self.gcs: dict[int, object] = {}
        self.text_gc = self.window.create_gc(foreground=TERMINAL_FG, background=TERMINAL_BG,
                                             font=self.font)
        self.copy_gc = self.window.create_gc(graphics_exposures=False)
        self.window.map()
        self.d.sync()
        self.patch = 0
        self.frame = 0
        self.mode = "idle"
        self.video_kind = video
        self.rng = np.random.default_rng(1)
        self.next_tick = time.monotonic()
        self.tick_index = 0
        self.cursor = (0, 0)  # typing: column, row
        self.line_number = 0
        vx, vy, vw, vh = LAYOUT["video"]
        self.photo = _photo(vw * 2, vh * 2)
        self.shapes = [
            # x, y, dx, dy (pixels per frame), size, colour, round
            Shape(40, 60, 7, 3, 90, 0x3070E0, True),
            Shape(300, 200, -5, 4, 120, 0xE07030, False),
            Shape(600, 100, 4, -6, 70, 0x30B060, True),
            Shape(200, 300, 6, -2, 60, 0xB030B0, False),
            Shape(500, 250, -6, -5, 100, 0xD0B020, True),
            Shape(100, 200, 3, 7, 80, 0x20A0B0, False),
        ]
        # Shaded and anti-aliased, like icons and buttons: not flat colour.
        self.sprites = [_sprite(shape) for shape in self.shapes]
        self.shape_rects: list[tuple[int, int, int, int]] = []
        self.draw_all()

    # --- drawing -------------------------------------------------------------

    def gc(self, colour: int) -> object:
        if colour not in self.gcs:
            self.gcs[colour] = self.window.create_gc(foreground=colour, graphics_exposures=False)
        return self.gcs[colour]

    def fill(self, colour: int, x: int, y: int, w: int, h: int) -> None:
        self.window.fill_rectangle(self.gc(colour), x, y, w, h)

    def draw_all(self) -> None:
        self.fill(BACKGROUND, 0, 0, self.width, self.height)
        self.draw_patch()
        self.draw_barcode()
        tx, ty, tw, th = LAYOUT["terminal"]
        self.fill(TERMINAL_BG, tx, ty, tw, th)
        sx, sy, sw, sh = LAYOUT["shapes"]
        self.fill(0xFFFFFF, sx, sy, sw, sh)
        self.draw_shapes(move=False)
        self.draw_video(advance=False)
        self.d.flush()

    def draw_patch(self) -> None:
        self.fill(PATCH_COLOURS[self.patch % len(PATCH_COLOURS)], *LAYOUT["patch"])

    def draw_barcode(self) -> None:
        x, y, _w, _h = LAYOUT["barcode"]
        for bit in range(BARCODE_BITS):
            on = (self.frame >> (BARCODE_BITS - 1 - bit)) & 1
            self.fill(0xFFFFFF if on else 0x000000, x + bit * BARCODE_BLOCK, y,
                      BARCODE_BLOCK, BARCODE_BLOCK)

    def next_frame(self) -> None:
        self.frame = (self.frame + 1) % (1 << BARCODE_BITS)
        self.draw_barcode()

    def flip_patch(self) -> float:
        self.patch += 1
        self.draw_patch()
        self.d.sync()
        return time.time()

    def type_key(self) -> None:
        tx, ty, tw, th = LAYOUT["terminal"]
        cols, rows = tw // 6 - 1, th // 13 - 1
        col, row = self.cursor
        char = WORDS_TEXT[self.tick_index % len(WORDS_TEXT)]
        self.window.image_text(self.text_gc, tx + 3 + col * 6, ty + 12 + row * 13, char)
        col += 1
        if col >= cols:
            col, row = 0, row + 1
            if row >= rows:
                row = 0
                self.fill(TERMINAL_BG, tx, ty, tw, th)
        self.cursor = (col, row)

    def scroll(self) -> None:
        tx, ty, tw, th = LAYOUT["terminal"]
        shift = 13 * SCROLL_LINES_PER_TICK
        self.window.copy_area(self.copy_gc, self.window, tx, ty + shift, tw, th - shift, tx, ty)
        self.fill(TERMINAL_BG, tx, ty + th - shift, tw, shift)
        for i in range(SCROLL_LINES_PER_TICK):
            self.line_number += 1
            start = (self.line_number * 7) % len(WORDS_TEXT)
            text = f"{self.line_number:7d}  " + (WORDS_TEXT * 2)[start:start + 120]
            y = ty + th - shift + 12 + i * 13
            self.window.image_text(self.text_gc, tx + 3, y, text[: tw // 6 - 1])

    def draw_shapes(self, move: bool = True) -> None:
        sx, sy, sw, sh = LAYOUT["shapes"]
        for rect in self.shape_rects:
            self.fill(0xFFFFFF, *rect)
        self.shape_rects = []
        for shape, sprite in zip(self.shapes, self.sprites, strict=True):
            if move:
                shape.move(sw, sh)
            rect = (sx + shape.x, sy + shape.y, shape.size, shape.size)
            self.window.put_image(self.copy_gc, rect[0], rect[1], shape.size, shape.size,
                                  X.ZPixmap, 24, 0, sprite)
            self.shape_rects.append(rect)

    def draw_video(self, advance: bool = True) -> None:
        vx, vy, vw, vh = LAYOUT["video"]
        if self.video_kind == "noise":
            frame = self.rng.integers(0, 256, (vh, vw, 4), dtype=np.uint8)
        else:
            # Pans the photograph 3 px right and 2 px down per frame, back and forth.
            t = self.tick_index if advance else 0
            period = 2 * vw // 3
            step = t % (2 * period)
            pos = step if step < period else 2 * period - step
            ox, oy = pos * 3 // 2, pos * vh // vw
            frame = self.photo[oy:oy + vh, ox:ox + vw]
        rows_per_request = max(1, MAX_IMAGE_BYTES // (vw * 4))
        for top in range(0, vh, rows_per_request):
            part = np.ascontiguousarray(frame[top:top + rows_per_request])
            self.window.put_image(self.copy_gc, vx, vy + top, vw, part.shape[0], X.ZPixmap,
                                  24, 0, part.tobytes())

    # --- loop ---------------------------------------------------------------

    def period(self) -> float:
        return {"typing": 1 / TYPING_RATE, "scroll": SCROLL_TICK, "shapes": 1 / FPS,
                "video": 1 / FPS}.get(self.mode, 0.0)

    def tick(self) -> None:
        self.tick_index += 1
        if self.mode == "typing":
            self.type_key()
        elif self.mode == "scroll":
            self.scroll()
        elif self.mode == "shapes":
            self.draw_shapes()
        elif self.mode == "video":
            self.draw_video()
        self.next_frame()
        self.d.flush()

    def command(self, line: str) -> bool:
        words = line.split()
        if not words:
            return True
        if words[0] == "quit":
            return False
        if words[0] == "flip":
            answer(f"flipped {self.flip_patch():.6f}")
        elif words[0] == "focus":
            self.window.set_input_focus(X.RevertToParent, X.CurrentTime)
            self.window.raise_window()
            self.d.sync()
            answer("focused")
        elif words[0] == "mode" and len(words) == 2:
            self.mode = words[1]
            self.next_tick = time.monotonic()
            answer(f"mode {self.mode} {self.frame}")
        elif words[0] == "frame":
            answer(f"frame {self.frame}")
        else:
            answer(f"error unknown command {line.strip()!r}")
        return True

    def run(self) -> None:
        answer("ready " + json.dumps({"layout": LAYOUT, "width": self.width,
                                      "height": self.height}))
        x_fd = self.d.fileno()
        stdin_fd = sys.stdin.fileno()
        buffer = b""
        while True:
            period = self.period()
            timeout = max(0.0, self.next_tick - time.monotonic()) if period else 1.0
            readable, _, _ = select.select([x_fd, stdin_fd], [], [], timeout)
            if stdin_fd in readable:
                chunk = os.read(stdin_fd, 4096)
                if not chunk:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if not self.command(line.decode()):
                        return
            while self.d.pending_events():
                event = self.d.next_event()
                if event.type in (X.KeyPress, X.ButtonPress):
                    self.flip_patch()
                elif event.type == X.Expose and event.count == 0:
                    self.draw_all()
            period = self.period()
            if period and time.monotonic() >= self.next_tick:
                self.tick()
                self.next_tick += period
                if self.next_tick < time.monotonic() - 0.5:  # fell far behind: do not catch up
                    self.next_tick = time.monotonic() + period


def answer(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", choices=("panning", "noise"), default="panning")
    args = parser.parse_args()
    WorkloadApp(args.video).run()


if __name__ == "__main__":
    main()
