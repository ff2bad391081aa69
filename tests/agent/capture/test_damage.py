"""XDamage on a real Xvfb screen, and the accumulator's rules without one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from coupdemain.agent.capture.base import Rect
from coupdemain.agent.capture.damage import (
    MAX_PENDING_RECTS,
    DamageAccumulator,
    DamageTracker,
    DamageUnavailable,
)


def test_accumulator_lists_rects_then_forgets_them() -> None:
    damage = DamageAccumulator()
    assert not damage.pending
    damage.add(Rect(1, 2, 3, 4))
    damage.add(Rect(0, 0, 0, 5))  # empty: ignored
    assert damage.pending
    assert damage.take() == [Rect(1, 2, 3, 4)]
    assert not damage.pending
    assert damage.take() == []


def test_accumulator_overflows_into_everything() -> None:
    damage = DamageAccumulator(max_rects=3)
    for i in range(4):
        damage.add(Rect(i, 0, 1, 1))
    assert damage.take() is None  # the whole screen, once
    assert damage.take() == []


def test_no_display_means_no_damage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(DamageUnavailable, match="DISPLAY"):
        DamageTracker()


def test_unreachable_display_means_no_damage() -> None:
    with pytest.raises(DamageUnavailable, match="cannot open"):
        DamageTracker(":4093")


class Painter:
    """A client of its own that draws black rectangles in a white window at (300, 200)."""

    def __init__(self, x_display: str) -> None:
        from Xlib import display

        self.conn = display.Display(x_display)
        screen = self.conn.screen()
        self.root = screen.root
        self.window = screen.root.create_window(
            300, 200, 400, 300, 0, screen.root_depth, background_pixel=screen.white_pixel,
            override_redirect=True,
        )
        self.gc = self.window.create_gc(foreground=screen.black_pixel)
        self.window.map()
        self.conn.sync()

    def fill(self, *rects: tuple[int, int, int, int]) -> None:
        """Fills rectangles given in window coordinates, then waits for the server."""
        for x, y, width, height in rects:
            self.window.fill_rectangle(self.gc, x, y, width, height)
        self.conn.sync()

    def close(self) -> None:
        self.window.destroy()
        self.conn.sync()
        self.conn.close()


@pytest.fixture(params=[False, True], ids=["regions", "raw-rectangles"])
def raw_rectangles(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def tracker(x_display: str, raw_rectangles: bool) -> Iterator[DamageTracker]:
    tracker = DamageTracker(x_display, raw_rectangles=raw_rectangles)
    try:
        yield tracker
    finally:
        tracker.close()


@pytest.fixture
def painter(x_display: str) -> Iterator[Painter]:
    painter = Painter(x_display)
    try:
        yield painter
    finally:
        painter.close()


async def settled(tracker: DamageTracker) -> None:
    """Takes the whole-screen start and the window's first paint: nothing is pending after."""
    await asyncio.wait_for(tracker.wait_for_change(), 5)
    assert tracker.take_damage() is None  # until the first take, everything
    for _ in range(100):
        await asyncio.sleep(0.05)
        if not tracker.take_damage():
            return
    raise AssertionError("the screen did not settle")


async def collect(tracker: DamageTracker, *wanted: Rect) -> list[Rect]:
    """What the tracker reports until all of ``wanted`` came (5 s at most per wait)."""
    rects: list[Rect] = []
    for _ in range(100):
        await asyncio.wait_for(tracker.wait_for_change(), 5)
        taken = tracker.take_damage()
        assert taken is not None
        rects += taken
        if all(rect in rects for rect in wanted):
            return rects
    raise AssertionError(f"{wanted} not all in {rects}")


def test_regions_are_used_where_the_server_has_xfixes(
    tracker: DamageTracker, raw_rectangles: bool
) -> None:
    assert tracker.uses_regions is not raw_rectangles


async def test_drawing_wakes_the_tracker_with_where_it_drew(
    tracker: DamageTracker, painter: Painter, raw_rectangles: bool
) -> None:
    await settled(tracker)
    painter.fill((10, 10, 6, 13))
    rects = await collect(tracker, Rect(310, 210, 6, 13))
    if not raw_rectangles:
        # One fill, one rectangle, exactly where it was drawn.
        assert rects == [Rect(310, 210, 6, 13)]


async def test_two_drawings_between_takes_both_come_back(
    tracker: DamageTracker, painter: Painter
) -> None:
    await settled(tracker)
    painter.fill((10, 10, 6, 13))
    painter.fill((200, 150, 20, 5))
    await collect(tracker, Rect(310, 210, 6, 13), Rect(500, 350, 20, 5))


async def test_drawing_after_a_take_is_a_new_change(
    tracker: DamageTracker, painter: Painter
) -> None:
    await settled(tracker)
    painter.fill((10, 10, 6, 13))
    await collect(tracker, Rect(310, 210, 6, 13))
    assert not tracker.pending
    painter.fill((40, 40, 8, 8))
    await collect(tracker, Rect(340, 240, 8, 8))


