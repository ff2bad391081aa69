"""Motion detection, driven by a fake clock: which tiles in sustained motion are a video."""

from __future__ import annotations

import numpy as np

from coupdemain.agent.encode.motion import REST_SECONDS, MotionDetector

FPS = 30
STEP = 1 / FPS


def test_small_or_occasional_changes_never_become_video() -> None:
    motion = MotionDetector()
    now = 0.0
    for step in range(30):
        tiles = np.zeros((12, 20), np.bool_)
        tiles[3, 4] = True                   # a blinking cursor, every frame
        tiles[5:9, 6:12] = step % 3 == 0     # a big area, one frame in three
        assert motion.observe(tiles, now) == []
        now += STEP


def test_a_screen_refreshed_once_a_second_never_becomes_video() -> None:
    # top, htop, a clock: every frame changes the same tiles, but frames
    # come a second apart. At 30 frames a second the same changes are motion.
    for step_seconds, video in ((1.0, False), (STEP, True)):
        motion = MotionDetector()
        now, regions = 0.0, []
        for _ in range(12):
            tiles = np.zeros((12, 20), np.bool_)
            tiles[2:6, 3:12] = True
            regions = motion.observe(tiles, now)
            now += step_seconds
        assert bool(regions) is video


def test_a_video_on_a_slow_link_is_still_a_video() -> None:
    # Five frames a second get through: the link, not the screen, sets the pace.
    pace = 0.2
    tiles = np.zeros((12, 20), np.bool_)
    tiles[2:6, 3:12] = True
    for told, video in ((0.0, False), (pace, True)):
        motion = MotionDetector()
        now, regions = 0.0, []
        for _ in range(6):
            regions = motion.observe(tiles, now, pace=told)
            now += pace
        assert bool(regions) is video
        if video:
            # Between two frames of that video the region does not rest.
            last = now - pace
            assert motion.observe(np.zeros_like(tiles), last + 1.5 * pace, pace=pace) != []


def test_a_region_starts_grows_and_ends_after_rest() -> None:
    motion = MotionDetector()
    tiles = np.zeros((12, 20), np.bool_)
    tiles[2:6, 2:6] = True
    now = 0.0
    regions = []
    for _ in range(6):
        regions = motion.observe(tiles, now)
        now += STEP
    assert [(r.col0, r.row0, r.col1, r.row1) for r in regions] == [(2, 2, 5, 5)]
    tiles[2:6, 2:9] = True
    for _ in range(6):
        regions = motion.observe(tiles, now)
        now += STEP
    assert [(r.col0, r.row0, r.col1, r.row1) for r in regions] == [(2, 2, 8, 5)]
    still = np.zeros_like(tiles)
    last_change = now - STEP
    assert motion.observe(still, last_change + REST_SECONDS - 0.01) != []
    assert motion.observe(still, last_change + REST_SECONDS) == []
