"""The benchmark's harness: its arithmetic, its report, and one short run (no timings asserted)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bench.stacks import NOVNC

from bench import run


def reference_row_hash(row: np.ndarray) -> int:
    """probe.js's loop, written out: h = (h * 31 + v) mod 2^32 over R, G, B of each pixel."""
    h = 0
    for r, g, b in row.tolist():
        for v in (r, g, b):
            h = (h * 31 + v) % (1 << 32)
    return h


def test_row_hashes_follow_the_probe_formula() -> None:
    rgb = np.random.default_rng(3).integers(0, 256, (5, 37, 3), dtype=np.uint8)
    assert run.row_hashes(rgb) == [reference_row_hash(row) for row in rgb]


def test_row_hashes_see_a_one_level_change() -> None:
    rgb = np.full((2, 640, 3), 200, np.uint8)
    changed = rgb.copy()
    changed[1, 300, 2] = 201
    before, after = run.row_hashes(rgb), run.row_hashes(changed)
    assert before[0] == after[0]
    assert before[1] != after[1]


def fake_stack(label: str, key_ms: float, video_bytes: float) -> dict[str, object]:
    return {
        "label": label,
        "latency": {"key": {"median_ms": key_ms, "p95_ms": key_ms * 2}},
        "workloads": {"video": {"bytes_per_s": video_bytes, "mbit_per_s": video_bytes * 8e-6,
                                "fps": 30.0, "server_cpu_s": 1.0, "browser_cpu_s": 2.0,
                                "sharp": {"exact": False, "after_s": None}}},
    }


def test_ratios_divide_ours_by_each_peer() -> None:
    results = {"coupdemain": fake_stack("coupdemain", 20.0, 500_000),
               "x11vnc_stock": fake_stack("x11vnc stock", 50.0, 5_000_000)}
    ratios = run.ratios(results)
    assert ratios["coupdemain/x11vnc_stock"]["key→pixel median ms"] == 0.4
    assert ratios["coupdemain/x11vnc_stock"]["video Mbit/s"] == 0.1
    assert ratios["coupdemain/x11vnc_stock"]["video exact at rest after s"] is None
    text = run.table(results, ratios)
    assert "÷ x11vnc stock" in text.splitlines()[0]
    assert "video Mbit/s" in text
    assert "video kB/s" not in text  # the larger unit reads best here


def test_goals_are_judged_against_the_stock_peer() -> None:
    ours = {"key→pixel median ms": 18.0, "typing kB/s": 4.0, "video exact at rest after s": None}
    peers = {"x11vnc_stock": {"typing kB/s": 3.6}, "x11vnc_tuned": {"typing kB/s": 9.0}}
    assert run.goal_cells("key→pixel median ms", ours, peers) == ["≤ 20", "yes"]
    assert run.goal_cells("typing kB/s", ours, peers) == ["≤ peer", "NO"]
    assert run.goal_cells("typing kB/s", ours, {}) == ["≤ peer", ""]  # no peer in this run
    assert run.goal_cells("video exact at rest after s", ours, peers) == ["≤ 1", "NO"]
    assert run.goal_cells("idle fps", ours, peers) == ["", ""]


def test_server_cpu_is_judged_at_equal_work_per_frame_shown() -> None:
    ours = fake_stack("coupdemain", 20.0, 500_000)
    tuned = fake_stack("x11vnc tuned", 50.0, 5_000_000)
    # Twice the frames for one and a half times the CPU: less per frame.
    ours["workloads"]["video"].update(fps=60.0, server_cpu_s=1.5, server_cpu_ms_per_frame=2.5)
    tuned["workloads"]["video"].update(fps=30.0, server_cpu_s=1.0, server_cpu_ms_per_frame=3.33)
    mine, peers = run.metrics(ours), {"x11vnc_tuned": run.metrics(tuned)}
    assert run.goal_cells("video server CPU ms/frame", mine, peers) == ["≤ tuned", "yes"]
    assert run.goal_cells("video server CPU s", mine, peers) == ["", ""]
    ours["workloads"]["video"]["server_cpu_ms_per_frame"] = 3.5
    assert run.goal_cells("video server CPU ms/frame", run.metrics(ours), peers) == [
        "≤ tuned", "NO"]
    # Nothing shown: no figure, and the goal is not met.
    ours["workloads"]["video"]["server_cpu_ms_per_frame"] = None
    assert run.goal_cells("video server CPU ms/frame", run.metrics(ours), peers) == [
        "≤ tuned", "NO"]


