"""Grabbing what the damage touched: only those tiles, into the last picture, then diffed.

Damage (``damage.py``) says where the screen may have changed, in display
coordinates. Its tiles are grabbed into the picture last grabbed, and
diffed there (``changes.dirty_tiles``), so a redraw of the same pixels
costs nothing. Much damage, or a grab that fails (the screen was
resized), is left to one whole grab and diff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np

from ..tiles import TILE, TileMap, merge_tiles, tile_groups
from .base import Pixels, Rect, ScreenSource
from .changes import damage_tiles, dirty_tiles

logger = logging.getLogger("coupdemain.agent.capture.grab")

# Damage over more than this share of the tiles: one whole grab and diff
# (4 + 3 ms at 1080p) beats many small grabs.
FULL_GRAB_SHARE = 0.5
# A group of damaged tiles that fills at least this share of its bounding
# box is grabbed as that one box: each grab costs about 0.05 ms of round
# trip and copying on its own, so eight bands of a moving area cost 0.4 ms
# where the one box costs 0.1 ms.
ONE_BOX_SHARE = 0.5


def grab_areas(touched: TileMap, width: int, height: int) -> list[Rect]:
    """The rectangles to grab for the ``touched`` tiles.

    Each group of touched tiles that fills its bounding box well enough is
    grabbed as that box; the tiles of the other groups go in bands. A
    moving picture and a counter far from it are two boxes, not the bands
    of the area between them.
    """
    scattered = np.zeros_like(touched)
    areas: list[Rect] = []
    for c0, r0, c1, r1, count in tile_groups(touched):
        if count >= ONE_BOX_SHARE * (r1 - r0 + 1) * (c1 - c0 + 1):
            x, y = c0 * TILE, r0 * TILE
            areas.append(
                Rect(x, y, min(width, (c1 + 1) * TILE) - x, min(height, (r1 + 1) * TILE) - y)
            )
        else:
            scattered[r0 : r1 + 1, c0 : c1 + 1] |= touched[r0 : r1 + 1, c0 : c1 + 1]
    if scattered.any():
        areas.extend(merge_tiles(scattered, width, height))
    return areas


def grab_damage(
    source: ScreenSource, damage: Iterable[Rect], picture: Pixels, origin: tuple[int, int]
) -> TileMap | None:
    """Grabs the tiles the damage touches into ``picture``; returns those that changed.

    Args:
        source: the screen to grab from.
        damage: the rectangles drawn, in display coordinates.
        picture: the picture last grabbed, updated in place.
        origin: where ``picture``'s top-left corner lies in display coordinates.

    Returns:
        The tiles that changed; None when a whole grab is the better way:
        much of the screen is damaged, or an area could not be grabbed (a
        resize). ``picture`` is then left as it was.
    """
    height, width = picture.shape[:2]
    ox, oy = origin
    touched = damage_tiles(
        (Rect(r.x - ox, r.y - oy, r.width, r.height) for r in damage), width, height
    )
    if touched.sum() > touched.size * FULL_GRAB_SHARE:
        return None
    parts: list[tuple[Rect, Pixels]] = []
    for area in grab_areas(touched, width, height):
        try:
            part = source.capture_area(Rect(area.x + ox, area.y + oy, area.width, area.height))
        except Exception:  # noqa: BLE001 - e.g. the screen shrank: grab it all
            logger.debug("grabbing %s failed; grabbing the whole screen", area, exc_info=True)
            return None
        if part.shape != (area.height, area.width, 4):
            return None
        parts.append((area, part))
    # Only once every grab worked: the picture must not be half updated.
    changed = np.zeros_like(touched)
    for area, part in parts:
        before = picture[area.y : area.y + area.height, area.x : area.x + area.width]
        row, col = area.y // TILE, area.x // TILE
        dirty = dirty_tiles(before, part, drawn=True)
        changed[row : row + dirty.shape[0], col : col + dirty.shape[1]] |= dirty
        before[...] = part
    return changed
