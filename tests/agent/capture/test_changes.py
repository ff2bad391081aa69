from __future__ import annotations

import numpy as np
import pytest

from coupdemain.agent.capture.base import Rect
from coupdemain.agent.capture.changes import (
    changed_rects,
    damage_tiles,
    dirty_tiles,
    pixel_words,
)
from coupdemain.agent.tiles import TILE
from tests.agent.images import bgra, photo_like


@pytest.mark.parametrize("drawn", [False, True])  # every row, or sampled rows first
@pytest.mark.parametrize("width", [320, 321])  # uint64 words, and the odd-width path
@pytest.mark.parametrize(("x", "y"), [(0, 0), (63, 63), (64, 0), (300, 130), (319, 199)])
def test_one_pixel_marks_exactly_its_tile(drawn: bool, width: int, x: int, y: int) -> None:
    before = bgra(200, width)
    after = before.copy()
    after[y, x, 1] ^= 1
    tiles = dirty_tiles(before, after, drawn=drawn)
    assert tiles.shape == (4, (width + TILE - 1) // TILE)
    expected = np.zeros_like(tiles)
    expected[y // TILE, x // TILE] = True
    assert np.array_equal(tiles, expected)


def test_identical_frames_have_no_dirty_tile() -> None:
    frame = photo_like(130, 200)
    assert not dirty_tiles(frame, frame.copy()).any()
    assert changed_rects(frame, frame.copy()) == []


def test_last_partial_tile_is_covered() -> None:
    before = bgra(100, 130)
    after = before.copy()
    after[99, 129, 0] = 7
    assert changed_rects(before, after) == [Rect(128, 64, 2, 36)]


def test_sampled_rows_miss_no_change() -> None:
    # Motion everywhere but in two tiles, where one pixel changes on a row
    # the sample skips: the answer is the full comparison's.
    rng = np.random.default_rng(5)
    before = photo_like(300, 450)
    after = np.roll(before, 3, axis=1)  # panned 3 pixels
    after[64:128, 128:192] = before[64:128, 128:192]
    after[256:300, 0:64] = before[256:300, 0:64]
    after[101, 150, 0] ^= 1
    full = dirty_tiles(before, after)
    assert full.sum() == full.size - 1 and not full[4, 0]
    assert np.array_equal(dirty_tiles(before, after, drawn=True), full)
    for _ in range(50):
        still = before.copy()
        for _ in range(int(rng.integers(0, 4))):
            y, x = int(rng.integers(0, 300)), int(rng.integers(0, 450))
            still[y, x, int(rng.integers(0, 3))] ^= 0x10
        assert np.array_equal(dirty_tiles(before, still, drawn=True),
                              dirty_tiles(before, still))


def test_sizes_must_match() -> None:
    with pytest.raises(ValueError, match="differ in size"):
        dirty_tiles(bgra(64, 64), bgra(64, 128))


def test_merged_rects_cover_all_changes_and_nothing_twice() -> None:
    rng = np.random.default_rng(3)
    before = photo_like(300, 500)
    after = before.copy()
    for _ in range(40):
        x, y = int(rng.integers(0, 500)), int(rng.integers(0, 300))
        after[y, x, 2] ^= 0x80
    rects = changed_rects(before, after)
    cover = np.zeros((300, 500), dtype=np.int32)
    for rect in rects:
        cover[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width] += 1
    changed = (before != after).any(axis=2)
    assert (cover[changed] == 1).all()
    assert cover.max() == 1
    # Nothing beyond the dirty tiles: every rect is made of dirty tiles only.
    tiles = dirty_tiles(before, after)
    for rect in rects:
        assert tiles[rect.y // TILE : (rect.y + rect.height - 1) // TILE + 1,
                     rect.x // TILE : (rect.x + rect.width - 1) // TILE + 1].all()


def test_damage_marks_the_tiles_it_touches_clipped_to_the_screen() -> None:
    tiles = damage_tiles([Rect(60, 10, 8, 8), Rect(-30, 190, 40, 40), Rect(500, 0, 9, 9)],
                         320, 200)
    expected = np.zeros((4, 5), dtype=np.bool_)
    expected[0, 0:2] = True   # straddles the first two tiles
    expected[2:4, 0] = True   # bottom-left corner, partly off-screen
    assert np.array_equal(tiles, expected)
    assert not damage_tiles([], 320, 200).any()


def test_pixel_words_reads_a_region_in_place() -> None:
    picture = np.arange(64 * 128 * 4, dtype=np.uint32).astype(np.uint8).reshape(64, 128, 4)
    region = picture[10:30, 64:96]
    words = pixel_words(region, np.uint64)
    assert words.shape == (20, 16)
    assert np.shares_memory(words, picture)
    assert words.tobytes() == np.ascontiguousarray(region).tobytes()
