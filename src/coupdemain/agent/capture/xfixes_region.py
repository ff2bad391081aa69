"""The XFixes region requests the damage tracker needs, which python-xlib lacks.

python-xlib's ``Xlib.ext.xfixes`` has the cursor and selection requests
only. ``DamageTracker`` (``damage.py``) moves the damage the X server holds
into a region (``DamageSubtract`` with ``parts``) and reads it back in one
round trip, instead of parsing one event per rectangle drawn; for that it
needs CreateRegion, DestroyRegion and FetchRegion (XFixes 2.0, minor
opcodes 5, 10 and 19). They are defined here with python-xlib's own ``rq``
request framework, as ``Xlib/ext/xfixes.py`` defines its requests, and sent
on whichever connection is passed in.

Import this module only where python-xlib is installed (Linux).
"""

from __future__ import annotations

import struct
from typing import Any

from Xlib.protocol import rq, structs  # type: ignore[import-untyped]

EXTENSION = "XFIXES"
# Regions came with XFixes 2.0; the server refuses their requests from a
# client that has not announced at least that version (QueryVersion).
REGION_MAJOR_VERSION = 2


# A rectangle on the wire: INT16 x, y, CARD16 width, height, in the byte
# order python-xlib announced when it connected (the machine's own).
_RECTANGLE = struct.Struct("=hhHH")


class _RawRectangles(rq.ValueField):  # type: ignore[misc]
    """The rest of a reply as bytes, unpacked by ``struct`` in one call.

    ``rq.List`` of ``structs.Rectangle`` builds one Python object per
    rectangle, field by field: most of a busy frame's damage handling.
    """

    structcode = None

    def parse_binary_value(self, data: Any, display: Any, length: Any, format: Any) -> Any:
        return bytes(data), b""


class CreateRegion(rq.Request):  # type: ignore[misc]
    _request = rq.Struct(
        rq.Card8("opcode"),
        rq.Opcode(5),
        rq.RequestLength(),
        rq.Card32("region"),
        rq.List("rectangles", structs.Rectangle),
    )


class DestroyRegion(rq.Request):  # type: ignore[misc]
    _request = rq.Struct(
        rq.Card8("opcode"),
        rq.Opcode(10),
        rq.RequestLength(),
        rq.Card32("region"),
    )


class FetchRegion(rq.ReplyRequest):  # type: ignore[misc]
    _request = rq.Struct(
        rq.Card8("opcode"),
        rq.Opcode(19),
        rq.RequestLength(),
        rq.Card32("region"),
    )
    # The rectangles fill the rest of the reply (its length is 2 words per
    # rectangle), so the list has no count field of its own.
    _reply = rq.Struct(
        rq.ReplyCode(),
        rq.Pad(1),
        rq.Card16("sequence_number"),
        rq.ReplyLength(),
        rq.Object("extents", structs.Rectangle),
        rq.Pad(16),
        _RawRectangles("rectangles"),
    )


def supports_regions(conn: Any) -> bool:
    """Whether ``conn``'s server has XFixes regions; announces the client's version.

    Args:
        conn: an ``Xlib.display.Display``.
    """
    if not conn.has_extension(EXTENSION):
        return False
    reply = conn.xfixes_query_version()
    return int(reply.major_version) >= REGION_MAJOR_VERSION


def create_region(conn: Any) -> int:
    """A new, empty region on ``conn``; returns its id."""
    region = int(conn.display.allocate_resource_id())
    CreateRegion(
        display=conn.display,
        opcode=conn.display.get_extension_major(EXTENSION),
        region=region,
        rectangles=[],
    )
    return region


def destroy_region(conn: Any, region: int) -> None:
    DestroyRegion(
        display=conn.display,
        opcode=conn.display.get_extension_major(EXTENSION),
        region=region,
    )
    conn.display.free_resource_id(region)


def fetch_region(conn: Any, region: int) -> list[tuple[int, int, int, int]]:
    """The region's rectangles as (x, y, width, height): one round trip.

    The server keeps regions y-x banded: the rectangles do not overlap.
    """
    reply = FetchRegion(
        display=conn.display,
        opcode=conn.display.get_extension_major(EXTENSION),
        region=region,
    )
    data = reply.rectangles
    whole = len(data) - len(data) % _RECTANGLE.size
    return list(_RECTANGLE.iter_unpack(data[:whole]))
