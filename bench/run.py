"""Measures coupdemain against x11vnc + websockify + noVNC on the same screen and browser.

    .venv/bin/python -m bench            # the full run (about 7 minutes)
    .venv/bin/python -m bench --quick    # a smoke run: few trials, short workloads

Prints one table (a column per stack, then ratios) and writes JSON to
``bench/results/latest.json``. The method is in docs/topics/benchmark.md.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mss
import numpy as np
import psutil  # type: ignore[import-untyped]

from coupdemain.demo.xvfb import VirtualScreen

from .browser import Chromium, Page
from .proxy import Link
from .stacks import (
    BrowserShareStack,
    CoupdemainStack,
    PeerStack,
    Stack,
    StackSkipped,
    make_workdir,
)
from .workload_app import LAYOUT

HERE = Path(__file__).parent
PROBE = (HERE / "probe.js").read_text(encoding="utf-8")
WIDTH, HEIGHT = 1920, 1080
WORKLOADS = ("idle", "typing", "scroll", "shapes", "video")
# Where each workload draws: the region whose sharpness is checked at rest.
WORKLOAD_REGION = {"typing": "terminal", "scroll": "terminal", "shapes": "shapes",
                   "video": "video"}
STACKS = ("coupdemain", "x11vnc_stock", "x11vnc_tuned", "browser_share")
# The stacks coupdemain's figures are divided by, in the table's ratio columns.
PEERS = STACKS[1:]
TRIAL_TIMEOUT_MS = 3000
# The slow link: a poor line (rural ADSL, a weak mobile signal): 1 Mbit/s
# down, half that up, 40 ms round trip. ``--link-mbit`` changes the rates.
SLOW_LINK_MBIT = 1.0
SLOW_LINK_RTT_MS = 40.0
# Seconds the video plays on the slow link before the trials: long enough
# for a stack that adapts to have adapted.
SLOW_LINK_SETTLE_S = 4.0
# The X pointer rests here during the workloads, outside every region.
POINTER_REST = (1900, 1060)


def slow_link(mbit: float = SLOW_LINK_MBIT) -> Link:
    """The slow link at ``mbit`` towards the browser, half that from it."""
    return Link(mbit, mbit / 2, SLOW_LINK_RTT_MS)


# --- the application on the virtual screen ----------------------------------------

class App:
    """bench/workload_app.py on the virtual screen, driven line by line."""

    def __init__(self, screen: VirtualScreen, video: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.workload_app", "--video", video],
            env=screen.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        ready = self.read()
        if not ready.startswith("ready"):
            raise RuntimeError(f"the workload application did not start: {ready!r}")

    def read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the workload application exited")
        return line.strip()

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(RuntimeError, BrokenPipeError):
                self.ask("quit")
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --- clocks, CPU, pixels ----------------------------------------------------------

def clock_offset_ms(page: Page, rounds: int = 7) -> float:
    """Browser epoch-ms clock minus Python's time.time() in ms, from the quickest round trip."""
    best: tuple[float, float] | None = None
    for _ in range(rounds):
        t0 = time.time()
        browser_ms = float(page.evaluate("window.__bench.now()"))
        t1 = time.time()
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, browser_ms - (t0 + t1) / 2 * 1000)
    assert best is not None
    return best[1]


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """user + system CPU seconds of each process and its descendants, by pid."""
    seen: dict[int, float] = {}
    for root in processes:
        try:
            family = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for process in family:
            try:
                times = process.cpu_times()
                seen[process.pid] = times.user + times.system
            except psutil.Error:
                continue
    return seen


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


@functools.cache
def _powers_of_31(n: int) -> np.ndarray:
    """31^(n-1-i) mod 2^32 for i in 0..n-1."""
    powers = np.ones(n, np.uint64)
    for i in range(n - 2, -1, -1):
        powers[i] = (int(powers[i + 1]) * 31) % (1 << 32)
    return powers


