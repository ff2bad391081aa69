"""Bytes per second and encode time of the frame pipeline on synthetic workloads.

Runs the real ``FramePipeline`` (capture from a ``FakeScreen``, tile diff,
the encoding policy, H.264 through libx264) at 30 frames a second of a fake
clock, acknowledging each frame at once, so the numbers are the encoder's
own: no network, no viewer. Run from the repository root:

    .venv/bin/python scripts/measure_encoding.py [--seconds 4] [--no-h264]

Workloads, on a 1280x720 screen of flat UI:

- noise: a 640x360 region of fresh random noise every frame;
- pan: a 640x360 photograph-like picture panning 4 px per frame;
- shapes: five 80x80 flat shapes bouncing over the whole screen;
- typing: one 8x13 glyph every 90 ms (11 characters a second) on white.

Each line: frames sent / frames offered, kbit/s on the wire while moving,
median and 90th-percentile encode time per frame, and the bytes of the
lossless refresh once the screen rests.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

import numpy as np

from coupdemain.agent.capture.fake import FakeScreen
from coupdemain.agent.encode.policy import REFRESH_AFTER_SECONDS, REST_SECONDS, frame_size
from coupdemain.agent.pipeline import FramePipeline
from coupdemain.protocol.encodings import Encoding

WIDTH, HEIGHT = 1280, 720
FPS = 30


def photo(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    rng = np.random.default_rng(3)
    pixels = np.empty((height, width, 4), np.uint8)
    pixels[..., 0] = (127 + 100 * np.sin(x / 37) * np.cos(y / 23)).astype(np.uint8)
    pixels[..., 1] = (127 + 90 * np.sin((x + y) / 51)).astype(np.uint8)
    pixels[..., 2] = (127 + 80 * np.cos(x / 19 - y / 41)).astype(np.uint8)
    grain = rng.integers(-12, 13, (height, width, 3))
    pixels[..., :3] = np.clip(pixels[..., :3].astype(int) + grain, 0, 255).astype(np.uint8)
    pixels[..., 3] = 255
    return pixels


def workloads() -> dict[str, Callable[[FakeScreen, int], None]]:
    rng = np.random.default_rng(1)
    big = photo(360, 640 + 4 * 400)

    def noise(screen: FakeScreen, step: int) -> None:
        screen.pixels[100:460, 200:840, :3] = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)

    def pan(screen: FakeScreen, step: int) -> None:
        screen.pixels[100:460, 200:840] = big[:, 4 * step : 4 * step + 640]

    shapes = [(rng.integers(0, WIDTH - 80), rng.integers(0, HEIGHT - 80),
               rng.choice([-6, 6]), rng.choice([-4, 4])) for _ in range(5)]
    colours = [(200, 40, 40), (40, 160, 60), (30, 90, 200), (230, 180, 20), (120, 40, 160)]
    state = [list(s) for s in shapes]

    def bouncing(screen: FakeScreen, step: int) -> None:
        screen.pixels[..., :3] = 240
        for shape, colour in zip(state, colours, strict=True):
            x, y, dx, dy = shape
            x, y = x + dx, y + dy
            if not 0 <= x <= WIDTH - 80:
                dx, x = -dx, min(max(x, 0), WIDTH - 80)
            if not 0 <= y <= HEIGHT - 80:
                dy, y = -dy, min(max(y, 0), HEIGHT - 80)
            shape[:] = [x, y, dx, dy]
            screen.fill(int(x), int(y), 80, 80, colour)

    def typing(screen: FakeScreen, step: int) -> None:
        if step % 3 == 0:  # 90 ms at 30 fps: 11 characters a second
            n = step // 3
            x, y = 20 + (n % 140) * 9, 200 + (n // 140) * 16
            glyph = np.where(rng.random((13, 8)) < 0.35, 20, 255).astype(np.uint8)
            screen.pixels[y : y + 13, x : x + 8, :3] = glyph[..., None]

    return {"noise": noise, "pan": pan, "shapes": bouncing, "typing": typing}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def measure(name: str, change: Callable[[FakeScreen, int], None], seconds: float,
                  h264: bool) -> str:
    screen = FakeScreen(WIDTH, HEIGHT)
    screen.pixels[..., :3] = 240
    clock = Clock()
    pipeline = FramePipeline(screen, clock=clock)
    pipeline.set_active(True)
    if h264:
        pipeline.set_encodings([int(e) for e in Encoding])
    try:
        first = await pipeline.next_output()
        assert first is not None
        pipeline.receive_ack(first.update.frame_id)
        frames = round(seconds * FPS)
        total = 0
        sent = 0
        times = []
        kinds: dict[str, int] = {}
        for step in range(1, frames + 1):
            clock.now += 1 / FPS
            change(screen, step)
            started = time.perf_counter()
            output = await pipeline.next_output()
            times.append((time.perf_counter() - started) * 1000)
            if output is None:
                continue
            pipeline.receive_ack(output.update.frame_id)
            sent += 1
            total += frame_size(output.update.rects)
            for rect in output.update.rects:
                kinds[rect.encoding.name.lower()] = kinds.get(rect.encoding.name.lower(), 0) + 1
        clock.now += max(REST_SECONDS, REFRESH_AFTER_SECONDS) + 0.01
        refresh = await pipeline.next_output()
        refresh_bytes = frame_size(refresh.update.rects) if refresh else 0
        exact = pipeline._seconds_until_due() is None
        p90 = statistics.quantiles(times, n=10)[-1]
        used = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        return (f"{name:7} {sent:4}/{frames} frames  {total * 8 / seconds / 1000:8.0f} kbit/s  "
                f"encode median {statistics.median(times):5.1f} ms, p90 {p90:5.1f} ms  "
                f"refresh {refresh_bytes / 1000:6.1f} kB{' (exact)' if exact else ''}  [{used}]")
    finally:
        pipeline.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--no-h264", action="store_true", help="a viewer without WebCodecs")
    args = parser.parse_args()
    for name, change in workloads().items():
        print(await measure(name, change, args.seconds, not args.no_h264), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
