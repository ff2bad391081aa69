"""Finds a vertical scroll between the viewer's picture and the screen.

A terminal or a web page that scrolls changes every pixel of its area, yet
most of what the person sees has only moved: the viewer already has it, a
few lines higher or lower. ``find_scroll`` finds that shift, so that the
area travels as one COPY (``copy.py``: eight bytes) and only the lines that
scrolled into view are encoded, instead of the whole area as video.

The search compares one hash per row. Rows whose hash occurs once in the
old picture vote for the shift that brings them to their new place (blank
lines occur everywhere and say nothing); the winning shift's longest band
of matching rows is then checked pixel for pixel, so a hash collision can
only cost a missed copy, never a wrong picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..capture.base import Pixels, Rect

# A band shorter than this is not worth a copy: its pixels cost little anyway.
MIN_SCROLL_ROWS = 24
# Rows that must vote for a shift before it is tried.
MIN_VOTES = 8
# A row whose hash occurs more often than this in the old picture (a blank
# line) votes for nothing: it would vote for every shift.
MAX_REPEATS = 16
# Rows are hashed on every third column: a line of text still differs from
# its neighbours, at a third of the cost (3 is prime to glyph widths).
COLUMN_STEP = 3
_RGB_MASK = np.uint32(0x00FFFFFF)
# Odd 64-bit multipliers, one per word of a row; fixed so that runs agree.
_WEIGHTS = np.random.default_rng(0x5C2011).integers(
    1, 2**63, size=2048, dtype=np.uint64
) | np.uint64(1)


@dataclass(frozen=True, slots=True)
class Scroll:
    """``dest`` of the new picture is the old picture's pixels at ``source`` (top-left)."""

    dest: Rect
    source: tuple[int, int]


def row_hashes(pixels: Pixels, step: int = COLUMN_STEP) -> npt.NDArray[np.uint64]:
    """One 64-bit hash per row of a ``(height, width, 4)`` region, of every ``step``-th column.

    Alpha is left aside. Two rows with the same hash are only probably the
    same: the caller checks the pixels before it relies on it.
    """
    if pixels.strides[2] != 1:
        pixels = np.ascontiguousarray(pixels)
    # Whole pixels as words first: gathering single bytes is ten times slower.
    words = pixels.view(np.uint32)[:, ::step, 0] & _RGB_MASK
    width = words.shape[1]
    weights = _WEIGHTS[:width] if width <= _WEIGHTS.size else np.resize(_WEIGHTS, width)
    # uint64 products and sums wrap around: a hash, not a number.
    hashes: npt.NDArray[np.uint64] = (words * weights).sum(axis=1, dtype=np.uint64)
    return hashes


def find_scroll(old: Pixels, new: Pixels, area: Rect) -> Scroll | None:
    """The vertical shift of ``area``'s content from ``old`` to ``new``, if one is worth a copy.

    Args:
        old: the picture the viewer has, ``(height, width, 4)``.
        new: the picture to show, the same size.
        area: where to look (a changed part of the screen).

    Returns:
        The band of ``area`` that is ``old``'s pixels moved up or down, or
        None: no shift explains at least ``MIN_SCROLL_ROWS`` changed rows.
    """
    if area.height < MIN_SCROLL_ROWS:
        return None
    cols = slice(area.x, area.x + area.width)
    rows = slice(area.y, area.y + area.height)
    before = row_hashes(old[rows, cols])
    after = row_hashes(new[rows, cols])
    shift = _voted_shift(before, after)
    if shift is None:
        return None
    # Destination rows y whose content is the old row y + shift, inside the area.
    first = max(0, -shift)
    last = min(area.height, area.height - shift)
    same = after[first:last] == before[first + shift : last + shift]
    top, bottom = _longest_run(same)
    top, bottom = top + first, bottom + first
    if bottom - top < MIN_SCROLL_ROWS:
        return None
    if int((after[top:bottom] != before[top:bottom]).sum()) < MIN_SCROLL_ROWS // 2:
        return None  # those rows were already right where they are: nothing moved
    dest = Rect(area.x, area.y + top, area.width, bottom - top)
    moved = old[area.y + top + shift : area.y + bottom + shift, cols]
    # Alpha included: it is constant on a real screen, and a mismatch only costs a copy.
    if not np.array_equal(moved, new[dest.y : dest.y + dest.height, cols]):
        return None  # two rows shared a hash, or differ in columns the hash skipped
    return Scroll(dest, (area.x, area.y + top + shift))


def _voted_shift(before: npt.NDArray[np.uint64], after: npt.NDArray[np.uint64]) -> int | None:
    """The shift most rows agree on: new row y shows old row y + shift."""
    order = np.argsort(before, kind="stable")
    ordered = before[order]
    low = np.searchsorted(ordered, after, "left")
    repeats = np.searchsorted(ordered, after, "right") - low
    voters = (repeats > 0) & (repeats <= MAX_REPEATS)
    rows = np.flatnonzero(voters)
    counts = repeats[voters]
    if counts.sum() < MIN_VOTES:
        return None
    # Every (new row, old row with its hash) pair votes for old - new.
    starts = np.repeat(low[voters], counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    shifts = order[starts + offsets] - np.repeat(rows, counts)
    shifts = shifts[shifts != 0]
    if shifts.size < MIN_VOTES:
        return None
    candidates, votes = np.unique(shifts, return_counts=True)
    best = int(votes.argmax())
    if int(votes[best]) < MIN_VOTES:
        return None
    return int(candidates[best])


def _longest_run(flags: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """``(start, end)`` of the longest run of True in ``flags``; (0, 0) if none."""
    if flags.size == 0 or not flags.any():
        return 0, 0
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    starts, ends = edges[0::2], edges[1::2]
    longest = int((ends - starts).argmax())
    return int(starts[longest]), int(ends[longest])
