"""Which parts of the screen are a video: motion detection, in tiles.

**Motion becomes video.** ``MotionDetector`` remembers, per 64x64 tile,
whether it changed in each of the last ``MOTION_HISTORY`` frames of the
last ``MOTION_WINDOW_SECONDS``. Tiles that changed in at least
``MOTION_MIN_CHANGES`` of them are *hot*. A connected group of hot tiles
covering at least ``MIN_VIDEO_AREA`` pixels, whose changed rows held a
picture before (not text printed onto a blank window: ``appearing``),
becomes a *video region* (``VideoRegion``): its bounding box. A region
only grows; it ends once none of its tiles changed for ``REST_SECONDS``.
What a region becomes on the wire is the frame encoder's business
(``frame.py``, ``stream.py``).

The times above are for frames that come as fast as the screen changes.
On a slow link frames come further apart (``QualityController.frame_interval``,
``agent/rate.py``): a video sent 5 times a second is still a video, so the
motion window and the rest stretch to hold as many frames
(``PACE_WINDOW_FRAMES``, ``PACE_REST_FRAMES``). Without that, a video on a
slow link never became one, and went as JPEG frames twice its size.

Everything here takes the time as an argument (``now``), so that tests
drive it with a fake clock.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..capture.base import Pixels, Rect
from ..capture.changes import pixel_words
from ..tiles import TILE, TileMap, tile_groups

MOTION_HISTORY = 8
# Four frames of motion (130 ms at 30 fps) before video: each frame before
# goes as JPEG, which for video-like content costs ten times more.
MOTION_MIN_CHANGES = 4
# ...within this long: frames come only when something changes, so without
# it a text screen refreshed once a second (top, a clock) would count as
# motion after four refreshes, and go blurred as video at every refresh.
MOTION_WINDOW_SECONDS = 0.5
# A group whose changed rows were this blank before (one colour across the
# group) is content appearing, not moving: lines of text printed one after
# the other into an empty terminal stay lossless.
APPEARING_SHARE = 0.8
# 12 tiles: a small video player; a blinking cursor or typed text never is.
MIN_VIDEO_AREA = 12 * TILE * TILE
MAX_VIDEO_REGIONS = 2
REST_SECONDS = 0.4
# Frames further apart than these times allow (a slow link): the motion
# window holds at least this many frame intervals (MOTION_MIN_CHANGES and
# room for jitter), and rest and refresh wait at least that many.
PACE_WINDOW_FRAMES = 6
PACE_REST_FRAMES = 3
# Clock readings are floats: a deadline reached to within this counts as reached.
EPSILON_SECONDS = 1e-6


@dataclass(slots=True)
class VideoRegion:
    """A part of the screen in sustained motion, in tile units (``col``, ``row`` inclusive)."""

    col0: int
    row0: int
    col1: int
    row1: int
    last_change: float

    def contains(self, other: VideoRegion) -> bool:
        return (self.col0 <= other.col0 and self.row0 <= other.row0
                and other.col1 <= self.col1 and other.row1 <= self.row1)

    def overlaps(self, other: VideoRegion) -> bool:
        return not (other.col0 > self.col1 or other.col1 < self.col0
                    or other.row0 > self.row1 or other.row1 < self.row0)

    def union(self, other: VideoRegion) -> VideoRegion:
        return VideoRegion(min(self.col0, other.col0), min(self.row0, other.row0),
                           max(self.col1, other.col1), max(self.row1, other.row1),
                           max(self.last_change, other.last_change))

    def tile_slices(self) -> tuple[slice, slice]:
        return slice(self.row0, self.row1 + 1), slice(self.col0, self.col1 + 1)

    def pixel_rect(self, width: int, height: int) -> Rect | None:
        """The region in pixels, clipped to the screen, with an even size (None if empty)."""
        x, y = self.col0 * TILE, self.row0 * TILE
        right = min(width, (self.col1 + 1) * TILE)
        bottom = min(height, (self.row1 + 1) * TILE)
        w, h = (right - x) & ~1, (bottom - y) & ~1
        if w <= 0 or h <= 0:
            return None
        return Rect(x, y, w, h)


class MotionDetector:
    """Finds the parts of the screen in sustained motion, from each frame's dirty tiles.

    Args:
        history: how many frames each tile's changes are remembered for.
        window_seconds: and for how long at most.
        min_changes: changes within ``history`` that make a tile hot.
        min_area: the smallest group of hot tiles, in pixels, that is video.
        rest_seconds: how long a region stays video after its last change.
        max_regions: at most this many video regions at once.
    """

    def __init__(
        self,
        *,
        history: int = MOTION_HISTORY,
        window_seconds: float = MOTION_WINDOW_SECONDS,
        min_changes: int = MOTION_MIN_CHANGES,
        min_area: int = MIN_VIDEO_AREA,
        rest_seconds: float = REST_SECONDS,
        max_regions: int = MAX_VIDEO_REGIONS,
    ) -> None:
        self.history = history
        self.window_seconds = window_seconds
        self.min_changes = min_changes
        self.min_area = min_area
        self.rest_seconds = rest_seconds
        self.max_regions = max_regions
        self.regions: list[VideoRegion] = []
        # The shortest time between frames now (``observe`` is told).
        self.pace = 0.0
        # Each remembered frame's changed tiles, with its time.
        self._past: collections.deque[tuple[float, TileMap]] = collections.deque()
        self._counts: npt.NDArray[np.int32] | None = None

    def reset(self) -> None:
        """Forgets every region and all history (the screen changed size)."""
        self.regions = []
        self._past.clear()
        self._counts = None

    @property
    def rest_after(self) -> float:
        """How long a region stays video after its last change, at the current pace."""
        return max(self.rest_seconds, PACE_REST_FRAMES * self.pace)

    def active(self, now: float) -> list[VideoRegion]:
        """The regions that have not rested yet at ``now``."""
        rest = self.rest_after
        return [r for r in self.regions if now - r.last_change < rest - EPSILON_SECONDS]

    def observe(
        self, tiles: TileMap, now: float,
        moving: Callable[[int, int, int, int], bool] | None = None,
        pace: float = 0.0,
    ) -> list[VideoRegion]:
        """Takes one frame's dirty tiles; returns the video regions after it.

        Args:
            tiles: the ``(rows, cols)`` map of tiles that changed in this frame.
            now: the frame's time in seconds.
            moving: asked, with a group's tile box (col0, row0, col1, row1),
                before the group becomes a new region: False keeps it still.
            pace: the shortest time between frames now; windows stretch to it.
        """
        if self._counts is None or self._counts.shape != tiles.shape:
            self.reset()
            self._counts = np.zeros(tiles.shape, np.int32)
        self.pace = pace
        window = max(self.window_seconds, PACE_WINDOW_FRAMES * pace)
        while self._past and (len(self._past) >= self.history
                              or now - self._past[0][0] > window + EPSILON_SECONDS):
            self._counts -= self._past.popleft()[1]
        self._past.append((now, tiles.copy()))
        self._counts += tiles
        # Regions that saw a change now stay alive; the others may end.
        for region in self.regions:
            if tiles[region.tile_slices()].any():
                region.last_change = now
        self.regions = self.active(now)
        hot = self._counts >= self.min_changes
        if int(hot.sum()) * TILE * TILE < self.min_area:
            return self.regions  # not enough motion anywhere: no need to group it
        for c0, r0, c1, r1, count in tile_groups(hot):
            if count * TILE * TILE < self.min_area or not tiles[r0 : r1 + 1, c0 : c1 + 1].any():
                continue  # too small, or resting: history alone does not start video
            candidate = VideoRegion(c0, r0, c1, r1, now)
            if any(region.contains(candidate) for region in self.regions):
                continue
            if moving is not None and not moving(c0, r0, c1, r1):
                continue
            self._add(candidate)
        return self.regions

    def _add(self, candidate: VideoRegion) -> None:
        merged = candidate
        kept = []
        for region in self.regions:
            if region.overlaps(merged):
                merged = merged.union(region)
            else:
                kept.append(region)
        if len(kept) >= self.max_regions:
            # Too many separate regions: the new one joins the nearest.
            merged = kept.pop().union(merged)
        self.regions = [*kept, merged]



def appearing(
    shown: Pixels, pixels: Pixels, tiles: TileMap, c0: int, r0: int, c1: int, r1: int
) -> bool:
    """Whether what changed in a group of tiles was drawn over blank rows.

    Text printed line after line into an empty window changes the same
    tiles frame after frame, like motion; but each line lands on rows
    of one colour, where motion moves over rows that held a picture.

    Args:
        shown: the picture the viewer has (before this frame).
        pixels: the new picture, of the same size.
        tiles: the tiles that changed.
        c0, r0, c1, r1: the group's tile box, inclusive.
    """
    height, width = pixels.shape[:2]
    cols = slice(c0 * TILE, min(width, (c1 + 1) * TILE))
    changed_rows = []
    for row in range(r0, r1 + 1):
        if not tiles[row, c0 : c1 + 1].any():
            continue
        band = slice(row * TILE, min(height, (row + 1) * TILE))
        old, new = pixel_words(shown[band, cols]), pixel_words(pixels[band, cols])
        changed = (old != new).any(axis=1)
        changed_rows.append(old[changed])
    if not changed_rows:
        return False
    old_rows = np.concatenate(changed_rows)
    if old_rows.shape[0] == 0:
        return False
    blank = (old_rows == old_rows[:, :1]).all(axis=1)
    return bool(blank.mean() >= APPEARING_SHARE)
