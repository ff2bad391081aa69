"""The frame encoder: which encoding each changed part of the screen gets.

Four rules sit on top of the per-rect choice of ``choose.py`` (SOLID, PNG,
JPEG):

- **A scroll becomes a copy.** Each group of changed tiles at least
  ``scroll.MIN_SCROLL_ROWS`` tall and ``MIN_SCROLL_TILES`` wide is
  searched for a vertical shift of what the viewer already has
  (``scroll.py``). A band that moved travels as one COPY rect
  (``copy.py``), when the viewer paints COPY; only what still
  differs after the move (the lines that scrolled into view) goes on
  through the rules below, so a scrolling terminal never becomes video.
- **Motion becomes video.** A connected group of tiles in sustained
  motion becomes a *video region* (``motion.py``), sent as one H.264
  stream (``stream.py``, ``h264.py``) when the viewer decodes H.264 (the
  stream covers only the pixels that move in it, when that is the case);
  otherwise its dirty tiles go as stills (JPEG for video-like content).
  A region only grows (a new stream, with a keyframe); it ends once none
  of its tiles changed for ``motion.REST_SECONDS``.
- **Rest becomes lossless.** Every tile last sent lossily (JPEG, H.264)
  is remembered with the time it last changed. Once it has not changed for
  ``REFRESH_AFTER_SECONDS`` and lies in no video region, it is sent again
  as SOLID or PNG: the viewer's picture is pixel-exact within about half a
  second of the last change.
- **Input is answered first.** In a frame that answers a key, a click or
  a wheel turn, changes outside the video regions go alone and the
  video's change follows with the next frame (``encode``'s
  ``input_first``).

The quality (JPEG quality, video bits) follows the level of the rate
controller (``agent/rate.py``). On a slow link frames come further apart
(``QualityController.frame_interval``): the refresh delay stretches to
hold as many frames (``motion.PACE_REST_FRAMES``), as motion's windows do.

The encoder keeps the one model of the viewer's picture (``shown``): what
the viewer has once it paints every frame sent so far, lossy rects as
their exact pixels, copies applied. Scrolls are searched in it, still
rects cropped against it, streams boxed against it.

Everything here takes the time as an argument (``now``), so that tests
drive it with a fake clock; ``FrameEncoder`` runs in the pipeline's worker
thread.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from ...protocol.encodings import BASELINE, LOSSLESS, Encoding
from ...protocol.frames import EncodedRect
from ..capture.base import Pixels, Rect
from ..capture.changes import changed_box, dirty_tiles
from ..rate import QualityController
from ..tiles import TILE, TileMap, merge_tiles, tile_groups
from .choose import RectEncoder
from .copy import copy_rect
from .motion import (
    EPSILON_SECONDS,
    MOTION_HISTORY,
    PACE_REST_FRAMES,
    MotionDetector,
    VideoRegion,
    appearing,
)
from .scroll import MIN_SCROLL_ROWS, find_scroll
from .stream import VideoStreams

logger = logging.getLogger("coupdemain.agent.encode.frame")

REFRESH_AFTER_SECONDS = 0.4
# A group of changed tiles one tile wide (a clock, a counter, a narrow
# list) is not searched for a scroll: a copy would spare at most 64
# pixels a row, and the search ran on every frame of a ticking counter.
MIN_SCROLL_TILES = 2
# At most this many tiles are refreshed per frame (a 640x360 photo is 60):
# a photograph's PNG is large, and one huge frame would hold back the
# frames behind it on a slow link. The rest goes with the next frames.
MAX_REFRESH_TILES = 32


class FrameEncoder:
    """Encodes each frame's changed tiles with the policy above.

    Runs in the pipeline's worker thread; ``quality`` is read from there and
    updated from the event loop (single attribute reads and writes).

    Args:
        quality: the controller whose level this encoder follows.
    """

    def __init__(self, quality: QualityController | None = None) -> None:
        self.quality = quality or QualityController()
        self.rects = RectEncoder()
        self.motion = MotionDetector()
        self.encodings: frozenset[Encoding] = BASELINE
        self.streams = VideoStreams(self.quality)
        self._lossy: TileMap | None = None
        self._changed_at: npt.NDArray[np.float64] | None = None
        # The picture as the viewer has it once it paints what was sent.
        self._shown: Pixels | None = None
        # What changed in each of the last frames, as boxes (the crops of
        # still rects, the streams' boxes or what changed in their tiles):
        # where a new stream's video lies.
        self._changed_boxes: collections.deque[list[Rect]] = collections.deque(
            maxlen=MOTION_HISTORY)
        # Video tiles whose change waits for the next frame: the frame that
        # answered an input went without them (``encode``'s ``input_first``).
        self._held_video: TileMap | None = None
        # Whether the last frame answered an input: it had changes outside video.
        self.answered_input = False

    # --- settings (any thread) ---

    def set_encodings(self, ids: Iterable[int]) -> frozenset[Encoding]:
        """Uses only the encodings the viewer paints (the baseline ones always).

        Unknown ids are ignored: a newer viewer may know more encodings.
        """
        known = set()
        for value in ids:
            try:
                known.add(Encoding(value))
            except (ValueError, TypeError):
                continue
        self.encodings = frozenset(known) | BASELINE
        return self.encodings

    @property
    def video(self) -> bool:
        return self.streams.encoding in self.encodings

    # --- encoding (worker thread) ---

    def refresh_due(self, now: float) -> bool:
        """Whether a lossy part of the picture is due for its lossless refresh,
        or a video's change waits to be sent."""
        if self._held_video is not None:
            return True
        return bool(self._refresh_tiles(None, now).any()) if self._lossy is not None else False

    def seconds_until_due(self, now: float) -> float | None:
        """How long until the next lossless refresh is due (None: the picture is exact).

        A lossy tile is due ``REFRESH_AFTER_SECONDS`` after its last change,
        and not before the video region holding it has rested. A video's
        change held back from the last frame is due at once.
        """
        if self._held_video is not None:
            return 0.0
        if self._lossy is None or self._changed_at is None or not self._lossy.any():
            return None
        due = self._changed_at + self._refresh_after()
        for region in self.motion.active(now):
            rows, cols = region.tile_slices()
            due[rows, cols] = np.maximum(due[rows, cols],
                                         region.last_change + self.motion.rest_after)
        return max(0.0, float(due[self._lossy].min()) - now)

    def encode(
        self, pixels: Pixels, tiles: TileMap, now: float, *, keyframe: bool = False,
        input_first: bool = False,
    ) -> list[EncodedRect]:
        """Encodes the dirty ``tiles`` of ``pixels``, and what is due for a refresh.

        Args:
            pixels: the whole picture, ``(height, width, 4)`` BGRA.
            tiles: the tiles that changed since the last frame (all of them
                for a keyframe).
            now: the frame's time in seconds.
            keyframe: the viewer repaints everything; video streams start over.
            input_first: input was injected and not answered yet. If something
                changed outside the video regions (the key's echo, a click's
                effect), the frame carries that alone and the video's change
                goes with the next frame: on a slow link the video's picture
                would hold the answer back by its own size (``answered_input``
                tells whether it was so).

        Returns:
            The frame's rects, in painting order; empty when nothing is to be sent.
        """
        height, width = pixels.shape[:2]
        if self._lossy is None or self._lossy.shape != tiles.shape:
            self._lossy = np.zeros(tiles.shape, np.bool_)
            self._changed_at = np.zeros(tiles.shape, np.float64)
            self._held_video = None
            self.streams.close()
            self.motion.reset()
        if self._held_video is not None:
            tiles = tiles | self._held_video
            self._held_video = None
        assert self._changed_at is not None
        crop = not keyframe and self._shown is not None and self._shown.shape == pixels.shape
        if not crop:
            self._shown = pixels.copy()
            self._changed_boxes.clear()
        self._changed_boxes.append([])
        self._changed_at[tiles] = now
        self.rects.jpeg_quality = self.quality.quality.jpeg_quality
        out: list[EncodedRect] = []
        moving = tiles
        if crop and Encoding.COPY in self.encodings:
            # First in the frame: the viewer moves what it has, then the
            # rects below paint over the moved picture.
            tiles = tiles.copy()
            scrolled = self._encode_scrolls(pixels, tiles, width, height, now, out)
            # The lines that scroll into view change every frame, yet they
            # are text: they stay out of motion, so never become video.
            moving = tiles & ~scrolled
        shown = self._shown
        assert shown is not None and shown.shape == pixels.shape
        regions = self.motion.observe(
            np.zeros_like(tiles) if keyframe else moving, now,
            lambda c0, r0, c1, r1: not appearing(shown, pixels, moving, c0, r0, c1, r1),
            pace=self.quality.frame_interval(),
        )
        self.answered_input = False
        if input_first and not keyframe:
            tiles = self._hold_video(tiles, regions)
        still = tiles.copy()
        if keyframe or not self.video:
            # A viewer without H.264 gets the dirty tiles of a video region
            # like any others (JPEG for video-like content), and no refresh
            # until the region rests.
            self.streams.close()
        else:
            out.extend(self._encode_video(pixels, tiles, regions, still, width, height, now))
        refresh = self._refresh_tiles(tiles, now)
        if int(refresh.sum()) > MAX_REFRESH_TILES:
            # The first tiles in reading order now, the others next frame.
            flat = refresh.reshape(-1)
            flat[np.flatnonzero(flat)[MAX_REFRESH_TILES:]] = False
        for rect in merge_tiles(still, width, height):
            encoded = self._encode_still(pixels, rect, lossless=False, crop=crop)
            if encoded is not None:
                out.append(encoded)
        for rect in merge_tiles(refresh, width, height):
            encoded = self._encode_still(pixels, rect, lossless=True)
            assert encoded is not None
            out.append(encoded)
        return out

    def _hold_video(self, tiles: TileMap, regions: list[VideoRegion]) -> TileMap:
        """The tiles to send in a frame that answers input: all, or none in video."""
        in_video = np.zeros_like(tiles)
        for region in regions:
            in_video[region.tile_slices()] = True
        self.answered_input = bool((tiles & ~in_video).any())
        held = tiles & in_video
        if not self.answered_input or not held.any():
            return tiles
        self._held_video = held
        return tiles & ~in_video

    def _encode_scrolls(
        self, pixels: Pixels, tiles: TileMap, width: int, height: int, now: float,
        out: list[EncodedRect],
    ) -> TileMap:
        """Appends to ``out`` a COPY rect for each changed area that scrolled.

        Clears from ``tiles`` what the moved picture already shows; returns
        the tiles of the areas that scrolled. Areas inside a video region
        are not searched: its stream sends the whole region anyway.
        """
        assert self._shown is not None and self._lossy is not None
        scrolled = np.zeros_like(tiles)
        video = self.motion.active(now) if self.video else []
        for c0, r0, c1, r1, _ in tile_groups(tiles):
            if any(region.contains(VideoRegion(c0, r0, c1, r1, now)) for region in video):
                continue
            x, y = c0 * TILE, r0 * TILE
            area = Rect(x, y, min(width, (c1 + 1) * TILE) - x, min(height, (r1 + 1) * TILE) - y)
            if area.height < MIN_SCROLL_ROWS or c1 - c0 + 1 < MIN_SCROLL_TILES:
                continue
            scroll = find_scroll(self._shown, pixels, area)
            if scroll is None:
                continue
            dest, (sx, sy) = scroll.dest, scroll.source
            out.append(copy_rect(dest, (sx, sy)))
            # The viewer's picture moves: so does this model of it. The copy
            # is as exact as its source.
            moved = self._shown[sy : sy + dest.height, sx : sx + dest.width].copy()
            self._shown[dest.y : dest.y + dest.height, dest.x : dest.x + dest.width] = moved
            if self._lossy[sy // TILE : (sy + dest.height - 1) // TILE + 1, c0 : c1 + 1].any():
                self._mark(dest, lossy=True)
            # What is left to send there: where the moved picture still differs.
            cells = (slice(area.y, area.y + area.height), slice(area.x, area.x + area.width))
            tiles[r0 : r1 + 1, c0 : c1 + 1] &= dirty_tiles(self._shown[cells], pixels[cells])
            scrolled[r0 : r1 + 1, c0 : c1 + 1] = True
        return scrolled

    def _refresh_tiles(self, tiles: TileMap | None, now: float) -> TileMap:
        """Lossy tiles that rested long enough and lie in no video region."""
        assert self._lossy is not None and self._changed_at is not None
        due = self._lossy & (now - self._changed_at >= self._refresh_after() - EPSILON_SECONDS)
        if tiles is not None:
            due &= ~tiles
        for region in self.motion.active(now):
            due[region.tile_slices()] = False
        return due

    def _refresh_after(self) -> float:
        """How long a lossy tile rests before its lossless refresh, at the current pace."""
        return max(REFRESH_AFTER_SECONDS, PACE_REST_FRAMES * self.motion.pace)

    def _mark(self, rect: Rect, lossy: bool) -> None:
        """Remembers whether the tiles under ``rect`` now hold exact pixels.

        Still rects cover whole tiles (``merge_tiles``), so a lossless one
        makes every tile it touches exact; a lossy one spoils them all.
        """
        assert self._lossy is not None
        r0, c0 = rect.y // TILE, rect.x // TILE
        r1 = (rect.y + rect.height + TILE - 1) // TILE
        c1 = (rect.x + rect.width + TILE - 1) // TILE
        self._lossy[r0:r1, c0:c1] = lossy

    def _encode_still(
        self, pixels: Pixels, rect: Rect, *, lossless: bool, crop: bool = False
    ) -> EncodedRect | None:
        """Encodes one still rect, cropped to what changed when ``crop``.

        Whatever its size: finding the box costs a tenth of encoding the
        pixels it leaves out (0.08 ms for 832x128). A typed glyph is 8x13
        pixels of its 64x64 tile; the lines a terminal scrolls into view
        straddle two rows of tiles, and went as both whole rows, seven
        times the bytes, when only small rects were cropped.

        Returns None when no pixel of the rect changed (only the meaningless
        alpha byte did).
        """
        target = rect
        if crop:
            assert self._shown is not None
            box = changed_box(self._shown, pixels, rect)
            if box is None:
                return None
            target = box
            self._changed_boxes[-1].append(box)
        encoded = self.rects.encode_rect(pixels, target, lossless=lossless)
        if encoded.encoding not in LOSSLESS:
            self._mark(target, lossy=True)
        elif target == rect:
            self._mark(rect, lossy=False)
        # A lossless crop leaves the rest of its tiles as they were: exact or not.
        self._show(pixels, rect)
        return encoded

    def _show(self, pixels: Pixels, rect: Rect) -> None:
        """Remembers that the viewer now has ``rect`` of ``pixels`` (closely, if lossy)."""
        if self._shown is not None and self._shown.shape == pixels.shape:
            area = (slice(rect.y, rect.y + rect.height), slice(rect.x, rect.x + rect.width))
            self._shown[area] = pixels[area]

    def _encode_video(
        self,
        pixels: Pixels,
        tiles: TileMap,
        regions: list[VideoRegion],
        still: TileMap,
        width: int,
        height: int,
        now: float,
    ) -> list[EncodedRect]:
        """Encodes the video regions that changed; clears their tiles from ``still``."""
        assert self._shown is not None
        wanted: dict[Rect, VideoRegion] = {}
        for region in regions:
            rect = region.pixel_rect(width, height)
            if rect is not None:
                wanted[rect] = region
        self.streams.keep(wanted)
        out: list[EncodedRect] = []
        for rect, region in wanted.items():
            r0, c0 = rect.y // TILE, rect.x // TILE
            r1, c1 = (rect.y + rect.height) // TILE, (rect.x + rect.width) // TILE
            if not tiles[region.tile_slices()].any():
                continue  # nothing moved in it this frame
            frame = self.streams.encode(rect, region, self._shown, pixels, self._changed_boxes)
            if frame is None:
                continue  # its encoder failed: the region goes as stills
            out.append(frame.rect)
            self._mark(frame.box, lossy=True)
            self._show(pixels, frame.box)
            if frame.changed is not None:
                self._changed_boxes[-1].append(frame.changed)
            # Whole tiles the region covers leave the still path: what lies
            # outside the stream's box did not change (``VideoStreams._box``).
            # A partly covered edge tile (odd screen sizes) stays in it.
            if rect.y + rect.height == height:
                r1 = (height + TILE - 1) // TILE
            if rect.x + rect.width == width:
                c1 = (width + TILE - 1) // TILE
            still[r0:r1, c0:c1] = False
        return out

    def close(self) -> None:
        """Ends every video stream."""
        self.streams.close()
