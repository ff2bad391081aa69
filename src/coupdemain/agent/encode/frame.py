"""Which encoding each changed part of the screen gets: the content-adaptive policy.

Four rules sit on top of the per-rect choice of ``choose.py`` (SOLID, PNG,
JPEG):

- **A scroll becomes a copy.** Each group of changed tiles at least
  ``scroll.MIN_SCROLL_ROWS`` tall and ``MIN_SCROLL_TILES`` wide is
  searched for a vertical shift of what the viewer already has
  (``scroll.py``). A band that moved travels as one COPY rect
  (``copy.py``), when the viewer paints COPY; only what still
  differs after the move (the lines that scrolled into view) goes on
  through the rules below, so a scrolling terminal never becomes video.
- **Motion becomes video.** ``MotionDetector`` remembers, per 64x64 tile,
  whether it changed in each of the last ``MOTION_HISTORY`` frames of the
  last ``MOTION_WINDOW_SECONDS``. Tiles that changed in at least
  ``MOTION_MIN_CHANGES`` of them are *hot*. A connected group of hot tiles
  covering at least ``MIN_VIDEO_AREA`` pixels, whose changed rows held a
  picture before (not text printed onto a blank window), becomes a
  *video region*: its bounding box, sent as one H.264 stream
  (``h264.py``) when the viewer decodes H.264 (the stream covers only the
  pixels that move in it, when that is the case: ``_stream_box``);
  otherwise its dirty tiles
  go as stills (JPEG for video-like content). A region only grows (a new
  stream, with a keyframe); it ends once none of its tiles changed for
  ``REST_SECONDS``.
- **Rest becomes lossless.** Every tile last sent lossily (JPEG, H.264)
  is remembered with the time it last changed. Once it has not changed for
  ``REFRESH_AFTER_SECONDS`` and lies in no video region, it is sent again
  as SOLID or PNG: the viewer's picture is pixel-exact within about half a
  second of the last change.
- **Delay lowers quality.** ``QualityController`` measures each frame's
  round trip (sent → acknowledged) and the bytes acknowledged per second,
  and moves along ``QUALITY_LEVELS`` (JPEG quality, video bits, frame
  rate); see its docstring for the rule.

The times above are for frames that come as fast as the screen changes.
On a slow link frames come further apart (``QualityController.frame_interval``):
a video sent 5 times a second is still a video, so the motion window, the
rest and the refresh delay stretch to hold as many frames
(``PACE_WINDOW_FRAMES``, ``PACE_REST_FRAMES``). Without that, a video on a
slow link never became one, and went as JPEG frames twice its size.

Everything here takes the time as an argument (``now``), so that tests
drive it with a fake clock; ``FrameEncoder`` runs in the pipeline's worker
thread, ``QualityController`` is fed from the event loop.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ...protocol.encodings import BASELINE, LOSSLESS, Encoding
from ...protocol.messages import EncodedRect
from ..capture.base import Pixels
from ..capture.changes import (
    TILE,
    Rect,
    TileMap,
    dirty_tiles,
    merge_tiles,
    pixel_words,
    tile_groups,
)
from .choose import RectEncoder
from .copy import copy_rect
from .h264 import H264Encoder, VideoEncodeError
from .scroll import MIN_SCROLL_ROWS, find_scroll

logger = logging.getLogger("coupdemain.agent.encode.frame")

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
REFRESH_AFTER_SECONDS = 0.4
# Frames further apart than these times allow (a slow link): the motion
# window holds at least this many frame intervals (MOTION_MIN_CHANGES and
# room for jitter), and rest and refresh wait at least that many.
PACE_WINDOW_FRAMES = 6
PACE_REST_FRAMES = 3
# A group of changed tiles one tile wide (a clock, a counter, a narrow
# list) is not searched for a scroll: a copy would spare at most 64
# pixels a row, and the search ran on every frame of a ticking counter.
MIN_SCROLL_TILES = 2
# At most this many tiles are refreshed per frame (a 640x360 photo is 60):
# a photograph's PNG is large, and one huge frame would hold back the
# frames behind it on a slow link. The rest goes with the next frames.
MAX_REFRESH_TILES = 32
# A stream covers only the pixels that change (``FrameEncoder._stream_box``)
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
# Clock readings are floats: a deadline reached to within this counts as reached.
EPSILON_SECONDS = 1e-6
# Bytes each rect costs on the wire besides its payload (protocol.messages).
RECT_OVERHEAD_BYTES = 13


# --- adaptive quality ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quality:
    """One step of the quality ladder.

    Attributes:
        jpeg_quality: the JPEG quality, 1 to 100.
        video_bits: the H.264 bitrate cap per pixel of the region and per second.
        fps: the highest frame rate.
    """

    jpeg_quality: int
    video_bits: float
    fps: float


# A 640x360 video streams its 230,400 pixels: at the top level 2.5 Mbit/s
# at most (CRF 23 spends less when it can).
QUALITY_LEVELS: tuple[Quality, ...] = (
    Quality(jpeg_quality=35, video_bits=2.5, fps=10.0),
    Quality(jpeg_quality=50, video_bits=4.0, fps=15.0),
    Quality(jpeg_quality=60, video_bits=6.0, fps=20.0),
    Quality(jpeg_quality=70, video_bits=9.0, fps=30.0),
    Quality(jpeg_quality=80, video_bits=11.0, fps=30.0),
)
START_LEVEL = 3
MIN_VIDEO_BITRATE = 200_000
MAX_VIDEO_BITRATE = 8_000_000

# The rule's thresholds, on the queueing delay (smoothed round trip minus
# the smallest recent one).
DELAY_HIGH_SECONDS = 0.15
DELAY_LOW_SECONDS = 0.04
DOWN_AFTER_SECONDS = 0.5    # at most one step down per half second
UP_AFTER_SECONDS = 2.0      # and one step up after two calm seconds
RTT_SMOOTHING = 0.25
BASE_RTT_SAMPLES = 100
THROUGHPUT_WINDOW_SECONDS = 1.0
# When delay forces a step down, the video bitrate is also capped at this
# share of what the link delivered meanwhile.
BANDWIDTH_SHARE = 0.8
# A step up raises that cap by this factor rather than lifting it: lifted at
# once, a 0.4 Mbit/s cap on a 0.5 Mbit/s link became the level's 2.8, and
# the link's queue grew to 0.7 s before the next step down.
CAP_GROWTH = 1.25


class QualityController:
    """Chooses the quality level from measured delay and bandwidth.

    The rule: each acknowledgement gives a round-trip sample (the time from
    sending a frame to its ``frame_ack``). The smoothed round trip (EWMA,
    weight ``RTT_SMOOTHING``) minus the smallest of the last
    ``BASE_RTT_SAMPLES`` samples is the *queueing delay*: time frames spend
    waiting in buffers because we send more than the link carries.

    - Delay above ``DELAY_HIGH_SECONDS``: one level down, at most every
      ``DOWN_AFTER_SECONDS``; the video bitrate is also capped at
      ``BANDWIDTH_SHARE`` of the bytes acknowledged over the last second.
    - Delay below ``DELAY_LOW_SECONDS`` for ``UP_AFTER_SECONDS`` since the
      last change: one level up, and the bandwidth cap, if any, grows by
      ``CAP_GROWTH`` (it goes once above ``MAX_VIDEO_BITRATE``).

    Lower levels mean a lower JPEG quality, fewer video bits and a lower
    frame rate (``QUALITY_LEVELS``).

    Args:
        level: the starting level, an index into ``QUALITY_LEVELS``.
        frames_in_flight: how many frames the pipeline sends before it
            waits for an acknowledgement.
    """

    def __init__(self, level: int = START_LEVEL, frames_in_flight: int = 1) -> None:
        self.level = max(0, min(len(QUALITY_LEVELS) - 1, level))
        self.frames_in_flight = max(1, frames_in_flight)
        self.srtt: float | None = None
        self.bandwidth_cap: float | None = None
        self._base: collections.deque[float] = collections.deque(maxlen=BASE_RTT_SAMPLES)
        self._sent: dict[int, tuple[float, int]] = {}
        self._acked: collections.deque[tuple[float, int]] = collections.deque()
        self._changed_at: float | None = None
        self._calm_since: float | None = None

    @property
    def quality(self) -> Quality:
        return QUALITY_LEVELS[self.level]

    @property
    def delay(self) -> float:
        """The queueing delay in seconds (0 before any measurement)."""
        if self.srtt is None or not self._base:
            return 0.0
        return max(0.0, self.srtt - min(self._base))

    def throughput(self, now: float) -> float:
        """Bits per second acknowledged over the last ``THROUGHPUT_WINDOW_SECONDS``."""
        while self._acked and now - self._acked[0][0] > THROUGHPUT_WINDOW_SECONDS:
            self._acked.popleft()
        return sum(size for _, size in self._acked) * 8 / THROUGHPUT_WINDOW_SECONDS

    def frame_interval(self) -> float:
        """The shortest time between two frames now, in seconds.

        The level's frame rate sets it, or the link, if slower: a frame
        leaves only when an acknowledgement makes room, and the round trip
        is shared by the frames allowed in flight.
        """
        interval = 1.0 / self.quality.fps
        if self.srtt is not None:
            interval = max(interval, self.srtt / self.frames_in_flight)
        return interval

    def video_bitrate(self, pixels: int) -> int:
        """The H.264 bitrate cap for a region of ``pixels`` pixels at this level."""
        bitrate = pixels * self.quality.video_bits
        if self.bandwidth_cap is not None:
            bitrate = min(bitrate, self.bandwidth_cap)
        return int(max(MIN_VIDEO_BITRATE, min(MAX_VIDEO_BITRATE, bitrate)))

    def frame_sent(self, frame_id: int, size: int, now: float) -> None:
        """Records a frame of ``size`` bytes leaving at ``now``."""
        self._sent[frame_id] = (now, size)
        if len(self._sent) > 64:  # acks that never came (a reset): forget the oldest
            del self._sent[next(iter(self._sent))]
        if self._changed_at is None:
            self._changed_at = now

    def frame_acked(self, frame_id: int, now: float) -> None:
        """Records the acknowledgement of ``frame_id`` (and of every older frame)."""
        if frame_id not in self._sent:
            return
        while self._sent:
            sent_id, (sent_at, size) = next(iter(self._sent.items()))
            del self._sent[sent_id]
            self._acked.append((now, size))
            if sent_id == frame_id:
                break
        sample = max(0.0, now - sent_at)
        self._base.append(sample)
        self.srtt = sample if self.srtt is None else (
            self.srtt + RTT_SMOOTHING * (sample - self.srtt)
        )
        self._adapt(now)

    def forget_in_flight(self) -> None:
        """Frames in flight will never be acknowledged (the viewer rejoined)."""
        self._sent.clear()

    def _adapt(self, now: float) -> None:
        delay = self.delay
        changed_at = self._changed_at if self._changed_at is not None else now
        if delay > DELAY_HIGH_SECONDS:
            self._calm_since = None
            if self.level > 0 and now - changed_at >= DOWN_AFTER_SECONDS:
                self.bandwidth_cap = max(MIN_VIDEO_BITRATE,
                                         self.throughput(now) * BANDWIDTH_SHARE)
                self._move(self.level - 1, now, delay)
            return
        if delay < DELAY_LOW_SECONDS:
            if self._calm_since is None:
                self._calm_since = now
            calm_for = now - max(self._calm_since, changed_at)
            if calm_for >= UP_AFTER_SECONDS and (
                self.level < len(QUALITY_LEVELS) - 1 or self.bandwidth_cap is not None
            ):
                if self.bandwidth_cap is not None:
                    self.bandwidth_cap *= CAP_GROWTH
                    if self.bandwidth_cap >= MAX_VIDEO_BITRATE:
                        self.bandwidth_cap = None
                self._move(min(self.level + 1, len(QUALITY_LEVELS) - 1), now, delay)
        else:
            self._calm_since = None

    def _move(self, level: int, now: float, delay: float) -> None:
        if level != self.level:
            logger.info("quality level %d -> %d (queueing delay %.0f ms, %.0f kbit/s acked)",
                        self.level, level, delay * 1000, self.throughput(now) / 1000)
        self.level = level
        self._changed_at = now


# --- motion -> video regions ------------------------------------------------------


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


# --- the frame encoder ------------------------------------------------------------------


@dataclass(slots=True)
class _Stream:
    region: VideoRegion
    rect: Rect
    bitrate: int
    encoder: H264Encoder
    frames: int = 0
    # It left its picture's box for the whole tiles (something beside the
    # picture changed): it keeps them, rather than go back and forth.
    tiles_for_good: bool = False


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
        self._streams: dict[tuple[int, int, int, int], _Stream] = {}
        self._next_stream_id = 1
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
        return Encoding.H264 in self.encodings

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
            self._end_streams()
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
        regions = self.motion.observe(
            np.zeros_like(tiles) if keyframe else moving, now,
            lambda c0, r0, c1, r1: not self._appearing(pixels, moving, c0, r0, c1, r1),
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
            self._end_streams()
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

    def _appearing(
        self, pixels: Pixels, tiles: TileMap, c0: int, r0: int, c1: int, r1: int
    ) -> bool:
        """Whether what changed in a group of tiles was drawn over blank rows.

        Text printed line after line into an empty window changes the same
        tiles frame after frame, like motion; but each line lands on rows
        of one colour, where motion moves over rows that held a picture.
        """
        if self._shown is None or self._shown.shape != pixels.shape:
            return False
        height, width = pixels.shape[:2]
        cols = slice(c0 * TILE, min(width, (c1 + 1) * TILE))
        changed_rows = []
        for row in range(r0, r1 + 1):
            if not tiles[row, c0 : c1 + 1].any():
                continue
            band = slice(row * TILE, min(height, (row + 1) * TILE))
            old, new = pixel_words(self._shown[band, cols]), pixel_words(pixels[band, cols])
            changed = (old != new).any(axis=1)
            changed_rows.append(old[changed])
        if not changed_rows:
            return False
        old_rows = np.concatenate(changed_rows)
        if old_rows.shape[0] == 0:
            return False
        blank = (old_rows == old_rows[:, :1]).all(axis=1)
        return bool(blank.mean() >= APPEARING_SHARE)

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
            box = _changed_box(self._shown, pixels, rect)
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
        wanted: dict[tuple[int, int, int, int], VideoRegion] = {}
        for region in regions:
            rect = region.pixel_rect(width, height)
            if rect is not None:
                wanted[(rect.x, rect.y, rect.width, rect.height)] = region
        for key in [k for k in self._streams if k not in wanted]:
            self._streams.pop(key).encoder.close()
        out: list[EncodedRect] = []
        for key, region in wanted.items():
            rect = Rect(*key)
            r0, c0 = rect.y // TILE, rect.x // TILE
            r1, c1 = (rect.y + rect.height) // TILE, (rect.x + rect.width) // TILE
            if not tiles[region.tile_slices()].any():
                continue  # nothing moved in it this frame
            box, changed = self._stream_box(pixels, rect, self._streams.get(key))
            box_pixels = pixels[box.y : box.y + box.height, box.x : box.x + box.width]
            try:
                out.append(self._encode_stream(key, box, region, box_pixels))
            except (VideoEncodeError, ValueError):
                logger.warning("video encoding failed; sending the region as stills",
                               exc_info=True)
                self._streams.pop(key, None)
                continue
            self._mark(box, lossy=True)
            self._show(pixels, box)
            if changed is not None:
                self._changed_boxes[-1].append(changed)
            # Whole tiles the region covers leave the still path: what lies
            # outside the stream's box did not change (``_stream_box``). A
            # partly covered edge tile (odd screen sizes) stays in it.
            if rect.y + rect.height == height:
                r1 = (height + TILE - 1) // TILE
            if rect.x + rect.width == width:
                c1 = (width + TILE - 1) // TILE
            still[r0:r1, c0:c1] = False
        return out

    def _stream_box(
        self, pixels: Pixels, rect: Rect, stream: _Stream | None
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
        assert self._shown is not None
        if stream is not None and stream.rect != rect:
            if not _changed_outside(self._shown, pixels, rect, stream.rect):
                return stream.rect, stream.rect
            return rect, _changed_box(self._shown, pixels, rect)
        if stream is not None and stream.frames >= BOX_SEARCH_FRAMES:
            return rect, rect
        current = _changed_box(self._shown, pixels, rect)
        if current is None or (stream is not None and stream.tiles_for_good):
            return rect, current
        box = self._picture_box(rect, current)
        if box is None or (stream is not None and box.area > BOX_MOVE_SHARE * rect.area):
            return rect, current
        return box, current

    def _picture_box(self, rect: Rect, current: Rect) -> Rect | None:
        """The box in ``rect`` of the recent changes, if they fill it; on even pixels."""
        before = [_union(_intersection(box, rect) for box in boxes)
                  for boxes in list(self._changed_boxes)[:-1]]
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

    def _encode_stream(
        self, key: tuple[int, int, int, int], rect: Rect, region: VideoRegion, pixels: Pixels
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
            encoder = H264Encoder(stream_id, rect.width, rect.height, bitrate=bitrate,
                                  fps=self.quality.quality.fps)
            # On the whole tiles after its box, now or at an earlier restart.
            for_good = previous is not None and rect == Rect(*key) and (
                previous.tiles_for_good or previous.rect != rect)
            stream = _Stream(region, rect, bitrate, encoder, tiles_for_good=for_good)
            self._streams[key] = stream
            logger.info("video stream %d: %dx%d at %d,%d, %d kbit/s", stream_id,
                        rect.width, rect.height, rect.x, rect.y, bitrate // 1000)
        payload = stream.encoder.encode(pixels)
        stream.frames += 1
        return EncodedRect(rect.x, rect.y, rect.width, rect.height, Encoding.H264, payload)

    def _end_streams(self) -> None:
        for stream in self._streams.values():
            stream.encoder.close()
        self._streams.clear()

    def close(self) -> None:
        """Ends every video stream."""
        self._end_streams()


def _changed_box(old: Pixels, new: Pixels, rect: Rect) -> Rect | None:
    """The smallest rect inside ``rect`` holding every pixel that differs (alpha aside)."""
    area = (slice(rect.y, rect.y + rect.height), slice(rect.x, rect.x + rect.width))
    a = pixel_words(old[area])
    b = pixel_words(new[area])
    changed = ((a ^ b) & np.uint32(0x00FFFFFF)) != 0
    rows = np.flatnonzero(changed.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(changed.any(axis=0))
    top, left = int(rows[0]), int(cols[0])
    return Rect(rect.x + left, rect.y + top, int(cols[-1]) - left + 1, int(rows[-1]) - top + 1)


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


def _changed_outside(old: Pixels, new: Pixels, outer: Rect, inner: Rect) -> bool:
    """Whether a pixel of ``outer`` outside ``inner`` differs (alpha too, as in ``dirty_tiles``)."""
    left, top = inner.x - outer.x, inner.y - outer.y
    right, bottom = left + inner.width, top + inner.height
    area = (slice(outer.y, outer.y + outer.height), slice(outer.x, outer.x + outer.width))
    a, b = pixel_words(old[area]), pixel_words(new[area])
    strips = ((slice(0, top), slice(None)), (slice(bottom, None), slice(None)),
              (slice(top, bottom), slice(0, left)), (slice(top, bottom), slice(right, None)))
    return any(not np.array_equal(a[strip], b[strip]) for strip in strips)


def frame_size(rects: Iterable[EncodedRect]) -> int:
    """About how many bytes a frame of these rects takes on the wire."""
    return sum(len(rect.payload) + RECT_OVERHEAD_BYTES for rect in rects) + 8
