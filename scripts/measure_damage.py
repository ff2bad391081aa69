"""Damage events per second, and their CPU, for the benchmark's workloads on a 1920x1080 Xvfb.

Starts the benchmark's application (``bench/workload_app.py``) on a private
Xvfb, and for each workload runs the agent's ``DamageTracker`` alone, taking
the damage as the pipeline would after each wake-up. Prints, per workload
and per way of reporting damage (``regions``: one NonEmpty event per burst
and the damage read back as an XFixes region; ``raw``: one event per
rectangle drawn), the events and takes per second, the rectangles per take
and the CPU of this process. Run from the repository root:

    .venv/bin/python -m scripts.measure_damage [--seconds 3] [--workloads shapes,scroll]

(as a module, so that it finds the benchmark's application in ``bench/``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from bench.run import WORKLOADS, App

from coupdemain.agent.capture.damage import DamageTracker
from coupdemain.demo.xvfb import VirtualScreen


async def measure(app: App, display: str, workload: str, raw: bool, seconds: float) -> str:
    app.ask(f"mode {workload}")
    await asyncio.sleep(1.0)  # the workload reaches its pace
    tracker = DamageTracker(display, raw_rectangles=raw)
    tracker.start()
    takes = rects = 0
    cpu, started = time.process_time(), time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            await tracker.wait_for_change()
            damage = tracker.take_damage()
            takes += 1
            rects += len(damage) if damage else 0
        cpu, elapsed = time.process_time() - cpu, time.monotonic() - started
    finally:
        tracker.close()
        app.ask("mode idle")
    way = "raw" if raw else "regions"
    return (f"{workload:7s} {way:7s} {tracker.events / elapsed:7.1f} events/s "
            f"{takes / elapsed:5.1f} takes/s {rects / max(1, takes):5.1f} rects/take "
            f"CPU {100 * cpu / elapsed:4.1f}% of a core")


async def run(workloads: list[str], seconds: float) -> None:
    with VirtualScreen(1920, 1080) as screen:
        app = App(screen, "panning")
        try:
            for workload in workloads:
                for raw in (False, True):
                    print(await measure(app, screen.display, workload, raw, seconds), flush=True)
        finally:
            app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per workload and way (3)")
    parser.add_argument("--workloads", default="typing,scroll,shapes,video",
                        help="comma-separated, from " + ", ".join(WORKLOADS))
    args = parser.parse_args()
    workloads = args.workloads.split(",")
    unknown = [w for w in workloads if w not in WORKLOADS or w == "idle"]
    if unknown or args.seconds <= 0:
        parser.error(f"choose workloads from {', '.join(WORKLOADS)} but idle, "
                     "and a positive --seconds")
    os.environ.pop("DISPLAY", None)  # the tracker is always given the private screen
    asyncio.run(run(workloads, args.seconds))


if __name__ == "__main__":
    main()
