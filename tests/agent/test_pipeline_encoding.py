"""The pipeline's encoding policy end to end, on a fake screen and a fake clock.

Motion becomes an H.264 stream, rest brings a lossless refresh (and the
pipeline wakes up for it on its own), delay lowers quality and frame rate.
No test sleeps: the clock is a number the test moves.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import av
import numpy as np
import pytest
from PIL import Image

from coupdemain.agent.capture.base import Rect
from coupdemain.agent.capture.fake import FakeScreen
from coupdemain.agent.encode.frame import REFRESH_AFTER_SECONDS
from coupdemain.agent.encode.h264 import unpack_payload
from coupdemain.agent.encode.motion import REST_SECONDS
from coupdemain.agent.pipeline import FramePipeline
from coupdemain.agent.rate import QUALITY_LEVELS, START_LEVEL
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.frames import FrameUpdate
from coupdemain.protocol.messages import Screen
from tests.agent.images import photo_like

STEP = 1 / 30


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Viewer:
    """Paints what a viewer would, with one H.264 decoder per stream."""

    def __init__(self) -> None:
        self.rgb: np.ndarray | None = None
        self.decoders: dict[int, av.CodecContext] = {}

    def paint(self, update: FrameUpdate, width: int, height: int) -> None:
        if self.rgb is None or self.rgb.shape[:2] != (height, width):
            self.rgb = np.zeros((height, width, 3), np.uint8)
        for rect in update.rects:
            area = self.rgb[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
            if rect.encoding is Encoding.SOLID:
                area[...] = tuple(rect.payload)
            elif rect.encoding is Encoding.H264:
                stream_id, keyframe, access_unit = unpack_payload(rect.payload)
                if keyframe:
                    self.decoders[stream_id] = av.CodecContext.create("h264", "r")
                (frame,) = self.decoders[stream_id].decode(av.Packet(access_unit))
                area[...] = frame.to_ndarray(format="rgb24")
            else:
                with Image.open(io.BytesIO(rect.payload)) as image:
                    area[...] = np.asarray(image.convert("RGB"))

    def error(self, screen: FakeScreen) -> int:
        assert self.rgb is not None
        return int(np.abs(self.rgb.astype(int) - screen.pixels[..., 2::-1].astype(int)).max())


class NeverChanges:
    """A change source that never fires: only the pipeline's own deadlines wake it."""

    async def wait_for_change(self) -> None:
        await asyncio.Event().wait()

    def take_damage(self) -> list[Rect] | None:
        return None

    def nudge(self) -> None:
        pass

    def close(self) -> None:
        pass


class RecordingSink:
    def __init__(self) -> None:
        self.frames: list[FrameUpdate] = []

    async def send_screen(self, screen: Screen) -> None:
        pass

    async def send_frame(self, update: FrameUpdate) -> None:
        self.frames.append(update)


def play_video(screen: FakeScreen, step: int) -> None:
    """A 256x192 region of moving grain at 64,0."""
    rng = np.random.default_rng(step)
    video = photo_like(192, 256, grain=0)
    video[..., :3] = np.clip(video[..., :3].astype(int) + rng.integers(-30, 31, (192, 256, 3)),
                             0, 255).astype(np.uint8)
    screen.pixels[0:192, 64:320] = video


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def screen() -> FakeScreen:
    return FakeScreen(384, 256)


@pytest.fixture
def pipeline(screen: FakeScreen, clock: Clock) -> Iterator[FramePipeline]:
    p = FramePipeline(screen, clock=clock, max_unacked=100)
    p.set_active(True)
    yield p
    p.close()


async def frames_of_video(
    pipeline: FramePipeline, screen: FakeScreen, clock: Clock, viewer: Viewer, count: int
) -> list[FrameUpdate]:
    updates = []
    for step in range(count):
        if step:
            play_video(screen, step)
        output = await pipeline.next_output()
        assert output is not None
        pipeline.receive_ack(output.update.frame_id)
        viewer.paint(output.update, screen.width, screen.height)
        updates.append(output.update)
        clock.now += STEP
    return updates


async def test_motion_becomes_h264_and_rest_becomes_pixel_exact(
    pipeline: FramePipeline, screen: FakeScreen, clock: Clock
) -> None:
    pipeline.set_encodings([0, 1, 2, 3])
    viewer = Viewer()
    updates = await frames_of_video(pipeline, screen, clock, viewer, 15)
    encodings = [{r.encoding for r in u.rects} for u in updates]
    assert Encoding.H264 not in encodings[1], "one change is not motion yet"
    assert all(Encoding.H264 in e for e in encodings[-5:]), "sustained motion is video"
    assert viewer.error(screen) > 0
    # The screen rests: nothing is sent until the refresh is due...
    assert await pipeline.next_output() is None
    clock.now += max(REST_SECONDS, REFRESH_AFTER_SECONDS)
    output = await pipeline.next_output()
    assert output is not None
    assert {r.encoding for r in output.update.rects} <= {Encoding.PNG, Encoding.SOLID}
    viewer.paint(output.update, screen.width, screen.height)
    assert viewer.error(screen) == 0, "pixel-exact once at rest"
    pipeline.receive_ack(output.update.frame_id)
    # ...and once exact, nothing more.
    clock.now += 5
    assert await pipeline.next_output() is None


async def test_a_viewer_without_h264_gets_jpeg_then_png(
    pipeline: FramePipeline, screen: FakeScreen, clock: Clock
) -> None:
    viewer = Viewer()
    updates = await frames_of_video(pipeline, screen, clock, viewer, 12)
    assert all(r.encoding is not Encoding.H264 for u in updates for r in u.rects)
    assert any(r.encoding is Encoding.JPEG for r in updates[-1].rects)
    clock.now += max(REST_SECONDS, REFRESH_AFTER_SECONDS)
    output = await pipeline.next_output()
    assert output is not None
    viewer.paint(output.update, screen.width, screen.height)
    assert viewer.error(screen) == 0