def test_server_cpu_per_frame_is_judged_against_the_tuned_peer_not_the_stock_one() -> None:
    def stack(label: str, ms_per_frame: float) -> dict[str, Any]:
        s = fake_stack(label, 20.0, 500_000)
        s["workloads"]["video"]["server_cpu_ms_per_frame"] = ms_per_frame
        return s

    # The figures of bench/results-example.json: stock 4.4, tuned 5.4 ms a frame.
    results = {"coupdemain": stack("coupdemain", 5.0),
               "x11vnc_stock": stack("x11vnc stock", 4.4),
               "x11vnc_tuned": stack("x11vnc tuned", 5.4)}
    row = next(line for line in run.table(results, run.ratios(results)).splitlines()
               if line.startswith("video server CPU ms/frame"))
    assert row.split()[-2:] == ["tuned", "yes"]
    results["coupdemain"] = stack("coupdemain", 6.5)
    row = next(line for line in run.table(results, run.ratios(results)).splitlines()
               if line.startswith("video server CPU ms/frame"))
    assert row.split()[-2:] == ["tuned", "NO"]
    # Without the tuned peer in the run, the stock one does not stand in for it.
    del results["x11vnc_tuned"]
    flat = {name: run.metrics(s) for name, s in results.items()}
    assert run.goal_cells("video server CPU ms/frame", flat["coupdemain"], flat) == [
        "≤ tuned", ""]
    # Idle shows no frame: its CPU seconds stay judged against the stock peer.
    assert run.GOALS["idle server CPU s"].peer == "x11vnc_stock"


def test_rounds_merge_into_medians_and_the_worst_sharpness() -> None:
    def round_of(cpu: float, sharp: dict[str, Any]) -> dict[str, Any]:
        stack = fake_stack("coupdemain", 20.0, 500_000)
        stack["workloads"]["video"].update(server_cpu_s=cpu, sharp=sharp)
        return stack

    exact = {"exact": True, "after_s": 0.5, "mismatched_rows": 0}
    later = {"exact": True, "after_s": 0.9, "mismatched_rows": 0}
    rounds = [round_of(2.0, exact), round_of(1.0, later), round_of(9.0, exact)]
    merged = run.merge_rounds(rounds)
    video = merged["workloads"]["video"]
    assert video["server_cpu_s"] == 2.0  # the median: one slow round does not count
    assert video["fps"] == 30.0
    assert video["sharp"] == later
    assert merged["rounds"] == 3
    assert [w["server_cpu_s"] for w in merged["workload_rounds"]["video"]] == [2.0, 1.0, 9.0]
    assert merged["latency"] == rounds[0]["latency"]
    # A round that showed no frame has no CPU per frame: the others make the median.
    per_frame = [round_of(1.0, exact) for _ in range(3)]
    for stack, value in zip(per_frame, (None, 4.0, 2.0), strict=True):
        stack["workloads"]["video"]["server_cpu_ms_per_frame"] = value
    assert run.merge_rounds(per_frame)["workloads"]["video"]["server_cpu_ms_per_frame"] == 3.0
    never = {"exact": False, "after_s": None, "mismatched_rows": 12}
    assert run.merge_rounds([round_of(1.0, exact), round_of(1.0, never)])[
        "workloads"]["video"]["sharp"] == never
    failed = {"label": "coupdemain", "error": "the server did not start"}
    assert run.merge_rounds([rounds[0], failed]) == failed
    assert run.merge_rounds([rounds[0]]) == rounds[0]