def row_hashes(rgb: np.ndarray) -> list[int]:
    """probe.js's rowHashes in numpy: per row, h = h * 31 + v (mod 2^32) over R, G, B.

    The hash is the sum of v_i * 31^(n-1-i) mod 2^32; each term is below 2^40
    and a row has far fewer than 2^23 of them, so uint64 holds the sum exactly.
    """
    height, width, _ = rgb.shape
    values = rgb.reshape(height, width * 3).astype(np.uint64)
    sums = (values * _powers_of_31(width * 3)[None, :]).sum(axis=1)
    return [int(h) % (1 << 32) for h in sums]


class Screen:
    """Reads the real screen's pixels (XShm through mss)."""

    def __init__(self, screen: VirtualScreen) -> None:
        self.grabber = mss.MSS(display=screen.display)

    def rgb(self, region: tuple[int, int, int, int]) -> np.ndarray:
        x, y, w, h = region
        shot = self.grabber.grab({"left": x, "top": y, "width": w, "height": h})
        bgra = np.frombuffer(shot.raw, np.uint8).reshape(h, w, 4)
        return np.ascontiguousarray(bgra[..., 2::-1])

    def close(self) -> None:
        self.grabber.close()


def mismatched_rows(page: Page, screen: Screen, region: tuple[int, int, int, int]) -> int:
    """How many rows of the region differ between the canvas and the real screen."""
    x, y, w, h = region
    seen = page.evaluate(f"window.__bench.rowHashes({x}, {y}, {w}, {h})")
    real = row_hashes(screen.rgb(region))
    return sum(1 for a, b in zip(seen, real, strict=True) if int(a) != b)


# --- measurements -----------------------------------------------------------------

def summarise(samples: list[float], trials: int) -> dict[str, Any]:
    result: dict[str, Any] = {"trials": trials, "missed": trials - len(samples),
                              "samples_ms": [round(s, 2) for s in samples]}
    if samples:
        result["median_ms"] = round(statistics.median(samples), 2)
        result["p95_ms"] = round(float(np.percentile(samples, 95)), 2)
        result["min_ms"] = round(min(samples), 2)
    return result


def latency_trials(page: Page, app: App, kind: str, trials: int, offset_ms: float,
                   rng: random.Random) -> dict[str, Any]:
    """Key, click or app-side change → the canvas shows the patch's new colour."""
    px, py, pw, ph = LAYOUT["patch"]
    # Watch a pixel away from where the click lands: a pointer drawn on the canvas
    # must not be taken for the change.
    watch = (px + pw - 20, py + ph - 20)
    click_at = page.evaluate(f"window.__bench.pagePoint({px + 12}, {py + 12})")
    samples: list[float] = []
    shown: list[float] = []  # to the next animation frame after the change
    for _ in range(trials):
        time.sleep(rng.uniform(0.15, 0.35))  # no rhythm a capture loop could lock onto
        page.evaluate(f"window.__bench.arm({watch[0]}, {watch[1]}, {TRIAL_TIMEOUT_MS})")
        flipped_at = 0.0
        if kind == "key":
            page.press_key()
        elif kind == "click":
            page.click(float(click_at[0]), float(click_at[1]))
        else:
            flipped_at = float(app.ask("flip").split()[1])
        result = page.evaluate("window.__bench.result", timeout=TRIAL_TIMEOUT_MS / 1000 + 10)
        if not result:
            continue
        if kind == "app":
            start = offset_ms + flipped_at * 1000
        elif result.get("inputAt") is not None:
            start = result["inputAt"]
        else:
            continue
        samples.append(result["changedAt"] - start)
        shown.append(result["shownAt"] - start)
    summary = summarise(samples, trials)
    summary["to_next_frame"] = summarise(shown, trials)
    return summary


@dataclass
class Options:
    trials: int
    seconds: float
    warmup: float
    rest_timeout: float
    link_trials: int = 0
    link: Link = field(default_factory=slow_link)


