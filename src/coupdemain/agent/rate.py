"""Rate control: the quality level and the pace of frames, from the measured delay.

**Delay lowers quality.** ``QualityController`` measures each frame's
round trip (sent → acknowledged) and the bytes acknowledged per second,
and moves along ``QUALITY_LEVELS`` (JPEG quality, video bits, frame
rate); see its docstring for the rule. ``frame_interval`` is the pace
frames can come at now: the level's frame rate, or the link's when it is
slower (the encoder's motion and refresh windows stretch to it,
``encode/motion.py``).

It is fed from the event loop (``frame_sent``, ``frame_acked``) and read
from the pipeline's worker thread (single attribute reads and writes).
Everything takes the time as an argument (``now``), so that tests drive
it with a fake clock.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from ..protocol.encodings import Encoding
from ..protocol.frames import EncodedRect, FrameUpdate, serialize_frame

logger = logging.getLogger("coupdemain.agent.rate")

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



# What a frame costs on the wire besides its rects' payloads, and what each
# rect costs besides its payload: read off the protocol's own writer.
_EMPTY_FRAME_BYTES = len(serialize_frame(FrameUpdate(0, ())))
RECT_OVERHEAD_BYTES = len(serialize_frame(
    FrameUpdate(0, (EncodedRect(0, 0, 0, 0, Encoding.SOLID, b""),))
)) - _EMPTY_FRAME_BYTES


def frame_size(rects: Iterable[EncodedRect]) -> int:
    """About how many bytes a frame of these rects takes on the wire."""
    return sum(len(rect.payload) + RECT_OVERHEAD_BYTES for rect in rects) + _EMPTY_FRAME_BYTES
