"""Rate control, driven by a fake clock: delay lowers quality, calm raises it."""

from __future__ import annotations

import pytest

from coupdemain.agent.rate import (
    CAP_GROWTH,
    DELAY_HIGH_SECONDS,
    MAX_VIDEO_BITRATE,
    RTT_SMOOTHING,
    START_LEVEL,
    QualityController,
    frame_size,
)
from coupdemain.agent.tiles import TILE
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.frames import EncodedRect, FrameUpdate, serialize_frame

FPS = 30
STEP = 1 / FPS


def test_the_pace_is_the_level_s_frame_rate_or_the_round_trip_shared_by_the_frames_in_flight(
) -> None:
    quality = QualityController(frames_in_flight=2)
    assert quality.frame_interval() == 1 / quality.quality.fps  # no round trip measured yet
    quality.frame_sent(1, 10_000, 0.0)
    quality.frame_acked(1, 0.02)
    assert quality.frame_interval() == 1 / quality.quality.fps  # a fast link
    quality.frame_sent(2, 10_000, 1.0)
    quality.frame_acked(2, 1.0 + 0.02 + 0.6 / RTT_SMOOTHING)  # srtt now 0.62 s
    assert quality.frame_interval() == pytest.approx(0.31)


def test_delay_lowers_the_level_and_calm_raises_it() -> None:
    quality = QualityController()
    assert quality.level == START_LEVEL
    now = 0.0
    frame_id = 0
    rtt = 0.02
    # A calm link: 20 ms round trips.
    for _ in range(30):
        frame_id += 1
        quality.frame_sent(frame_id, 10_000, now)
        quality.frame_acked(frame_id, now + rtt)
        now += STEP
    assert quality.level == START_LEVEL
    # The link fills up: round trips grow by 20 ms per frame.
    for _ in range(40):
        frame_id += 1
        rtt += 0.02
        quality.frame_sent(frame_id, 10_000, now)
        quality.frame_acked(frame_id, now + rtt)
        now += STEP
    assert quality.delay > DELAY_HIGH_SECONDS
    assert quality.level < START_LEVEL
    assert quality.bandwidth_cap is not None
    assert quality.video_bitrate(640 * 360) <= quality.bandwidth_cap
    low, capped = quality.level, quality.bandwidth_cap

    def calm(seconds: float) -> None:
        nonlocal frame_id, now
        for _ in range(int(seconds / STEP)):
            frame_id += 1
            quality.frame_sent(frame_id, 10_000, now)
            quality.frame_acked(frame_id, now + 0.02)
            now += STEP

    # The link drains: back to 20 ms, and after calm seconds the level
    # climbs. The cap grows a step at a time: what the link carried is all
    # that is known of it.
    calm(8)
    assert quality.level > low
    assert quality.bandwidth_cap is not None
    assert capped < quality.bandwidth_cap <= capped * CAP_GROWTH ** 4
    # Calm for long: the cap grows past the highest bitrate, and goes.
    calm(60)
    assert capped * CAP_GROWTH ** 5 < MAX_VIDEO_BITRATE
    assert quality.bandwidth_cap is None


def test_acks_are_cumulative_and_unknown_ones_ignored() -> None:
    quality = QualityController()
    for frame_id in (1, 2, 3):
        quality.frame_sent(frame_id, 1000, 0.0)
    quality.frame_acked(99, 0.1)
    assert quality.srtt is None
    quality.frame_acked(2, 0.1)
    assert quality.srtt is not None and abs(quality.srtt - 0.1) < 1e-9
    assert quality.throughput(0.1) == 2000 * 8
    quality.frame_acked(3, 0.2)
    assert quality.throughput(5.0) == 0


def test_video_bitrate_scales_with_area_within_bounds() -> None:
    quality = QualityController()
    small, big = quality.video_bitrate(TILE * TILE), quality.video_bitrate(640 * 360)
    huge = quality.video_bitrate(3840 * 2160)
    assert small < big < huge
    assert big <= 4_000_000


def test_a_frame_s_size_is_what_the_protocol_writes() -> None:
    rects = (EncodedRect(0, 0, 64, 64, Encoding.PNG, b"x" * 300),
             EncodedRect(64, 0, 8, 13, Encoding.SOLID, b"abc"))
    for some in ((), rects[:1], rects):
        assert frame_size(some) == len(serialize_frame(FrameUpdate(7, some)))