def run_workload(stack: Stack, page: Page, app: App, screen: Screen, workload: str,
                 options: Options, offset_ms: float) -> dict[str, Any]:
    app.ask(f"mode {workload}")
    time.sleep(options.warmup)  # the stream reaches its steady state
    browser = [psutil.Process(stack.viewer_pid())]
    bytes0, cpu0, browser0 = stack.traffic(), cpu_seconds(stack.server_processes()), \
        cpu_seconds(browser)
    ticks0 = int(page.evaluate("window.__bench.animationFrames"))
    t0 = time.time()
    time.sleep(options.seconds)
    t1 = time.time()
    ticks1 = int(page.evaluate("window.__bench.animationFrames"))
    bytes1, cpu1, browser1 = stack.traffic(), cpu_seconds(stack.server_processes()), \
        cpu_seconds(browser)
    app.ask("mode idle")
    stopped = time.time()
    elapsed = t1 - t0
    frames = page.evaluate(
        f"window.__bench.framesBetween({t0 * 1000 + offset_ms}, {t1 * 1000 + offset_ms})")
    down = bytes1.to_browser - bytes0.to_browser
    cpu = cpu_delta(cpu0, cpu1)
    result: dict[str, Any] = {
        "seconds": round(elapsed, 3),
        "bytes_to_browser": down,
        "bytes_per_s": round(down / elapsed, 1),
        "mbit_per_s": round(down * 8 / elapsed / 1e6, 3),
        "bytes_from_browser": bytes1.from_browser - bytes0.from_browser,
        "frames_displayed": int(frames),
        "fps": round(frames / elapsed, 2),
        # The browser's own frame clock: the most frames it could have shown.
        "animation_frames_per_s": round((ticks1 - ticks0) / elapsed, 2),
        "server_cpu_s": round(cpu, 3),
        # CPU at equal work: per picture of the application the viewer showed.
        "server_cpu_ms_per_frame": round(1000 * cpu / frames, 3) if frames else None,
        "browser_cpu_s": round(cpu_delta(browser0, browser1), 3),
    }
    if bytes0.frames_decoded is not None and bytes1.frames_decoded is not None:
        # WebRTC's own count: every frame the viewer decoded, changed or not.
        result["decoded_fps"] = round((bytes1.frames_decoded - bytes0.frames_decoded) / elapsed, 2)
    region_name = WORKLOAD_REGION.get(workload)
    if region_name:
        result["sharp"] = sharpness(page, screen, LAYOUT[region_name], stopped,
                                    options.rest_timeout)
    return result


def run_slow_link(stack: Stack, page: Page, app: App, screen: Screen, options: Options,
                  offset_ms: float, rng: random.Random) -> dict[str, Any]:
    """Key → pixel while the video plays, on a slow link; then the video's sharpness at rest.

    The link stays slow until the picture is exact (or the wait times out):
    a stack that lags behind shows it in both figures.
    """
    assert stack.proxy is not None
    stack.proxy.shape(options.link)
    try:
        app.ask("mode video")
        time.sleep(SLOW_LINK_SETTLE_S)
        page.evaluate("window.__bench.canvas().focus()")
        bytes0, t0 = stack.proxy.snapshot(), time.time()
        latency = latency_trials(page, app, "key", options.link_trials, offset_ms, rng)
        t1, bytes1 = time.time(), stack.proxy.snapshot()
        app.ask("mode idle")
        stopped = time.time()
        frames = page.evaluate(
            f"window.__bench.framesBetween({t0 * 1000 + offset_ms}, {t1 * 1000 + offset_ms})")
        sharp = sharpness(page, screen, LAYOUT["video"], stopped, options.rest_timeout)
    finally:
        stack.proxy.shape(None)
    elapsed = t1 - t0
    down = bytes1.to_browser - bytes0.to_browser
    return {"link": options.link.describe(), "key": latency, "seconds": round(elapsed, 3),
            "mbit_per_s": round(down * 8 / elapsed / 1e6, 3),
            "fps": round(frames / elapsed, 2), "sharp": sharp}


