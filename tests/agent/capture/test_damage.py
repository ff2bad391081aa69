"""XDamage on a real Xvfb screen, and the accumulator's rules without one."""

from __future__ import annotations

import asyncio

import pytest

from coupdemain.agent.capture.base import Rect
from coupdemain.agent.capture.damage import DamageAccumulator, DamageTracker, DamageUnavailable


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


async def test_drawing_wakes_the_tracker_with_where_it_drew(x_display: str) -> None:
    from Xlib import display

    tracker = DamageTracker(x_display)
    painter = display.Display(x_display)
    try:
        # Until the first take, everything counts as damaged.
        await asyncio.wait_for(tracker.wait_for_change(), 5)
        assert tracker.take_damage() is None
        screen = painter.screen()
        window = screen.root.create_window(
            300, 200, 120, 80, 0, screen.root_depth, background_pixel=screen.white_pixel,
            override_redirect=True,
        )
        window.map()
        painter.sync()
        await asyncio.wait_for(tracker.wait_for_change(), 5)
        gc = window.create_gc(foreground=screen.black_pixel)
        window.fill_rectangle(gc, 10, 10, 6, 13)
        painter.sync()
        rects: list[Rect] = []
        for _ in range(100):
            taken = tracker.take_damage()
            assert taken is not None
            rects += taken
            if Rect(310, 210, 6, 13) in rects:
                break
            await asyncio.wait_for(tracker.wait_for_change(), 5)
        assert Rect(310, 210, 6, 13) in rects
        # Nothing drawn: nothing pending, and waiting does not return.
        tracker.take_damage()
        waiting = asyncio.ensure_future(tracker.wait_for_change())
        await asyncio.sleep(0.1)
        assert not waiting.done()
        assert not tracker.damage.pending
        waiting.cancel()
        window.destroy()
        painter.sync()
    finally:
        painter.close()
        tracker.close()
