"""The binary messages: frame updates and the pointer, written and read back."""

from __future__ import annotations

import pytest

from coupdemain.protocol import frames
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.errors import MalformedMessage


def _frame() -> frames.FrameUpdate:
    return frames.FrameUpdate(
        frame_id=7,
        rects=(
            frames.EncodedRect(0, 0, 64, 64, Encoding.SOLID, b"\x10\x20\x30"),
            frames.EncodedRect(64, 0, 32, 16, Encoding.PNG, b"\x89PNG fake"),
        ),
        keyframe=True,
    )


def test_frame_round_trip() -> None:
    assert frames.parse_frame(frames.serialize_frame(_frame())) == _frame()


def test_truncated_frame_at_every_length_is_refused() -> None:
    data = frames.serialize_frame(_frame())
    for cut in range(len(data)):
        with pytest.raises(MalformedMessage):
            frames.parse_frame(data[:cut])


def test_frame_with_unknown_encoding() -> None:
    data = bytearray(frames.serialize_frame(_frame()))
    data[8 + 8] = 7  # the first rect's encoding byte
    with pytest.raises(MalformedMessage) as caught:
        frames.parse_frame(bytes(data))
    assert str(caught.value) == "encoding 7 is not supported"


# --- cursor messages ----------------------------------------------------------


def test_cursor_shape_round_trips() -> None:
    shape = frames.CursorShape(7, 16, 24, 3, 20, b"\x89PNG fake")
    data = frames.serialize_cursor_shape(shape)
    assert frames.binary_kind(data) == frames.FRAME_KIND_CURSOR_SHAPE
    assert frames.parse_cursor(data) == shape
    hidden = frames.CursorShape(8, 0, 0, 0, 0)
    assert frames.parse_cursor(frames.serialize_cursor_shape(hidden)) == hidden


def test_cursor_position_round_trips_even_off_the_picture() -> None:
    for position in (frames.CursorPosition(5, 6), frames.CursorPosition(-1920, -3)):
        data = frames.serialize_cursor_position(position)
        assert len(data) == 6 and frames.binary_kind(data) == frames.FRAME_KIND_CURSOR_POSITION
        assert frames.parse_cursor(data) == position
    far = frames.serialize_cursor_position(frames.CursorPosition(99999, 0))
    assert frames.parse_cursor(far) == frames.CursorPosition(32767, 0)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "empty"),
        (bytes([3, 0, 0, 1]), "not 6"),
        (bytes([3, 0, 0, 1, 0, 2, 9]), "not 6"),
        (bytes([2, 0, 0, 0]), "truncated"),
        (bytes([1, 0, 0, 0, 0, 1, 0, 0]), "not a cursor"),
        (frames.serialize_cursor_shape(frames.CursorShape(1, 300, 10, 0, 0, b"x")), "exceeds"),
        (frames.serialize_cursor_shape(frames.CursorShape(1, 10, 10, 10, 0, b"x")), "hotspot"),
        (frames.serialize_cursor_shape(frames.CursorShape(1, 10, 10, 1, 1)), "0 bytes"),
        (frames.serialize_cursor_shape(frames.CursorShape(1, 0, 0, 0, 0, b"x")), "image"),
        (frames.serialize_cursor_shape(frames.CursorShape(1, 0, 4, 0, 0)), "image"),
    ],
)
def test_bad_cursor_messages_are_refused_with_what_is_wrong(data: bytes, error: str) -> None:
    with pytest.raises(MalformedMessage, match=error):
        frames.parse_cursor(data)
