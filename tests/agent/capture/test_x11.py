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


def test_capture_area_is_that_part_of_the_screen(x_display: str, notes: NotesApp) -> None:
    from coupdemain.agent.capture.base import Rect

    screen = X11Screen()
    try:
        whole = screen.capture().pixels
        x, y = notes.block_centre()
        area = Rect(x - 40, y - 30, 64, 64)
        part = screen.capture_area(area)
        assert part.shape == (64, 64, 4)
        assert (part[..., :3] == whole[y - 30 : y + 34, x - 40 : x + 24, :3]).all()
        with pytest.raises(CaptureError):
            screen.capture_area(Rect(1270, 790, 64, 64))  # past the corner
        assert screen.capture_area(area).shape == (64, 64, 4)  # and it still works
    finally:
        screen.close()


def test_a_region_is_shared_from_its_origin(x_display: str, notes: NotesApp) -> None:
    from coupdemain.agent.capture.base import Rect

    x, y = notes.block_centre()
    screen = X11Screen(region=Rect(x - 10, y - 10, 100, 50))
    try:
        assert screen.origin == (x - 10, y - 10)
        frame = screen.capture()
        assert (frame.width, frame.height) == (100, 50)
        assert hex_of(frame.pixels[10, 10]) == "#3366cc"
        assert hex_of(screen.capture_area(Rect(10, 10, 1, 1))[0, 0]) == "#3366cc"
        with pytest.raises(CaptureError, match="outside"):
            screen.capture_area(Rect(90, 0, 20, 20))
    finally:
        screen.close()


def test_the_pointer_is_not_in_the_picture(x_display: str, notes: NotesApp) -> None:
    from Xlib import X, display
    from Xlib.ext import xtest

    conn = display.Display(x_display)
    screen = X11Screen()
    try:
        x, y = notes.block_centre()
        xtest.fake_input(conn, X.MotionNotify, x=x + 200, y=y + 200)
        conn.sync()
        before = screen.capture().pixels.copy()
        xtest.fake_input(conn, X.MotionNotify, x=x, y=y)
        conn.sync()
        after = screen.capture().pixels
        # The cursor travels on its own; the block under it stays its colour.
        assert hex_of(after[y, x]) == "#3366cc"
        assert (before[..., :3] == after[..., :3]).all()
    finally:
        screen.close()
        conn.close()
