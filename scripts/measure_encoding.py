"""Bytes per second and encode time of the frame pipeline on synthetic workloads.

Runs the real ``FramePipeline`` (capture from a ``FakeScreen``, tile diff,
the encoding policy, H.264 through libx264) at 30 frames a second of a fake
clock, acknowledging each frame at once, so the numbers are the encoder's
own: no network, no viewer. Run from the repository root:

    .venv/bin/python scripts/measure_encoding.py [--seconds 4] [--no-h264] [--x11]
        [--link-kbps 1500]

Workloads, on a 1280x720 screen of flat UI:

- noise: a 640x360 region of fresh random noise every frame;
- pan: a 640x360 photograph-like picture panning 4 px per frame;
- shapes: five 80x80 flat shapes bouncing over the whole screen;
- typing: one 8x13 glyph every 90 ms (11 characters a second) on white.

With ``--x11`` the noise and shapes workloads are drawn instead by a Tk
window on a private Xvfb, and the real capture (mss over XShm, XDamage)
feeds the pipeline in real time; frames are acknowledged at once.

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

from coupdemain.agent.capture.base import Rect
from coupdemain.agent.capture.fake import FakeScreen
from coupdemain.agent.encode.frame import REFRESH_AFTER_SECONDS
from coupdemain.agent.encode.motion import REST_SECONDS
from coupdemain.agent.pipeline import FramePipeline, PipelineOutput
from coupdemain.agent.rate import frame_size
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.frames import FrameUpdate

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
        refresh_bytes = 0
        for _ in range(50):  # a large refresh takes a few frames
            refresh = await pipeline.next_output()
            if refresh is None:
                break
            pipeline.receive_ack(refresh.update.frame_id)
            refresh_bytes += frame_size(refresh.update.rects)
            clock.now += 1 / FPS
        exact = pipeline._seconds_until_due() is None
        p90 = statistics.quantiles(times, n=10)[-1]
        used = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        return (f"{name:7} {sent:4}/{frames} frames  {total * 8 / seconds / 1000:8.0f} kbit/s  "
                f"encode median {statistics.median(times):5.1f} ms, p90 {p90:5.1f} ms  "
                f"refresh {refresh_bytes / 1000:6.1f} kB{' (exact)' if exact else ''}  [{used}]")
    finally:
        pipeline.close()


# The --x11 workloads: a Tk window at 200,100 redrawn about 30 times a second.
X11_ANIMATION = r"""
import sys, tkinter as tk
import numpy as np
mode = sys.argv[1]
root = tk.Tk()
root.overrideredirect(True)
root.geometry("640x360+200+100")
rng = np.random.default_rng(1)
if mode == "noise":
    label = tk.Label(root, bd=0)
    label.pack()
else:
    canvas = tk.Canvas(root, width=640, height=360, bg="#f0f0f0", highlightthickness=0)
    canvas.pack()
    shapes = [(canvas.create_rectangle(x, y, x + 80, y + 80, fill=c, outline=""), [6, 4])
              for x, y, c in ((20, 20, "#c82828"), (200, 100, "#28a03c"), (400, 200, "#1e5ac8"),
                              (100, 250, "#e6b414"), (500, 40, "#782aa0"))]

def frame():
    if mode == "noise":
        data = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8).tobytes()
        image = tk.PhotoImage(data=b"P6 640 360 255\n" + data, format="PPM")
        label.configure(image=image)
        label.image = image
    else:
        for item, speed in shapes:
            x0, y0, x1, y1 = canvas.coords(item)
            if not 0 <= x0 + speed[0] <= 560:
                speed[0] = -speed[0]
            if not 0 <= y0 + speed[1] <= 280:
                speed[1] = -speed[1]
            canvas.move(item, *speed)
    root.after(33, frame)