def sharpness(page: Page, screen: Screen, region: tuple[int, int, int, int], stopped: float,
              timeout: float) -> dict[str, Any]:
    """After the motion stops: when does the canvas match the screen pixel for pixel?"""
    wrong = -1
    while True:
        wrong = mismatched_rows(page, screen, region)
        now = time.time()
        if wrong == 0:
            return {"exact": True, "after_s": round(now - stopped, 3), "mismatched_rows": 0}
        if now - stopped > timeout:
            return {"exact": False, "after_s": None, "mismatched_rows": wrong,
                    "rows": region[3]}
        time.sleep(0.1)


def wait_for_picture(page: Page, screen: Screen, timeout: float = 60.0) -> None:
    """Waits until the canvas shows the patch and the barcode as the screen does.

    A trial must not take the first picture's arrival for the change it caused.
    """
    points = [(x + w // 2, y + h // 2) for x, y, w, h in (LAYOUT["patch"], LAYOUT["barcode"])]
    deadline = time.monotonic() + timeout
    while True:
        wrong = []
        for x, y in points:
            real = screen.rgb((x, y, 1, 1))[0, 0].astype(int)
            seen = np.array(page.evaluate(f"window.__bench.pixel({x}, {y})"), int)
            if np.abs(real - seen).max() > 30:
                wrong.append(f"({x}, {y}) shows {seen.tolist()}, the screen {real.tolist()}")
        if not wrong:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the canvas does not show the screen: {'; '.join(wrong)}")
        time.sleep(0.2)


def xdotool(screen: VirtualScreen, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=screen.env(), check=True, timeout=20)


def measure(stack: Stack, app: App, screen: Screen, vscreen: VirtualScreen, browser: Chromium,
            options: Options, workloads: list[str], log: Callable[[str], None],
            latency: bool = True) -> dict[str, Any]:
    page = stack.start(PROBE)
    page.evaluate(
        f"window.__bench.barcode = {json.dumps([*LAYOUT['barcode'][:2], 16, 12])}")
    page.evaluate(f"window.__bench.videoSize = [{WIDTH}, {HEIGHT}]")
    page.wait_for(f"window.__bench.size()[0] === {WIDTH}", "the remote screen on the canvas")
    app.ask("focus")
    wait_for_picture(page, screen)
    time.sleep(1.0)  # then quiet
    offset = clock_offset_ms(page)
    rng = random.Random(7)
    result: dict[str, Any] = {"label": stack.label, "clock_offset_ms": round(offset, 3),
                              "latency": {}, "workloads": {}}
    for kind in stack.latency_kinds if latency else ():
        log(f"  {stack.label}: {kind} → pixel, {options.trials} trials")
        if kind == "key":
            page.evaluate("window.__bench.canvas().focus()")
        result["latency"][kind] = latency_trials(page, app, kind, options.trials, offset, rng)
    xdotool(vscreen, "mousemove", str(POINTER_REST[0]), str(POINTER_REST[1]))
    time.sleep(0.5)
    for workload in workloads:
        log(f"  {stack.label}: workload {workload}, {options.seconds:.0f} s")
        result["workloads"][workload] = run_workload(
            stack, page, app, screen, workload, options, clock_offset_ms(page))
    # The slow link is the proxy's: a stack without one (WebRTC) has none.
    if latency and options.link_trials and stack.proxy is not None:
        log(f"  {stack.label}: slow link, key → pixel while the video plays, "
            f"{options.link_trials} trials")
        result["slow_link"] = run_slow_link(stack, page, app, screen, options,
                                            clock_offset_ms(page), rng)
    return result


def merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One stack's results over several rounds, as one result.

    Latency comes from the first round (the others skip it). Each workload
    figure is its median over the rounds, and sharpness at rest the worst
    round's; every round's workloads are kept under ``workload_rounds``.
    """
    failed = next((r for r in rounds if not measured(r)), None)
    if failed is not None:
        return failed
    merged = copy.deepcopy(rounds[0])
    if len(rounds) == 1:
        return merged
    merged["rounds"] = len(rounds)
    merged["workload_rounds"] = {}
    for name, first in rounds[0]["workloads"].items():
        each = [r["workloads"][name] for r in rounds]
        merged["workload_rounds"][name] = each
        for key in first:
            # A figure a round could not give (no frame shown: None) is left out.
            values = [work[key] for work in each if _is_number(work.get(key))]
            if values:
                median = statistics.median(values)
                merged["workloads"][name][key] = round(median, 3) if isinstance(median, float) \
                    else median
        sharp = [work["sharp"] for work in each if "sharp" in work]
        if sharp:
            # Exact at rest only if every round was, after the longest wait.
            merged["workloads"][name]["sharp"] = max(sharp, key=lambda s: (
                not s["exact"], s.get("mismatched_rows", 0), s["after_s"] or 0))
    return merged


def measured(result: dict[str, Any]) -> bool:
    """Whether a stack's result holds figures (it neither failed nor was skipped)."""
    return "error" not in result and "skipped" not in result


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- report -----------------------------------------------------------------------

def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if b == 0:
        return None if a != 0 else 1.0
    return round(a / b, 3)


def metrics(stack: dict[str, Any]) -> dict[str, float | None]:
    """The table's figures of one stack, flat, by row name."""
    out: dict[str, float | None] = {}
    for kind, label in (("key", "key→pixel"), ("click", "click→pixel"), ("app", "app→pixel")):
        lat = stack.get("latency", {}).get(kind, {})
        out[f"{label} median ms"] = lat.get("median_ms")
        out[f"{label} p95 ms"] = lat.get("p95_ms")
    # A trial that saw no change is left out of the figures above: say how many.
    out["latency trials missed"] = float(sum(
        lat.get("missed", 0) for lat in stack.get("latency", {}).values()))
    # The same trials, up to the next animation frame: the first that can show the change.
    for kind, label in (("key", "key→frame"), ("click", "click→frame"), ("app", "app→frame")):
        shown = stack.get("latency", {}).get(kind, {}).get("to_next_frame", {})
        out[f"{label} median ms"] = shown.get("median_ms")
        out[f"{label} p95 ms"] = shown.get("p95_ms")
    slow = stack.get("slow_link")
    if slow is not None:
        out["slow link key→pixel median ms"] = slow["key"].get("median_ms")
        out["slow link key→pixel p95 ms"] = slow["key"].get("p95_ms")
        out["slow link trials missed"] = float(slow["key"].get("missed", 0))
        out["slow link video fps"] = slow["fps"]
        out["slow link Mbit/s"] = slow["mbit_per_s"]
        out["slow link video exact at rest after s"] = slow["sharp"]["after_s"]
    for name, work in stack.get("workloads", {}).items():
        out[f"{name} kB/s"] = round(work["bytes_per_s"] / 1000, 2)
        out[f"{name} Mbit/s"] = work["mbit_per_s"]
        out[f"{name} fps"] = work["fps"]
        if "decoded_fps" in work:
            out[f"{name} decoded fps"] = work["decoded_fps"]
        out[f"{name} server CPU s"] = work["server_cpu_s"]
        if name != "idle":
            out[f"{name} server CPU ms/frame"] = work.get("server_cpu_ms_per_frame")
        out[f"{name} browser CPU s"] = work["browser_cpu_s"]
        sharp = work.get("sharp")
        if sharp is not None:
            out[f"{name} exact at rest after s"] = sharp["after_s"]
    return out


def ratios(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    ours = results.get("coupdemain")
    if not ours or not measured(ours):
        return {}
    mine = metrics(ours)
    out: dict[str, dict[str, float | None]] = {}
    for name in PEERS:
        peer = results.get(name)
        if peer and measured(peer):
            theirs = metrics(peer)
            out[f"coupdemain/{name}"] = {k: _ratio(v, theirs.get(k)) for k, v in mine.items()}
    return out


# The project's goals: for each row, the goal's text, its test of coupdemain's figure
# against a peer's, and which peer. Most compare with x11vnc stock. Server-side CPU per
# frame shown compares with x11vnc tuned: stock x11vnc's polling budget keeps its CPU
# low while it sends ten times coupdemain's bytes on shapes and video, the wrong
# yardstick for a pipeline that sends a tenth of them. The server's own share is to be
# judged as relay capacity (sessions per core), not here.
@dataclass(frozen=True)
class Goal:
    text: str
    # coupdemain's figure, the peer's (None: no such peer in this run) → met, or None
    # when it cannot tell.
    test: Callable[[float, float | None], bool | None]
    peer: str = "x11vnc_stock"


_AT_MOST_PEER = Goal("≤ peer", lambda v, peer: None if peer is None else v <= peer)
_AT_MOST_TUNED = Goal("≤ tuned", _AT_MOST_PEER.test, peer="x11vnc_tuned")
_EXACT_WITHIN_1S = Goal("≤ 1", lambda v, peer: v <= 1.0)
GOALS: dict[str, Goal] = {
    "key→pixel median ms": Goal("≤ 20", lambda v, peer: v <= 20),
    "key→pixel p95 ms": Goal("≤ 35", lambda v, peer: v <= 35),
    "key→frame median ms": Goal("≤ 20", lambda v, peer: v <= 20),
    "key→frame p95 ms": Goal("≤ 35", lambda v, peer: v <= 35),
    "idle kB/s": Goal("0", lambda v, peer: v < 0.1),
    "typing kB/s": _AT_MOST_PEER,
    "typing Mbit/s": _AT_MOST_PEER,
    "shapes fps": Goal("30", lambda v, peer: v >= 29),
    "shapes kB/s": _AT_MOST_PEER,
    "shapes Mbit/s": _AT_MOST_PEER,
    "video fps": Goal("≥ 25", lambda v, peer: v >= 25),
    "video kB/s": Goal("≤ 500", lambda v, peer: v <= 500),
    "video Mbit/s": Goal("≤ 4", lambda v, peer: v <= 4),
    # Server-side CPU at equal work: per frame shown, since the stacks show
    # different frame rates (scroll: 30 to 57); idle shows none.
    "idle server CPU s": _AT_MOST_PEER,
    **{f"{w} server CPU ms/frame": _AT_MOST_TUNED for w in WORKLOADS if w != "idle"},
    "slow link key→pixel median ms": _AT_MOST_PEER,
    "slow link key→pixel p95 ms": _AT_MOST_PEER,
    **{f"{w} exact at rest after s": _EXACT_WITHIN_1S for w in WORKLOAD_REGION},
}


def goal_cells(row: str, ours: dict[str, float | None],
               peers: dict[str, dict[str, float | None]]) -> list[str]:
    """The goal's text and whether coupdemain meets it ("yes", "NO", or "" if unknown).

    `peers` holds each peer's figures by stack name; a peer missing from this run (or
    failed) leaves a goal against it unknown.
    """
    if row not in GOALS:
        return ["", ""]
    goal = GOALS[row]
    value = ours.get(row)
    if value is None:
        # No exact picture at rest, or no figure at all: the goal is not met.
        return [goal.text, "NO" if row in ours else ""]
    met = goal.test(value, peers.get(goal.peer, {}).get(row))
    return [goal.text, "" if met is None else "yes" if met else "NO"]


def _cell(value: float | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def table(results: dict[str, Any], ratio_table: dict[str, dict[str, float | None]]) -> str:
    stacks = [name for name in STACKS if name in results]
    flat = {name: metrics(results[name]) if measured(results[name]) else {}
            for name in stacks}
    rows: list[str] = []
    for name in stacks:
        rows += [r for r in flat[name] if r not in rows]
    # A figure only some stacks give (the browser share's decoded fps) goes beside
    # its kin, not at the end.
    for row in [r for r in rows if r.endswith(" decoded fps")]:
        rows.remove(row)
        kin = row.replace(" decoded fps", " fps")
        rows.insert(rows.index(kin) + 1 if kin in rows else len(rows), row)
    # kB/s for the small flows, Mbit/s for the large: keep the one that reads best.
    shown = [r for r in rows if not r.endswith("Mbit/s") or any(
        (flat[s].get(r) or 0) >= 1 for s in stacks)]
    shown = [r for r in shown if not r.endswith("kB/s") or not any(
        (flat[s].get(r.replace("kB/s", "Mbit/s")) or 0) >= 1 for s in stacks)]
    headers = ["", *(results[s].get("label", s) for s in stacks),
               *(f"÷ {results[k.split('/')[1]]['label']}" for k in ratio_table)]
    with_goals = "coupdemain" in flat and bool(flat["coupdemain"])
    if with_goals:
        headers += ["goal", "met"]
    lines = [[r, *(_cell(flat[s].get(r)) for s in stacks),
              *(_cell(ratio_table[k].get(r)) for k in ratio_table),
              *(goal_cells(r, flat["coupdemain"], flat)
                if with_goals else [])] for r in shown]
    for name in stacks:
        if "error" in results[name]:
            lines.append([f"{name} failed", results[name]["error"][:60]])
        elif "skipped" in results[name]:
            lines.append([f"{name} skipped", results[name]["skipped"]])
    widths = [max(len(str(row[i])) if i < len(row) else 0 for row in [headers, *lines])
              for i in range(len(headers))]
    def fmt(row: list[str]) -> str:
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=False)))
    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *map(fmt, lines)])


