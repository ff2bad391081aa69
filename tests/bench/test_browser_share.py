"""The bench's browser_share stack: its WebRTC counters, its place in the report, its skip."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from bench.stacks import BrowserShareStack, StackSkipped, Traffic, rtc_traffic

from bench import run
from tests.support import netns


def test_rtc_traffic_counts_the_transports_bytes_and_the_videos_decoded_frames() -> None:
    reports = [
        {"type": "transport", "bytesReceived": 120_000, "bytesSent": 3_000},
        {"type": "inbound-rtp", "kind": "video", "bytesReceived": 100_000,
         "headerBytesReceived": 4_000, "framesDecoded": 290},
        {"type": "inbound-rtp", "kind": "audio", "bytesReceived": 9_000,
         "headerBytesReceived": 500, "framesDecoded": None},
    ]
    assert rtc_traffic(reports) == Traffic(120_000, 3_000, 290)


def test_rtc_traffic_without_a_transport_report_counts_the_videos_payload_and_headers() -> None:
    reports = [{"type": "inbound-rtp", "kind": "video", "bytesReceived": 100_000,
                "headerBytesReceived": 4_000, "framesDecoded": 12},
               {"type": "inbound-rtp", "kind": "audio", "bytesReceived": 9_000,
                "headerBytesReceived": 500}]
    assert rtc_traffic(reports) == Traffic(104_000, 0, 12)


def test_rtc_traffic_before_any_connection_is_zero_with_no_frame_count() -> None:
    assert rtc_traffic([]) == Traffic(0, 0, None)


def share_result(app_ms: float, video_bytes: float) -> dict[str, object]:
    return {
        "label": "browser share",
        "latency": {"app": {"median_ms": app_ms, "p95_ms": app_ms * 2}},
        "workloads": {"video": {"bytes_per_s": video_bytes, "mbit_per_s": video_bytes * 8e-6,
                                "fps": 20.0, "decoded_fps": 30.0, "server_cpu_s": 1.0,
                                "browser_cpu_s": 2.0,
                                "sharp": {"exact": False, "after_s": None}}},
    }


def test_the_browser_share_is_a_column_with_its_ratio_and_decoded_frames() -> None:
    ours = {"label": "coupdemain",
            "latency": {"app": {"median_ms": 30.0, "p95_ms": 45.0}},
            "workloads": {"video": {"bytes_per_s": 400_000, "mbit_per_s": 3.2, "fps": 30.0,
                                    "server_cpu_s": 1.0, "browser_cpu_s": 1.0}}}
    results = {"coupdemain": ours, "browser_share": share_result(60.0, 200_000)}
    ratios = run.ratios(results)
    assert ratios["coupdemain/browser_share"]["app→pixel median ms"] == 0.5
    assert ratios["coupdemain/browser_share"]["video fps"] == 1.5
    text = run.table(results, ratios)
    header = text.splitlines()[0]
    assert "browser share" in header and "÷ browser share" in header
    rows = [line.split("  ")[0] for line in text.splitlines()]
    assert rows.index("video decoded fps") == rows.index("video fps") + 1
    decoded = next(line for line in text.splitlines() if line.startswith("video decoded fps"))
    # coupdemain has no such figure; the share decoded 30 frames a second.
    assert decoded.split()[3:5] == ["—", "30"]


def test_a_skipped_stack_is_named_in_the_table_and_has_no_ratio() -> None:
    skipped = {"label": "browser share",
               "skipped": "the browser_share stack makes a network namespace, which needs root"}
    results = {"coupdemain": {"label": "coupdemain", "latency": {}, "workloads": {}},
               "browser_share": run.merge_rounds([skipped, skipped])}
    assert results["browser_share"] == skipped
    ratios = run.ratios(results)
    assert "coupdemain/browser_share" not in ratios
    assert run.table(results, ratios).splitlines()[-1].split() == [
        "browser_share", "skipped", *skipped["skipped"].split()]


def test_without_root_the_stack_is_skipped_with_a_sentence(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(netns.os, "geteuid", lambda: 1000)
    stack = BrowserShareStack(None, None, tmp_path)  # type: ignore[arg-type]
    with pytest.raises(StackSkipped) as skipped:
        stack.start("")
    assert str(skipped.value) == \
        "the browser_share stack makes a network namespace, which needs root"


@pytest.mark.e2e
@pytest.mark.skipif(bool(netns.missing("the browser_share stack", ("ip", "Xvfb", "xdotool"))),
                    reason=netns.missing("the browser_share stack", ("ip", "Xvfb", "xdotool"))
                    or "-")
def test_a_short_run_beside_the_agent_path_writes_the_shares_figures(tmp_path: Path) -> None:
    assert shutil.which("xdotool") and os.geteuid() == 0
    output = tmp_path / "result.json"
    run.main(["--stacks", "coupdemain,browser_share", "--workloads", "idle,shapes",
              "--trials", "2", "--seconds", "1", "--warmup", "0.3", "--rest-timeout", "1",
              "--link-trials", "0", "--output", str(output)])
    report = json.loads(output.read_text())
    share = report["stacks"]["browser_share"]
    assert "error" not in share, share.get("error")
    assert set(share["latency"]) == {"app"}
    assert share["latency"]["app"]["trials"] == 2
    assert set(report["stacks"]["coupdemain"]["latency"]) == {"key", "click", "app"}
    shapes = share["workloads"]["shapes"]
    assert shapes["bytes_to_browser"] > 0
    assert shapes["decoded_fps"] > 0
    assert "app→pixel median ms" in report["ratios"]["coupdemain/browser_share"]
