"""The screen as a grid of 64x64 tiles: maps of marked tiles, their groups, their rectangles.

Change detection (``capture/changes.py``) marks the tiles that changed;
motion detection (``encode/motion.py``) groups them; the encoders see
them merged into few, larger rectangles (``merge_tiles``): a 64x64 JPEG
spends a third of its bytes on headers.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .capture.base import Rect

__all__ = ["MAX_MERGED_HEIGHT", "TILE", "TileMap", "all_tiles", "merge_tiles", "tile_groups"]

TILE = 64
# Vertical merging stops at this height, so that one rectangle's encoding
# choice (solid, lossless, photo) fits a band of the screen, not all of it.
MAX_MERGED_HEIGHT = 4 * TILE

TileMap = npt.NDArray[np.bool_]


def all_tiles(width: int, height: int, tile: int = TILE) -> TileMap:
    """A map with every tile marked, for a keyframe."""
    return np.ones(((height + tile - 1) // tile, (width + tile - 1) // tile), dtype=np.bool_)


def merge_tiles(
    tiles: TileMap,
    width: int,
    height: int,
    tile: int = TILE,
    max_height: int = MAX_MERGED_HEIGHT,
) -> list[Rect]:
    """Turns a map of dirty tiles into rectangles that cover exactly those tiles.

    Runs of dirty tiles in a tile row become one rectangle; a run with the
    same horizontal span in the next tile row extends it downwards, up to
    ``max_height`` pixels. Rectangles are clipped to the screen.

    Returns:
        Rectangles in top-to-bottom, left-to-right order, none overlapping.
    """
    rows, cols = tiles.shape
    finished: list[Rect] = []
    # Open rectangles by their column span: (first col, last col) -> [top row, bottom row].
    open_spans: dict[tuple[int, int], list[int]] = {}
    for row in range(rows):
        spans: list[tuple[int, int]] = []
        col = 0
        line = tiles[row]
        while col < cols:
            if line[col]:
                start = col
                while col < cols and line[col]:
                    col += 1
                spans.append((start, col - 1))
            else:
                col += 1
        next_open: dict[tuple[int, int], list[int]] = {}
        for span in spans:
            rows_of = open_spans.pop(span, None)
            if rows_of is not None and (row - rows_of[0] + 1) * tile <= max_height:
                rows_of[1] = row
                next_open[span] = rows_of
            else:
                if rows_of is not None:
                    finished.append(_to_rect(span, rows_of, width, height, tile))
                next_open[span] = [row, row]
        for span, rows_of in open_spans.items():
            finished.append(_to_rect(span, rows_of, width, height, tile))
        open_spans = next_open
    for span, rows_of in open_spans.items():
        finished.append(_to_rect(span, rows_of, width, height, tile))
    finished.sort(key=lambda r: (r.y, r.x))
    return finished


def tile_groups(tiles: TileMap) -> list[tuple[int, int, int, int, int]]:
    """Bounding boxes of the 8-connected groups of marked tiles: (col0, row0, col1, row1, count).

    Groups come in the reading order of their first tile. The map is read as
    runs of marked tiles per row, joined to the runs they touch in the row
    above (diagonals too): Python work per run, not per tile, so a screen
    full of changes costs a few dozen steps.
    """
    rows, cols = tiles.shape
    padded = np.zeros((rows, cols + 2), np.int8)
    padded[:, 1:-1] = tiles
    edges = np.diff(padded, axis=1)
    # Row-major order for both: the n-th start and the n-th end make one run.
    run_rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1] - 1
    runs = list(zip(run_rows.tolist(), starts.tolist(), ends.tolist(), strict=True))
    parent = list(range(len(runs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    above_first = above_end = 0  # the runs of the previous row: runs[above_first:above_end]
    for i, (row, start, end) in enumerate(runs):
        if i == 0 or runs[i - 1][0] != row:
            above_first, above_end = above_end, i
            if above_first < above_end and runs[above_first][0] != row - 1:
                above_first = above_end  # the row above has no run
        for j in range(above_first, above_end):
            _, other_start, other_end = runs[j]
            if other_start <= end + 1 and start <= other_end + 1:
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    boxes: dict[int, list[int]] = {}
    for i, (row, start, end) in enumerate(runs):
        box = boxes.get(root(i))
        if box is None:
            boxes[root(i)] = [start, row, end, row, end - start + 1]
        else:
            box[0], box[2] = min(box[0], start), max(box[2], end)
            box[3] = row
            box[4] += end - start + 1
    # The smallest run index of a group is its first tile in reading order.
    return [(c0, r0, c1, r1, count) for _, (c0, r0, c1, r1, count) in sorted(boxes.items())]


def _to_rect(
    span: tuple[int, int], rows_of: list[int], width: int, height: int, tile: int
) -> Rect:
    x = span[0] * tile
    y = rows_of[0] * tile
    right = min(width, (span[1] + 1) * tile)
    bottom = min(height, (rows_of[1] + 1) * tile)
    return Rect(x, y, right - x, bottom - y)