async def test_the_pipeline_wakes_up_for_the_refresh_on_its_own(
    screen: FakeScreen, clock: Clock
) -> None:
    pipeline = FramePipeline(screen, clock=clock, changes=NeverChanges(), max_unacked=100)
    try:
        pipeline.set_active(True)
        viewer = Viewer()
        await frames_of_video(pipeline, screen, clock, viewer, 8)
        due = pipeline._seconds_until_due()
        assert due is not None and 0 < due <= max(REST_SECONDS, REFRESH_AFTER_SECONDS)
        clock.now += due
        sink = RecordingSink()
        # No change ever fires: only the refresh deadline can wake the loop.
        await asyncio.wait_for(pipeline.run(sink, max_frames=1), timeout=10)
        (update,) = sink.frames
        viewer.paint(update, screen.width, screen.height)
        assert viewer.error(screen) == 0
        assert pipeline._seconds_until_due() is None
    finally:
        pipeline.close()


async def test_growing_delay_lowers_quality_and_frame_rate(
    pipeline: FramePipeline, screen: FakeScreen, clock: Clock
) -> None:
    assert pipeline.quality.level == START_LEVEL
    rtt = 0.02
    for _ in range(60):
        screen.advance()
        output = await pipeline.next_output()
        if output is None:  # held for the lowered frame rate
            clock.now += STEP
            continue
        sent_at = clock.now
        clock.now += rtt
        pipeline.receive_ack(output.update.frame_id)
        clock.now = sent_at + STEP
        rtt += 0.03
    level = pipeline.quality.level
    assert level < START_LEVEL
    fps = QUALITY_LEVELS[level].fps
    assert fps < 30
    # A change right after a frame waits for the next slot of the lowered rate.
    clock.now += 1
    screen.advance()
    output = await pipeline.next_output()
    assert output is not None
    pipeline.receive_ack(output.update.frame_id)
    screen.advance()
    assert await pipeline.next_output() is None
    slot = pipeline._seconds_until_due()
    assert slot is not None and 0 < slot <= 1 / fps
    clock.now += slot
    assert await pipeline.next_output() is not None


def type_glyph(screen: FakeScreen, column: int) -> None:
    """An application's echo of a key, in the text under the video."""
    screen.pixels[210:223, 10 + 9 * column : 18 + 9 * column, :3] = 20


async def test_a_key_s_answer_goes_before_the_video_s_next_picture(
    pipeline: FramePipeline, screen: FakeScreen, clock: Clock
) -> None:
    pipeline.set_encodings([0, 1, 2, 3])
    viewer = Viewer()
    await frames_of_video(pipeline, screen, clock, viewer, 12)

    async def frame() -> FrameUpdate:
        output = await pipeline.next_output()
        assert output is not None
        pipeline.receive_ack(output.update.frame_id)
        viewer.paint(output.update, screen.width, screen.height)
        clock.now += STEP
        return output.update

    # A key is injected; the application echoes it while the video plays on.
    pipeline.nudge(answer_first=True)
    play_video(screen, 12)
    type_glyph(screen, 0)
    answer = await frame()
    assert answer.rects and all(r.encoding is not Encoding.H264 and r.y >= 192
                                for r in answer.rects), "the echo alone"
    # The video's picture follows at once, though nothing new was drawn.
    follow = await frame()
    assert [r.encoding for r in follow.rects] == [Encoding.H264]
    assert viewer.rgb is not None
    assert np.array_equal(viewer.rgb[210:223, 10:18], screen.pixels[210:223, 10:18, 2::-1])
    # One answer per input: the next echo goes with the video's picture.
    play_video(screen, 13)
    type_glyph(screen, 1)
    both = (await frame()).rects
    assert Encoding.H264 in {r.encoding for r in both} and len(both) >= 2
    # An answer that comes late is no answer: the frame is a whole one.
    pipeline.nudge(answer_first=True)
    clock.now += 0.5
    play_video(screen, 14)
    type_glyph(screen, 2)
    assert Encoding.H264 in {r.encoding for r in (await frame()).rects}


async def test_at_a_lowered_frame_rate_what_is_due_waits_for_the_next_slot(
    pipeline: FramePipeline, screen: FakeScreen, clock: Clock
) -> None:
    pipeline.set_encodings([0, 1, 2, 3])
    pipeline.quality.level = 1  # a slow link: 15 frames a second
    interval = 1 / QUALITY_LEVELS[1].fps
    for step in range(1, 13):
        play_video(screen, step)
        output = await pipeline.next_output()
        assert output is not None
        pipeline.receive_ack(output.update.frame_id)
        clock.now += interval
    assert pipeline._encoder.motion.regions, "the video is a video"
    pipeline.nudge(answer_first=True)
    play_video(screen, 13)
    type_glyph(screen, 0)
    answer = await pipeline.next_output()
    assert answer is not None and Encoding.H264 not in {r.encoding for r in answer.update.rects}
    pipeline.receive_ack(answer.update.frame_id)
    # The video's picture is due at once, but not before the next slot: the
    # loop sleeps until then, it does not spin.
    assert await pipeline.next_output() is None
    slot = pipeline._seconds_until_due()
    assert slot is not None and 0 < slot <= interval
    clock.now += slot
    follow = await pipeline.next_output()
    assert follow is not None and [r.encoding for r in follow.update.rects] == [Encoding.H264]
