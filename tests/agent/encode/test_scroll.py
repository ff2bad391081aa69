"""Finding a vertical scroll between the viewer's picture and the screen."""

from __future__ import annotations

import numpy as np
import pytest

from coupdemain.agent.capture.base import Rect
from coupdemain.agent.encode.copy import copy_rect, unpack_payload
from coupdemain.agent.encode.scroll import MIN_SCROLL_ROWS, find_scroll, row_hashes
from coupdemain.protocol.encodings import Encoding
from tests.agent.images import bgra, terminal_text

AREA = Rect(64, 32, 384, 320)


def screen_with_terminal(text: np.ndarray) -> np.ndarray:
    pixels = bgra(400, 512, (240, 240, 240))
    pixels[AREA.y : AREA.y + AREA.height, AREA.x : AREA.x + AREA.width] = text
    return pixels


@pytest.mark.parametrize("shift", [13, 48, -16, -100])
def test_a_scrolled_area_is_found_with_its_shift(shift: int) -> None:
    lines = terminal_text(40, AREA.width)
    top = 100
    old = screen_with_terminal(lines[top : top + AREA.height])
    new = screen_with_terminal(lines[top + shift : top + shift + AREA.height])
    scroll = find_scroll(old, new, AREA)
    assert scroll is not None
    moved_rows = AREA.height - abs(shift)
    assert scroll.dest == Rect(AREA.x, AREA.y + max(0, -shift), AREA.width, moved_rows)
    assert scroll.source == (AREA.x, AREA.y + max(0, shift))
    sx, sy = scroll.source
    dest = scroll.dest
    assert np.array_equal(old[sy : sy + dest.height, sx : sx + dest.width],
                          new[dest.y : dest.y + dest.height, dest.x : dest.x + dest.width])


def test_content_that_did_not_move_is_no_scroll() -> None:
    lines = terminal_text(40, AREA.width)
    old = screen_with_terminal(lines[0 : AREA.height])
    assert find_scroll(old, old.copy(), AREA) is None
    other = screen_with_terminal(terminal_text(20, AREA.width, seed=9))
    assert find_scroll(old, other, AREA) is None
    blank = bgra(400, 512, (240, 240, 240))
    assert find_scroll(blank, old, AREA) is None


def test_a_band_shorter_than_the_minimum_is_not_worth_a_copy() -> None:
    lines = terminal_text(40, AREA.width)
    old = screen_with_terminal(lines[0 : AREA.height])
    new = screen_with_terminal(terminal_text(20, AREA.width, seed=9))
    # Only a few rows of the old picture reappear, moved.
    keep = MIN_SCROLL_ROWS - 4
    new[AREA.y : AREA.y + keep] = old[AREA.y + 40 : AREA.y + 40 + keep]
    assert find_scroll(old, new, AREA) is None


def test_rows_alike_in_the_hashed_columns_but_not_in_the_others_are_never_copied() -> None:
    lines = terminal_text(40, AREA.width)
    old = screen_with_terminal(lines[0 : AREA.height])
    new = screen_with_terminal(lines[16 : 16 + AREA.height])
    # A pixel the row hash skips (column 1 of every 3) differs in one moved row.
    new[AREA.y + 50, AREA.x + 1, :3] ^= 0xFF
    assert row_hashes(new[AREA.y + 50 : AREA.y + 51, AREA.x : AREA.x + AREA.width])[0] == \
        row_hashes(old[AREA.y + 66 : AREA.y + 67, AREA.x : AREA.x + AREA.width])[0]
    # The pixel check catches it: a missed copy, never a wrong picture.
    assert find_scroll(old, new, AREA) is None


def test_the_copy_payload_round_trips() -> None:
    rect = copy_rect(Rect(10, 20, 30, 40), (1000, 65535))
    assert rect.encoding is Encoding.COPY
    assert (rect.x, rect.y, rect.width, rect.height) == (10, 20, 30, 40)
    assert unpack_payload(rect.payload) == (1000, 65535)
    with pytest.raises(ValueError, match="copy rect payload must be 4 bytes, not 3"):
        unpack_payload(b"\x00\x01\x02")