async def test_nothing_drawn_means_no_change(tracker: DamageTracker, painter: Painter) -> None:
    await settled(tracker)
    waiting = asyncio.ensure_future(tracker.wait_for_change())
    await asyncio.sleep(0.3)
    assert not waiting.done()
    assert not tracker.pending
    waiting.cancel()
    painter.fill((10, 10, 6, 13))  # and the tracker still follows drawing
    await collect(tracker, Rect(310, 210, 6, 13))


async def test_a_burst_of_drawing_is_one_event_with_regions(
    tracker: DamageTracker, painter: Painter, raw_rectangles: bool
) -> None:
    await settled(tracker)
    before = tracker.events
    painter.fill(*[(10 + 5 * i, 10, 3, 3) for i in range(50)])
    await collect(tracker, *[Rect(310 + 5 * i, 210, 3, 3) for i in range(50)])
    if raw_rectangles:
        assert tracker.events - before >= 50
    else:
        assert 1 <= tracker.events - before < 10


async def test_too_many_rectangles_mean_everything(
    tracker: DamageTracker, painter: Painter
) -> None:
    await settled(tracker)
    # Separate pixels: no two of them merge into one rectangle.
    pixels = [(2 * (i % 150), 2 * (i // 150), 1, 1) for i in range(MAX_PENDING_RECTS + 10)]
    painter.fill(*pixels)
    await asyncio.wait_for(tracker.wait_for_change(), 5)
    await asyncio.sleep(0.05)  # the raw events of all fills are in
    assert tracker.take_damage() is None
    assert tracker.take_damage() == []


async def test_a_root_resize_means_everything(
    tracker: DamageTracker, painter: Painter
) -> None:
    from Xlib import X
    from Xlib.protocol import event

    await settled(tracker)
    # The ConfigureNotify a resize sends to the root's listeners, sent by hand:
    # resizing the shared screen would disturb the other tests.
    geometry = painter.root.get_geometry()
    resized = event.ConfigureNotify(
        window=painter.root, event=painter.root, above_sibling=X.NONE, x=0, y=0,
        width=geometry.width - 100, height=geometry.height, border_width=0, override=False,
    )
    painter.root.send_event(resized, event_mask=X.StructureNotifyMask)
    painter.conn.sync()
    await asyncio.wait_for(tracker.wait_for_change(), 5)
    assert tracker.take_damage() is None


async def test_a_broken_connection_falls_back_to_whole_screen_captures(
    tracker: DamageTracker, painter: Painter, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    await settled(tracker)
    conn: Any = tracker._display
    conn.display.socket.shutdown(socket.SHUT_RDWR)
    painter.fill((10, 10, 6, 13))
    with caplog.at_level(logging.WARNING, logger="coupdemain.agent.capture.damage"):
        await asyncio.wait_for(tracker.wait_for_change(), 5)
        assert tracker.take_damage() is None
        # No more events can come: the tracker now wakes the pipeline like
        # a 30 fps timer, each time for a whole-screen diff.
        for _ in range(3):
            await asyncio.wait_for(tracker.wait_for_change(), 5)
            assert tracker.take_damage() is None
    assert len([r for r in caplog.records if "failed" in r.message]) == 1


def test_events_sent_before_the_subtract_are_stale() -> None:
    tracker = DamageTracker.__new__(DamageTracker)
    tracker._subtract_serial = None
    assert not tracker._before_subtract(5)
    tracker._subtract_serial = 10
    assert tracker._before_subtract(9)
    assert not tracker._before_subtract(10)  # sent after the subtract ran
    assert not tracker._before_subtract(11)
    tracker._subtract_serial = 2  # the 16-bit serial wrapped around
    assert tracker._before_subtract(0xFFFF)
    assert not tracker._before_subtract(3)


def test_a_fetched_region_lists_its_rectangles_exactly(x_display: str) -> None:
    from Xlib import display

    from coupdemain.agent.capture import xfixes_region

    conn = display.Display(x_display)
    try:
        assert xfixes_region.supports_regions(conn)
        region = int(conn.display.allocate_resource_id())
        # Negative x, a width past 32767 (unsigned on the wire), two bands.
        drawn = [(-32000, 0, 64000, 10), (0, 40, 3, 2), (10, 40, 5, 2)]
        xfixes_region.CreateRegion(
            display=conn.display, opcode=conn.display.get_extension_major("XFIXES"),
            region=region, rectangles=[dict(x=x, y=y, width=w, height=h) for x, y, w, h in drawn],
        )
        assert xfixes_region.fetch_region(conn, region) == drawn
        xfixes_region.destroy_region(conn, region)
        empty = xfixes_region.create_region(conn)
        assert xfixes_region.fetch_region(conn, empty) == []
        xfixes_region.destroy_region(conn, empty)
    finally:
        conn.close()
