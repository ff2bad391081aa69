"""The tile grid: marked tiles merged into rectangles, and grouped."""

from __future__ import annotations

import numpy as np
import pytest

from coupdemain.agent.capture.base import Rect
from coupdemain.agent.tiles import all_tiles, merge_tiles, tile_groups


def test_neighbouring_tiles_merge_into_one_rect() -> None:
    tiles = np.zeros((3, 5), dtype=bool)
    tiles[0, 1:4] = True
    tiles[1, 1:4] = True
    assert merge_tiles(tiles, 320, 192) == [Rect(64, 0, 192, 128)]


def test_keyframe_is_split_into_bands() -> None:
    rects = merge_tiles(all_tiles(1280, 800), 1280, 800)
    assert [r.height for r in rects] == [256, 256, 256, 32]
    assert sum(r.area for r in rects) == 1280 * 800


def _flood_fill_groups(tiles: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """The reference: one tile at a time, 8 neighbours each, groups by their first tile."""
    rows, cols = tiles.shape
    seen = np.zeros_like(tiles)
    groups = []
    for row, col in zip(*np.nonzero(tiles), strict=True):
        if seen[row, col]:
            continue
        seen[row, col] = True
        stack, members = [(int(row), int(col))], []
        while stack:
            r, c = stack.pop()
            members.append((r, c))
            for nr in (r - 1, r, r + 1):
                for nc in (c - 1, c, c + 1):
                    if 0 <= nr < rows and 0 <= nc < cols and tiles[nr, nc] and not seen[nr, nc]:
                        seen[nr, nc] = True
                        stack.append((nr, nc))
        rs = [r for r, _ in members]
        cs = [c for _, c in members]
        groups.append((min(cs), min(rs), max(cs), max(rs), len(members)))
    return groups


@pytest.mark.parametrize("density", [0.1, 0.3, 0.5, 0.8])
def test_tile_groups_match_a_tile_by_tile_flood_fill(density: float) -> None:
    rng = np.random.default_rng(int(density * 100))
    for _ in range(50):
        tiles = rng.random((17, 30)) < density
        assert tile_groups(tiles) == _flood_fill_groups(tiles)


def test_tile_groups_join_diagonal_neighbours_and_keep_apart_the_others() -> None:
    tiles = np.zeros((6, 8), np.bool_)
    tiles[0, 0] = tiles[1, 1] = tiles[2, 2] = True  # a diagonal: one group
    tiles[0, 5:8] = True  # a separate run, two columns away
    tiles[4:6, 0:2] = True  # a block below, one empty row between
    assert tile_groups(tiles) == [(0, 0, 2, 2, 3), (5, 0, 7, 0, 3), (0, 4, 1, 5, 4)]
    assert tile_groups(np.zeros((3, 3), np.bool_)) == []
