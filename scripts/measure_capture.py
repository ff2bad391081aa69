"""Key → frame latency and idle cost of the agent's capture, on a real 1920x1080 Xvfb.

Runs the real ``FramePipeline`` (X11 capture, change detection, encoding)
on a virtual screen with the notes application, acknowledging each frame
at once as a viewer on a fast link would. For each of ``--keys`` keys,
typed by XTest at a random moment, it times the key to the first frame
the pipeline hands over with something in it. Before that it sits idle
for ten seconds and counts the CPU and the bytes. Run from the repository
root:

    .venv/bin/python scripts/measure_capture.py [--changes damage|nudge|timer] [--keys 60]

- damage: XDamage wakes the pipeline, which grabs only the damaged tiles;
- nudge: a 30 fps timer and a whole-screen diff, nudged after each key
  (what the agent does without XDamage);
- timer: the blind 30 fps timer alone.

The notes application's text caret blinks (about two changes a second),
so "idle" frames and bytes here are the caret's. The network, the relay
and the browser come on top: ``python -m bench`` measures key → pixel.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from coupdemain.agent.capture.base import ChangeSource
from coupdemain.agent.capture.timer import FrameTimer
from coupdemain.agent.capture.x11 import X11Screen
from coupdemain.agent.pipeline import FramePipeline
from coupdemain.demo.xvfb import VirtualScreen

IDLE_SECONDS = 10.0


class AckingSink:
    """Counts what the pipeline sends and acknowledges each frame at once."""

    def __init__(self, pipeline: FramePipeline) -> None:
        self.pipeline = pipeline
        self.bytes = 0
        self.frames: list[tuple[float, int]] = []

    async def send_screen(self, *_args: Any) -> None:
        pass

    async def send_frame(self, update: Any) -> None:
        self.frames.append((time.perf_counter(), len(update.rects)))
        self.bytes += 8 + sum(13 + len(r.payload) for r in update.rects)
        self.pipeline.receive_ack(update.frame_id)

    async def send_cursor(self, _update: Any) -> None:
        pass


async def measure(display: str, mode: str, keys: int) -> str:
    from Xlib import XK, X  # type: ignore[import-untyped]
    from Xlib import display as xdisplay
    from Xlib.ext import xtest  # type: ignore[import-untyped]

    changes: ChangeSource
    if mode == "damage":
        from coupdemain.agent.capture.damage import DamageTracker

        changes = DamageTracker(display)
    else:
        changes = FrameTimer()
    pipeline = FramePipeline(X11Screen(display), changes=changes)
    sink = AckingSink(pipeline)
    task = asyncio.create_task(pipeline.run(sink))
    pipeline.set_active(True)
    conn = xdisplay.Display(display)
    keycode = conn.keysym_to_keycode(XK.string_to_keysym("a"))
    try:
        await asyncio.sleep(3)  # the keyframe and the lossless refresh go first

        cpu, sent, frames = time.process_time(), sink.bytes, len(sink.frames)
        await asyncio.sleep(IDLE_SECONDS)
        idle_cpu = (time.process_time() - cpu) / IDLE_SECONDS * 100
        idle_bytes, idle_frames = sink.bytes - sent, len(sink.frames) - frames

        latencies: list[float] = []
        cpu, started = time.process_time(), time.perf_counter()
        for _ in range(keys):
            await asyncio.sleep(random.uniform(0.15, 0.25))  # a random phase to any timer
            before = len(sink.frames)
            pressed = time.perf_counter()
            xtest.fake_input(conn, X.KeyPress, keycode)
            xtest.fake_input(conn, X.KeyRelease, keycode)
            conn.sync()
            if mode == "nudge":
                pipeline.nudge()
            for _ in range(4000):  # at most about 2 s
                if any(count for _, count in sink.frames[before:]):
                    break
                await asyncio.sleep(0.0005)
            shown = next((t for t, count in sink.frames[before:] if count), None)
            if shown is not None:
                latencies.append((shown - pressed) * 1000)
        typing_cpu = (time.process_time() - cpu) / (time.perf_counter() - started) * 100
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        pipeline.close()
        conn.close()
    latencies.sort()
    if not latencies:
        return f"{mode}: no frame followed any key"
    return (
        f"{mode}: key→frame median {statistics.median(latencies):.1f} ms, "
        f"p90 {latencies[int(len(latencies) * 0.9)]:.1f} ms ({len(latencies)}/{keys} keys); "
        f"typing CPU {typing_cpu:.0f}% of a core; idle CPU {idle_cpu:.1f}% of a core, "
        f"{idle_frames} frames / {idle_bytes} bytes in {IDLE_SECONDS:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", choices=("damage", "nudge", "timer"), default="damage")
    parser.add_argument("--keys", type=int, default=60)
    args = parser.parse_args()
    with VirtualScreen(1920, 1080) as screen, tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "notes.json"
        app = subprocess.Popen(
            [sys.executable, "-m", "coupdemain.demo.desktop_app", "--state-file", str(state),
             "--geometry", "900x560+40+140"],
            env=screen.env(),
        )
        try:
            for _ in range(200):
                if state.exists():
                    break
                time.sleep(0.05)
            time.sleep(1)  # the application has the focus
            print(asyncio.run(measure(screen.display, args.changes, args.keys)))
        finally:
            app.terminate()
            app.wait(10)


if __name__ == "__main__":
    main()