def test_the_slow_link_has_its_rows_and_is_judged_against_the_peer() -> None:
    def with_slow_link(label: str, key_ms: float) -> dict[str, Any]:
        stack = fake_stack(label, 20.0, 500_000)
        stack["slow_link"] = {"key": {"median_ms": key_ms, "p95_ms": key_ms * 2, "missed": 1},
                              "fps": 25.0, "mbit_per_s": 0.8,
                              "sharp": {"exact": True, "after_s": 2.5}}
        return stack

    results = {"coupdemain": with_slow_link("coupdemain", 80.0),
               "x11vnc_stock": with_slow_link("x11vnc stock", 320.0)}
    ours = run.metrics(results["coupdemain"])
    assert ours["slow link key→pixel median ms"] == 80.0
    assert ours["slow link trials missed"] == 1.0
    assert ours["slow link video exact at rest after s"] == 2.5
    assert run.ratios(results)["coupdemain/x11vnc_stock"]["slow link key→pixel median ms"] == 0.25
    assert run.goal_cells("slow link key→pixel median ms", ours,
                          {"x11vnc_stock": run.metrics(results["x11vnc_stock"])}) == [
        "≤ peer", "yes"]
    assert "slow link video fps" in run.table(results, run.ratios(results))


def test_a_failed_stack_is_named_in_the_table() -> None:
    results = {"coupdemain": {"label": "coupdemain", "error": "the server did not start"}}
    assert "the server did not start" in run.table(results, run.ratios(results))


def test_unknown_stack_or_workload_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run.parse_args(["--stacks", "vnc"])
    assert "unknown stack 'vnc'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run.parse_args(["--workloads", "idle,gaming"])
    assert "unknown workload 'gaming'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run.parse_args(["--link-mbit", "0"])
    assert "--link-mbit positive" in capsys.readouterr().err


@pytest.mark.e2e
def test_a_short_run_writes_every_figure(tmp_path: Path) -> None:
    tools = ("Xvfb", "xdotool", "x11vnc", "websockify")
    missing = [t for t in tools if shutil.which(t) is None]
    if missing or not Path("/usr/bin/chromium").exists() or not NOVNC.exists():
        pytest.skip("the benchmark needs Xvfb, xdotool, x11vnc, websockify, noVNC, Chromium")
    output = tmp_path / "result.json"
    run.main(["--stacks", "coupdemain,x11vnc_stock", "--workloads", "idle,typing",
              "--trials", "2", "--seconds", "1", "--warmup", "0.3", "--rest-timeout", "2",
              "--rounds", "2", "--link-trials", "2", "--output", str(output)])
    report = json.loads(output.read_text())
    assert set(report["stacks"]) == {"coupdemain", "x11vnc_stock"}
    for name, stack in report["stacks"].items():
        assert "error" not in stack, (name, stack.get("error"))
        assert set(stack["latency"]) == {"key", "click", "app"}
        assert stack["latency"]["key"]["trials"] == 2
        assert set(stack["workloads"]) == {"idle", "typing"}
        assert [len(each) for each in stack["workload_rounds"].values()] == [2, 2]
        typing = stack["workloads"]["typing"]
        for key in ("bytes_per_s", "fps", "server_cpu_s", "server_cpu_ms_per_frame",
                    "browser_cpu_s", "sharp"):
            assert key in typing, (name, key)
        slow = stack["slow_link"]
        assert slow["key"]["trials"] == 2
        assert slow["link"] == run.Options(1, 1, 1, 1).link.describe()
        for key in ("mbit_per_s", "fps", "sharp"):
            assert key in slow, (name, key)
    assert "key→pixel median ms" in report["ratios"]["coupdemain/x11vnc_stock"]
