from __future__ import annotations

import numpy as np

from coupdemain.agent.capture.fake import FakeScreen


def test_advance_changes_only_the_number_tile() -> None:
    screen = FakeScreen(320, 200)
    before = screen.capture().pixels
    screen.advance()
    after = screen.capture()
    assert (after.width, after.height) == (320, 200)
    changed = np.argwhere((before != after.pixels).any(axis=2))
    assert changed.size and changed.max(axis=0).tolist()[0] < 64 and changed[:, 1].max() < 64


def test_capture_is_a_copy() -> None:
    screen = FakeScreen(64, 64)
    frame = screen.capture()
    screen.fill(0, 0, 64, 64, (1, 2, 3))
    assert not np.array_equal(frame.pixels, screen.capture().pixels)
