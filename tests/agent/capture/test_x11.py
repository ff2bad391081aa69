"""mss capture of a real Xvfb screen."""

from __future__ import annotations

import pytest

from coupdemain.agent.capture.x11 import CaptureError, X11Screen
from tests.agent.conftest import NotesApp


def hex_of(bgra: object) -> str:
    b, g, r = (int(v) for v in bgra[:3])  # type: ignore[index]
    return f"#{r:02x}{g:02x}{b:02x}"


def test_capture_sees_the_block_colour(x_display: str, notes: NotesApp) -> None:
    screen = X11Screen()
    try:
        frame = screen.capture()
        assert (frame.width, frame.height) == (1280, 800)
        assert frame.pixels.shape == (800, 1280, 4)
        x, y = notes.block_centre()
        assert hex_of(frame.pixels[y, x]) == notes.state()["color"] == "#3366cc"
    finally:
        screen.close()


def test_no_display_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(CaptureError, match="DISPLAY is not set"):
        X11Screen()