root.after(100, frame)
root.mainloop()
"""


async def measure_x11(name: str, seconds: float, h264: bool, link_kbps: float = 0.0) -> str:
    """One workload drawn on a private Xvfb, captured for real."""
    import os
    import subprocess
    import sys

    from coupdemain.agent.capture.damage import DamageTracker
    from coupdemain.agent.capture.x11 import X11Screen
    from coupdemain.demo.xvfb import VirtualScreen

    with VirtualScreen(WIDTH, HEIGHT) as screen:
        animation = subprocess.Popen([sys.executable, "-c", X11_ANIMATION, name],
                                     env=screen.env())
        previous = os.environ.get("DISPLAY")
        os.environ["DISPLAY"] = screen.display
        try:
            await asyncio.sleep(1.0)
            pipeline = FramePipeline(X11Screen(), changes=DamageTracker())
            if h264:
                pipeline.set_encodings([int(e) for e in Encoding])
            times: list[float] = []
            produce = pipeline.produce

            def timed(keyframe: bool, damage: list[Rect] | None = None) -> PipelineOutput | None:
                started = time.perf_counter()
                try:
                    return produce(keyframe, damage)
                finally:
                    times.append((time.perf_counter() - started) * 1000)

            pipeline.produce = timed  # type: ignore[method-assign]
            sink = _CountingSink(pipeline, link_kbps)
            pipeline.set_active(True)
            task = asyncio.create_task(pipeline.run(sink))
            await asyncio.sleep(1.0)  # the keyframe and the start of the video
            start_bytes, start_frames, started = sink.bytes, sink.frames, time.monotonic()
            await asyncio.sleep(seconds)
            elapsed = time.monotonic() - started
            rate = (sink.bytes - start_bytes) * 8 / elapsed / 1000
            fps = (sink.frames - start_frames) / elapsed
            level, delay = pipeline.quality.level, pipeline.quality.delay
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            pipeline.close()
        finally:
            animation.kill()
            animation.wait(10)
            if previous is None:
                os.environ.pop("DISPLAY", None)
            else:
                os.environ["DISPLAY"] = previous
    p90 = statistics.quantiles(times, n=10)[-1]
    used = ", ".join(f"{k} {v}" for k, v in sorted(sink.kinds.items()))
    link = f" over {link_kbps:.0f} kbit/s: level {level}, delay {delay * 1000:.0f} ms" \
        if link_kbps else ""
    return (f"{name:7} x11 {fps:5.1f} frames/s  {rate:8.0f} kbit/s  encode median "
            f"{statistics.median(times):5.1f} ms, p90 {p90:5.1f} ms  [{used}]{link}")


class _CountingSink:
    """Acknowledges every frame and counts its bytes and encodings.

    With ``link_kbps``, a frame is acknowledged once a link of that rate
    would have carried it (frames queue behind each other), plus 10 ms.
    """

    def __init__(self, pipeline: FramePipeline, link_kbps: float = 0.0) -> None:
        self.pipeline = pipeline
        self.link_kbps = link_kbps
        self.link_free_at = 0.0
        self.bytes = 0
        self.frames = 0
        self.kinds: dict[str, int] = {}

    async def send_screen(self, screen: object) -> None:
        pass

    async def send_cursor(self, update: object) -> None:
        pass

    async def send_frame(self, update: FrameUpdate) -> None:
        self.bytes += frame_size(update.rects)
        self.frames += 1
        for rect in update.rects:
            name = rect.encoding.name.lower()
            self.kinds[name] = self.kinds.get(name, 0) + 1
        if not self.link_kbps:
            self.pipeline.receive_ack(update.frame_id)
            return
        now = time.monotonic()
        size = frame_size(update.rects) * 8 / (self.link_kbps * 1000)
        self.link_free_at = max(now, self.link_free_at) + size
        delay = self.link_free_at - now + 0.010
        asyncio.get_running_loop().call_later(delay, self.pipeline.receive_ack, update.frame_id)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--no-h264", action="store_true", help="a viewer without WebCodecs")
    parser.add_argument("--x11", action="store_true", help="draw on Xvfb, capture for real")
    parser.add_argument("--link-kbps", type=float, default=0.0,
                        help="with --x11: acknowledge as a link of this rate would")
    args = parser.parse_args()
    if args.x11:
        for name in ("noise", "shapes"):
            print(await measure_x11(name, args.seconds, not args.no_h264, args.link_kbps),
                  flush=True)
        return
    for name, change in workloads().items():
        print(await measure(name, change, args.seconds, not args.no_h264), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
