"""The binary messages of the coupdemain wire protocol, version 1: frames and the pointer.

A binary WebSocket message starts with a kind byte (``binary_kind``): a
frame update (``FrameUpdate``, the rectangles that changed) or the pointer's
shape or position. The agent writes them; the server relays them without
reading them; the viewer reads them (web/viewer/protocol.js). The control
messages, JSON text frames, are in ``messages.py``.

Readers refuse at the edge with a ``MalformedMessage`` (or
``MessageTooLarge``) that says what was wrong; they never hand on half a
message.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .encodings import Encoding
from .errors import MalformedMessage, MessageTooLarge

MAX_FRAME_MESSAGE_BYTES = 32 * 1024 * 1024


# --- binary frame updates ----------------------------------------------------

FRAME_KIND_UPDATE = 1
_FRAME_HEADER = struct.Struct(">BBIH")    # kind, flags, frame_id, rect count
_RECT_HEADER = struct.Struct(">HHHHBI")   # x, y, width, height, encoding, payload length
FRAME_HEADER_BYTES = _FRAME_HEADER.size   # 8
RECT_HEADER_BYTES = _RECT_HEADER.size     # 13: what each rectangle costs beyond its payload
FLAG_KEYFRAME = 0x01


@dataclass(frozen=True, slots=True)
class EncodedRect:
    """One rectangle of the screen, encoded."""

    x: int
    y: int
    width: int
    height: int
    encoding: Encoding
    payload: bytes


@dataclass(frozen=True, slots=True)
class FrameUpdate:
    """The rectangles that changed since the previous frame, painted together."""

    frame_id: int
    rects: tuple[EncodedRect, ...]
    keyframe: bool = False


def serialize_frame(update: FrameUpdate) -> bytes:
    """Writes a frame update as one binary WebSocket message."""
    parts = [
        _FRAME_HEADER.pack(
            FRAME_KIND_UPDATE,
            FLAG_KEYFRAME if update.keyframe else 0,
            update.frame_id & 0xFFFFFFFF,
            len(update.rects),
        )
    ]
    for rect in update.rects:
        parts.append(
            _RECT_HEADER.pack(
                rect.x, rect.y, rect.width, rect.height, int(rect.encoding), len(rect.payload)
            )
        )
        parts.append(rect.payload)
    return b"".join(parts)


def parse_frame(data: bytes) -> FrameUpdate:
    """Reads a frame update.

    Raises:
        MessageTooLarge: over ``MAX_FRAME_MESSAGE_BYTES``.
        MalformedMessage: truncated, an unknown kind, or an unknown encoding.
    """
    if len(data) > MAX_FRAME_MESSAGE_BYTES:
        raise MessageTooLarge(f"frame of {len(data)} bytes exceeds {MAX_FRAME_MESSAGE_BYTES}")
    if len(data) < _FRAME_HEADER.size:
        raise MalformedMessage("frame update is truncated")
    kind, flags, frame_id, count = _FRAME_HEADER.unpack_from(data, 0)
    if kind != FRAME_KIND_UPDATE:
        raise MalformedMessage(f"binary message kind {kind} is not supported")
    offset = _FRAME_HEADER.size
    rects: list[EncodedRect] = []
    for _ in range(count):
        if offset + _RECT_HEADER.size > len(data):
            raise MalformedMessage("frame update is truncated")
        x, y, w, h, enc, length = _RECT_HEADER.unpack_from(data, offset)
        offset += _RECT_HEADER.size
        if offset + length > len(data):
            raise MalformedMessage("frame update is truncated")
        try:
            encoding = Encoding(enc)
        except ValueError:
            raise MalformedMessage(f"encoding {enc} is not supported") from None
        rects.append(EncodedRect(x, y, w, h, encoding, bytes(data[offset : offset + length])))
        offset += length
    if offset != len(data):
        raise MalformedMessage("frame update has trailing bytes")
    return FrameUpdate(frame_id, tuple(rects), bool(flags & FLAG_KEYFRAME))


# --- binary cursor messages --------------------------------------------------
#
# The pointer travels apart from the picture (the capture never contains it):
# its shape when it changes, its position when it moves. Both are binary
# messages from the agent that the relay copies like frames; neither needs
# an acknowledgement. A viewer that (re)joins asks for a keyframe, and the
# agent sends the current shape and position again before it.

FRAME_KIND_CURSOR_SHAPE = 2
FRAME_KIND_CURSOR_POSITION = 3
# kind, flags, shape serial, width, height, hotspot x, hotspot y; then the PNG.
_CURSOR_SHAPE_HEADER = struct.Struct(">BBIHHHH")
# kind, flags, x, y (signed: the pointer may lie left of or above a shared monitor).
_CURSOR_POSITION = struct.Struct(">BBhh")
CURSOR_SHAPE_HEADER_BYTES = _CURSOR_SHAPE_HEADER.size   # 14
CURSOR_POSITION_BYTES = _CURSOR_POSITION.size           # 6
MAX_CURSOR_SIDE = 256


@dataclass(frozen=True, slots=True)
class CursorShape:
    """What the pointer looks like: a PNG with alpha, and its hotspot.

    ``serial`` numbers the shape (the X server's cursor serial); a
    ``width`` and ``height`` of 0 with no image means the pointer is hidden.
    """

    serial: int
    width: int
    height: int
    hot_x: int
    hot_y: int
    png: bytes = b""


@dataclass(frozen=True, slots=True)
class CursorPosition:
    """Where the pointer's hotspot is, in the shared picture's pixels."""

    x: int
    y: int


def serialize_cursor_shape(shape: CursorShape) -> bytes:
    """Writes a cursor shape as one binary WebSocket message."""
    return _CURSOR_SHAPE_HEADER.pack(
        FRAME_KIND_CURSOR_SHAPE, 0, shape.serial & 0xFFFFFFFF, shape.width, shape.height,
        shape.hot_x, shape.hot_y,
    ) + shape.png


def serialize_cursor_position(position: CursorPosition) -> bytes:
    """Writes a cursor position as one binary WebSocket message (6 bytes)."""
    x, y = (max(-32768, min(32767, v)) for v in (position.x, position.y))  # X's 16 bits
    return _CURSOR_POSITION.pack(FRAME_KIND_CURSOR_POSITION, 0, x, y)


def parse_cursor(data: bytes) -> CursorShape | CursorPosition:
    """Reads a cursor shape or position.

    Raises:
        MalformedMessage: truncated, oversized, a hotspot outside the shape,
            trailing bytes after a position, or not a cursor message.
    """
    if not data:
        raise MalformedMessage("cursor message is empty")
    kind = data[0]
    if kind == FRAME_KIND_CURSOR_POSITION:
        if len(data) != _CURSOR_POSITION.size:
            raise MalformedMessage(f"cursor position has {len(data)} bytes, not 6")
        _, _, x, y = _CURSOR_POSITION.unpack(data)
        return CursorPosition(x, y)
    if kind != FRAME_KIND_CURSOR_SHAPE:
        raise MalformedMessage(f"binary message kind {kind} is not a cursor")
    if len(data) < _CURSOR_SHAPE_HEADER.size:
        raise MalformedMessage("cursor shape is truncated")
    _, _, serial, width, height, hot_x, hot_y = _CURSOR_SHAPE_HEADER.unpack_from(data, 0)
    png = bytes(data[_CURSOR_SHAPE_HEADER.size :])
    if width > MAX_CURSOR_SIDE or height > MAX_CURSOR_SIDE:
        raise MalformedMessage(
            f"cursor of {width}x{height} exceeds {MAX_CURSOR_SIDE}x{MAX_CURSOR_SIDE}"
        )
    if (width == 0) != (height == 0) or (width == 0 and png):
        raise MalformedMessage(f"cursor of {width}x{height} with {len(png)} bytes of image")
    if width and (hot_x >= width or hot_y >= height or not png):
        raise MalformedMessage(
            f"cursor of {width}x{height} with hotspot {hot_x},{hot_y} and {len(png)} bytes"
        )
    return CursorShape(serial, width, height, hot_x, hot_y, png)


def binary_kind(data: bytes) -> int:
    """The kind byte of a binary message (0 if empty): which parser reads it."""
    return data[0] if data else 0
