"""The video streams: one per video region, each on the box its picture fills.

A video region (``motion.py``) is sent as one stream of its encoding
(H.264, ``h264.py``, through the table of ``base.py``) when the viewer
decodes it. A stream's rectangle never changes: when the region grows,
the stream moves to its picture's box or the level's bitrate moves, it
ends and a new one starts with a keyframe.

A video seldom lies on tile boundaries, so a stream covers only the pixels
that move in its region, when that is the case (``VideoStreams._box``).

Runs in the pipeline's worker thread, for the frame encoder (``frame.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from ...protocol.encodings import Encoding
from ...protocol.frames import EncodedRect
from ..capture.base import Pixels, Rect
from ..capture.changes import changed_box, changed_outside
from ..rate import QualityController
from .base import STREAM_ENCODERS, StreamEncoder, VideoEncodeError
from .motion import MOTION_HISTORY, VideoRegion

logger = logging.getLogger("coupdemain.agent.encode.stream")

# A stream covers only the pixels that change (``VideoStreams._box``)
# when, in its first frame or in most of the last frames that changed its
# region, what changed filled at least this share of their union: a
# video's picture does, moving shapes seldom do (they change a different
# part each time), and a picture the capture caught half drawn fills part
# of it once.
BOX_FILL_SHARE = 0.9
# A stream that started on its region's whole tiles (its first frames
# filled no box: a region formed while the picture was drawn in parts)
# looks for its picture's box over this many frames, then stops looking.
BOX_SEARCH_FRAMES = 2 * MOTION_HISTORY
# ...and moves to it (a new stream, so a keyframe) only when the box spares
# at least a tenth of the tiles' pixels: moving shapes spread over a
# region fill its tiles but for a few pixels.
BOX_MOVE_SHARE = 0.9


@dataclass(slots=True)
class _Stream:
    region: VideoRegion
    rect: Rect
    bitrate: int
    encoder: StreamEncoder
    frames: int = 0
    # It left its picture's box for the whole tiles (something beside the
    # picture changed): it keeps them, rather than go back and forth.
    tiles_for_good: bool = False


@dataclass(frozen=True, slots=True)
class StreamFrame:
    """One stream's picture in a frame.

    Attributes:
        rect: the encoded picture.
        box: the part of the region it covers, and the viewer now shows (lossily).
        changed: what changed in the region, for the streams to come (None:
            nothing visible).
    """

    rect: EncodedRect
    box: Rect
    changed: Rect | None


class VideoStreams:
    """The streams of the video regions, keyed by the region's rect in pixels.

    Args:
        quality: the controller whose level sets each stream's bitrate.
        encoding: the stream encoding used (a key of ``STREAM_ENCODERS``).
    """

    def __init__(self, quality: QualityController, encoding: Encoding = Encoding.H264) -> None:
        self.quality = quality
        self.encoding = encoding
        self._new_encoder = STREAM_ENCODERS[encoding]
        self._streams: dict[Rect, _Stream] = {}
        self._next_stream_id = 1

    def __len__(self) -> int:
        return len(self._streams)

    def keep(self, rects: Iterable[Rect]) -> None:
        """Ends the streams of every region but these."""
        wanted = set(rects)
        for key in [k for k in self._streams if k not in wanted]:
            self._streams.pop(key).encoder.close()

    def encode(
        self, rect: Rect, region: VideoRegion, shown: Pixels, pixels: Pixels,
        recent: Iterable[list[Rect]],
    ) -> StreamFrame | None:
        """Encodes the next picture of the region at ``rect``; None if the encoder failed.

        Args:
            rect: the region in pixels (``VideoRegion.pixel_rect``).
            region: the region.
            shown: the picture the viewer has (before this frame).
            pixels: the new picture.
            recent: what changed in each of the last frames, as boxes, this
                frame's last (it is left out): where a new stream's video lies.
        """
        box, changed = self._box(shown, pixels, rect, self._streams.get(rect), recent)
        box_pixels = pixels[box.y : box.y + box.height, box.x : box.x + box.width]
        try:
            encoded = self._encode_stream(rect, box, region, box_pixels)
        except (VideoEncodeError, ValueError):
            logger.warning("video encoding failed; sending the region as stills",
                           exc_info=True)
            self._streams.pop(rect, None)
            return None
        return StreamFrame(encoded, box, changed)

    def _box(
        self, shown: Pixels, pixels: Pixels, rect: Rect, stream: _Stream | None,
        recent: Iterable[list[Rect]],
    ) -> tuple[Rect, Rect | None]:
        """The part of a video region's ``rect`` its stream covers, and what changed in it.

        A video seldom lies on tile boundaries: a 640x360 one spans 704x440
        pixels of tiles, a third more to convert and encode every frame, and
        x264 spends bits on the blocks across its edge. A stream covers the
        union of what changed in the region over the last frames (on even
        pixels, as yuv420p wants) when what changed in this frame, or in
        most of them, filled it (``BOX_FILL_SHARE``); else the region's
        whole tiles. A stream on whole tiles goes on looking for that box
        over its first frames (``BOX_SEARCH_FRAMES``), and moves to it once.
        While nothing outside the box changes, the tiles' other pixels need
        nothing; when something does, the stream covers the whole tiles for
        good: two new streams at most.

        The second rect returned is what changed, for the streams to come
        (None: nothing visible): the box while the stream keeps to it, and
        what really changed over a stream's first frames on whole tiles.
        Its whole tiles would hide the picture's box from the stream that
        follows it when the region grows, as it does while a video starts.
        """
        if stream is not None and stream.rect != rect:
            if not changed_outside(shown, pixels, rect, stream.rect):
                return stream.rect, stream.rect
            return rect, changed_box(shown, pixels, rect)
        if stream is not None and stream.frames >= BOX_SEARCH_FRAMES:
            return rect, rect
        current = changed_box(shown, pixels, rect)
        if current is None or (stream is not None and stream.tiles_for_good):
            return rect, current
        box = _picture_box(rect, current, recent)
        if box is None or (stream is not None and box.area > BOX_MOVE_SHARE * rect.area):
            return rect, current
        return box, current

    def _encode_stream(
        self, key: Rect, rect: Rect, region: VideoRegion, pixels: Pixels
    ) -> EncodedRect:
        bitrate = self.quality.video_bitrate(rect.area)
        stream = previous = self._streams.get(key)
        if stream is not None and stream.rect != rect:
            stream.encoder.close()  # it moves to its picture's box, or to the whole tiles
            stream = None
        if stream is not None and not 0.75 <= stream.bitrate / bitrate <= 1.33:
            # The level moved: a new stream at the new bitrate (libx264
            # cannot change its VBV through PyAV).
            stream.encoder.close()
            stream = None
        if stream is None:
            stream_id = self._next_stream_id
            self._next_stream_id = self._next_stream_id % 0xFFFF + 1
            encoder = self._new_encoder(stream_id, rect.width, rect.height, bitrate=bitrate,
                                        fps=self.quality.quality.fps)
            # On the whole tiles after its box, now or at an earlier restart.
            for_good = previous is not None and rect == key and (
                previous.tiles_for_good or previous.rect != rect)
            stream = _Stream(region, rect, bitrate, encoder, tiles_for_good=for_good)
            self._streams[key] = stream
            logger.info("video stream %d: %dx%d at %d,%d, %d kbit/s", stream_id,
                        rect.width, rect.height, rect.x, rect.y, bitrate // 1000)
        payload = stream.encoder.encode(pixels)
        stream.frames += 1
        return EncodedRect(rect.x, rect.y, rect.width, rect.height, self.encoding, payload)

    def close(self) -> None:
        """Ends every stream."""
        for stream in self._streams.values():
            stream.encoder.close()
        self._streams.clear()


def _picture_box(rect: Rect, current: Rect, recent: Iterable[list[Rect]]) -> Rect | None:
    """The box in ``rect`` of the recent changes, if they fill it; on even pixels."""
    before = [_union(_intersection(box, rect) for box in boxes)
              for boxes in list(recent)[:-1]]
    changed = [box for box in before if box is not None] + [current]
    union = _union(changed)
    assert union is not None

    def fills(box: Rect) -> bool:
        return box.area >= BOX_FILL_SHARE * union.area

    # Either this frame fills the union (the frames before it were caught
    # half drawn), or most of the recent ones do (this one was).
    if not fills(current) and sum(map(fills, changed)) * 2 <= len(changed):
        return None
    left, top = union.x & ~1, union.y & ~1
    right = min(rect.x + rect.width, (union.x + union.width + 1) & ~1)
    bottom = min(rect.y + rect.height, (union.y + union.height + 1) & ~1)
    return Rect(left, top, right - left, bottom - top)


def _intersection(a: Rect, b: Rect) -> Rect | None:
    left, top = max(a.x, b.x), max(a.y, b.y)
    right, bottom = min(a.x + a.width, b.x + b.width), min(a.y + a.height, b.y + b.height)
    return Rect(left, top, right - left, bottom - top) if right > left and bottom > top else None


def _union(rects: Iterable[Rect | None]) -> Rect | None:
    """The smallest rect holding every one of ``rects`` (None: there was none)."""
    boxes = [r for r in rects if r is not None]
    if not boxes:
        return None
    left, top = min(r.x for r in boxes), min(r.y for r in boxes)
    right = max(r.x + r.width for r in boxes)
    bottom = max(r.y + r.height for r in boxes)
    return Rect(left, top, right - left, bottom - top)