# --- main -------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 5 trials, 2 s workloads (figures not meaningful)")
    parser.add_argument("--trials", type=int, default=40, help="latency trials per kind (40)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per workload (10)")
    parser.add_argument("--warmup", type=float, default=1.5,
                        help="seconds a workload runs before measuring (1.5)")
    parser.add_argument("--rest-timeout", type=float, default=5.0,
                        help="seconds to wait for a pixel-exact picture at rest (5)")
    parser.add_argument("--stacks", default=",".join(STACKS),
                        help=f"comma-separated, from {', '.join(STACKS)}")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, from {', '.join(WORKLOADS)}")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds over the stacks; workload figures are their medians (1)")
    parser.add_argument("--link-trials", type=int, default=20,
                        help="key → pixel trials on the slow link while the video plays "
                             "(20; 0 skips the slow link)")
    parser.add_argument("--link-mbit", type=float, default=SLOW_LINK_MBIT,
                        help=f"the slow link's rate towards the browser, Mbit/s; half that "
                             f"the other way ({SLOW_LINK_MBIT:g})")
    parser.add_argument("--video", choices=("panning", "noise"), default="panning",
                        help="the video region's content (panning photograph)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.trials, args.seconds, args.warmup, args.rest_timeout = 5, 2.0, 0.5, 2.0
        args.link_trials = min(args.link_trials, 3)
    for value, known, what in ((args.stacks, STACKS, "stack"),
                               (args.workloads, WORKLOADS, "workload")):
        for item in value.split(","):
            if item not in known:
                parser.error(f"unknown {what} {item!r}; choose from {', '.join(known)}")
    if args.trials < 1 or args.seconds <= 0 or args.rounds < 1 or args.link_trials < 0 \
            or args.link_mbit <= 0:
        parser.error("--trials and --rounds must be at least 1, --seconds and --link-mbit "
                     "positive, and --link-trials not negative")
    return args


def _versions() -> dict[str, str | bool]:
    def first_line(*cmd: str) -> str:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return (done.stdout or done.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"

    def package(name: str) -> str:
        return first_line("dpkg-query", "-W", "-f=${Version}", name)

    return {"chromium": first_line("/usr/bin/chromium", "--version"),
            "x11vnc": package("x11vnc"), "websockify": package("websockify"),
            "novnc": package("novnc"),
            "coupdemain_commit": first_line("git", "-C", str(HERE.parent), "rev-parse", "HEAD"),
            # Uncommitted changes to what runs (the product's code) make the commit inexact.
            "coupdemain_uncommitted": bool(subprocess.run(
                ["git", "-C", str(HERE.parent), "status", "--porcelain", "--", "src", "web"],
                capture_output=True, text=True, timeout=20).stdout.strip())}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(args.trials, args.seconds, args.warmup, args.rest_timeout,
                      link_trials=args.link_trials,
                      link=slow_link(args.link_mbit))
    workloads = args.workloads.split(",")

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    results: dict[str, Any] = {}
    started = time.time()
    load_before = os.getloadavg()
    vscreen = VirtualScreen(WIDTH, HEIGHT).start()
    app: App | None = None
    browser: Chromium | None = None
    screen: Screen | None = None
    try:
        app = App(vscreen, args.video)
        screen = Screen(vscreen)
        browser = Chromium()
        rounds: dict[str, list[dict[str, Any]]] = {}
        # Round after round over the stacks, so that a slow stretch of the
        # machine (a shared VM's neighbours) weighs on every stack alike.
        for round_index in range(args.rounds):
            for name in args.stacks.split(","):
                workdir = make_workdir()
                stack: Stack = (
                    CoupdemainStack(vscreen, browser, workdir) if name == "coupdemain"
                    else BrowserShareStack(vscreen, browser, workdir) if name == "browser_share"
                    else PeerStack(vscreen, browser, workdir, tuned=name.endswith("tuned")))
                log(f"{stack.label}, round {round_index + 1} of {args.rounds} "
                    f"(logs in {workdir})")
                try:
                    result = measure(stack, app, screen, vscreen, browser, options,
                                     workloads, log, latency=round_index == 0)
                except StackSkipped as exc:
                    log(f"  {stack.label} skipped: {exc}")
                    result = {"label": stack.label, "skipped": str(exc)}
                except Exception as exc:  # noqa: BLE001 - one stack failing must not hide others
                    log(f"  {stack.label} failed: {exc}")
                    result = {"label": stack.label, "error": str(exc)}
                finally:
                    stack.stop()
                    app.ask("mode idle")
                    time.sleep(1.0)
                rounds.setdefault(name, []).append(result)
        results = {name: merge_rounds(each) for name, each in rounds.items()}
    finally:
        if browser is not None:
            browser.close()
        if screen is not None:
            screen.close()
        if app is not None:
            app.stop()
        vscreen.stop()
    ratio_table = ratios(results)
    report = {
        "meta": {
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "duration_s": round(time.time() - started, 1),
            "screen": f"{WIDTH}x{HEIGHT}", "cpus": psutil.cpu_count(),
            # Other work on the machine weighs on every figure: 1, 5, 15-minute averages.
            "load_average": {"before": [round(v, 2) for v in load_before],
                             "after": [round(v, 2) for v in os.getloadavg()]},
            "machine": platform.machine(), "python": platform.python_version(),
            "versions": _versions(),
            "options": {"trials": args.trials, "seconds": args.seconds, "warmup": args.warmup,
                        "rest_timeout": args.rest_timeout, "video": args.video,
                        "rounds": args.rounds, "link_trials": args.link_trials,
                        "link": options.link.describe(),
                        "quick": args.quick, "workloads": workloads},
            "layout": LAYOUT,
        },
        "stacks": results,
        "ratios": ratio_table,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(table(results, ratio_table))
    print(f"\nJSON: {args.output}")
    return 0 if all("error" not in r for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
