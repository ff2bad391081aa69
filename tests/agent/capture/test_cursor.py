"""The pointer's shape and position on a real Xvfb screen, and the pure parts without one."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

from coupdemain.agent.capture.cursor import (
    CursorState,
    CursorTracker,
    CursorUnavailable,
    cursor_png,
)
from coupdemain.protocol.frames import CursorPosition, CursorShape


def test_cursor_png_undoes_premultiplied_alpha() -> None:
    # Opaque red, half-transparent white (premultiplied: 0x80808080), fully transparent.
    argb = np.array([0xFFFF0000, 0x80808080, 0x00000000, 0xFF000000], dtype=np.uint32)
    with Image.open(io.BytesIO(cursor_png(argb, 2, 2))) as image:
        assert image.mode == "RGBA" and image.size == (2, 2)
        pixels = [image.getpixel((x, y)) for y in range(2) for x in range(2)]
    assert pixels == [(255, 0, 0, 255), (255, 255, 255, 128), (0, 0, 0, 0), (0, 0, 0, 255)]


def test_state_reports_only_what_changed() -> None:
    state = CursorState()
    arrow = CursorShape(1, 2, 2, 0, 0, b"png")
    state.receive_shape(arrow)
    state.receive_position(10, 20)
    assert state.take_news() == [arrow, CursorPosition(10, 20)]
    state.receive_shape(arrow)
    state.receive_position(10, 20)
    assert not state.has_news and state.take_news() == []
    state.receive_position(11, 20)
    assert state.take_news() == [CursorPosition(11, 20)]
    assert state.current() == [arrow, CursorPosition(11, 20)]


def test_no_display_means_no_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(CursorUnavailable, match="DISPLAY"):
        CursorTracker()


async def next_matching(tracker: CursorTracker, wanted: type, test: object = None) -> object:
    for _ in range(50):
        for update in await asyncio.wait_for(tracker.next_updates(), 5):
            if isinstance(update, wanted) and (test is None or test(update)):  # type: ignore[operator]
                return update
    raise AssertionError(f"no {wanted.__name__} came")


async def test_moves_and_shapes_are_followed(x_display: str) -> None:
    from Xlib import X, display
    from Xlib.ext import xtest

    tracker = CursorTracker(x_display)
    conn = display.Display(x_display)
    try:
        assert tracker.raw_motion  # Xvfb has XInput 2: no polling
        first = await asyncio.wait_for(tracker.next_updates(), 5)
        assert isinstance(first[0], CursorShape) and first[0].width > 0
        xtest.fake_input(conn, X.MotionNotify, x=123, y=45)
        conn.sync()
        position = await next_matching(
            tracker, CursorPosition, lambda p: p == CursorPosition(123, 45)
        )
        assert position == CursorPosition(123, 45)
        # A window with the text cursor: moving over it changes the shape.
        screen = conn.screen()
        window = screen.root.create_window(
            400, 300, 100, 100, 0, screen.root_depth, background_pixel=screen.white_pixel,
            override_redirect=True,
        )
        font = conn.open_font("cursor")
        window.change_attributes(
            cursor=font.create_glyph_cursor(font, 152, 153, (0, 0, 0), (65535, 65535, 65535))
        )
        window.map()
        xtest.fake_input(conn, X.MotionNotify, x=450, y=350)
        conn.sync()
        shape = await next_matching(tracker, CursorShape, lambda s: s.serial != first[0].serial)
        assert isinstance(shape, CursorShape)
        with Image.open(io.BytesIO(shape.png)) as image:
            assert image.size == (shape.width, shape.height)
        assert tracker.current()[0] == shape
        window.destroy()
        conn.sync()
    finally:
        conn.close()
        tracker.close()
