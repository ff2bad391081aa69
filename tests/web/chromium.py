"""How the viewer's browser tests start Chromium (as DESIGN.md's Testing section says)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Without the networking switches Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "encodings"
# How long a test waits for a condition on the page, in milliseconds.
WAIT_MS = 10_000
