"""Runs the viewer's JavaScript unit tests (node's built-in runner) under pytest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 120


def test_node_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the viewer's JS tests (tests/web/*.test.mjs) need it")
    result = subprocess.run(
        [node, "--test", "tests/web/"],
        cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"node --test tests/web/ failed:\n{report[-8000:]}"
    assert "# fail 0" in report, report[-8000:]
