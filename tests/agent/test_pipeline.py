from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from coupdemain.agent.capture.fake import FakeScreen
from coupdemain.agent.pipeline import FramePipeline, PipelineOutput
from coupdemain.protocol.encodings import Encoding
from coupdemain.agent.capture.base import Monitor
from coupdemain.protocol.messages import (
    ALL_MONITORS,
    FrameUpdate,
    Screen,
    parse_frame,
    serialize_frame,
)


def paint(canvas: np.ndarray, update: FrameUpdate) -> None:
    """Applies an update the way a viewer would (SOLID and PNG only here)."""
    import io

    from PIL import Image

    for rect in update.rects:
        area = canvas[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
        if rect.encoding is Encoding.SOLID:
            area[...] = tuple(rect.payload)
        elif rect.encoding is Encoding.PNG:
            with Image.open(io.BytesIO(rect.payload)) as image:
                area[...] = np.asarray(image.convert("RGB"))
        else:
            raise AssertionError("the fake screen has no photographic content")


async def step(pipeline: FramePipeline) -> PipelineOutput | None:
    return await pipeline.next_output()


def size(output: PipelineOutput) -> tuple[int, int] | None:
    """The picture's size the output announces, if it announces one."""
    return None if output.screen is None else (output.screen.width, output.screen.height)


@pytest.fixture
def screen() -> FakeScreen:
    return FakeScreen(320, 200)


@pytest.fixture
def pipeline(screen: FakeScreen) -> Iterator[FramePipeline]:
    p = FramePipeline(screen)
    p.set_active(True)
    yield p
    p.close()


async def test_first_frame_is_a_keyframe_with_its_geometry(pipeline: FramePipeline) -> None:
    output = await step(pipeline)
    assert output is not None
    assert output.update.keyframe
    assert size(output) == (320, 200)
    assert sum(r.width * r.height for r in output.update.rects) == 320 * 200
    # It survives the wire format.
    assert parse_frame(serialize_frame(output.update)) == output.update


async def test_nothing_changed_sends_nothing(pipeline: FramePipeline) -> None:
    assert await step(pipeline) is not None
    assert await step(pipeline) is None
    assert pipeline.unacked == [1]


async def test_at_most_two_frames_without_ack(
    pipeline: FramePipeline, screen: FakeScreen
) -> None:
    sent = []
    for _ in range(6):
        screen.advance()
        output = await step(pipeline)
        if output is not None:
            sent.append(output.update.frame_id)
    assert sent == [1, 2]
    assert pipeline.credits == 0


async def test_after_ack_the_newest_state_is_sent(
    pipeline: FramePipeline, screen: FakeScreen
) -> None:
    canvas = np.zeros((200, 320, 3), dtype=np.uint8)
    for _ in range(2):
        output = await step(pipeline)
        assert output is not None
        paint(canvas, output.update)
        screen.advance()
    # Out of credit: three more changes happen, one far from the number.
    screen.advance()
    screen.fill(250, 150, 20, 20, (9, 9, 9))
    screen.advance()
    assert await step(pipeline) is None
    pipeline.receive_ack(1)
    output = await step(pipeline)
    assert output is not None and not output.update.keyframe
    paint(canvas, output.update)
    # One frame brings the viewer to the screen as it is now, not to a stale state.
    assert np.array_equal(canvas, screen.pixels[..., 2::-1])
    assert screen.number == 4
    assert pipeline.unacked == [2, 3]


async def test_ack_is_cumulative(pipeline: FramePipeline, screen: FakeScreen) -> None:
    for _ in range(2):
        screen.advance()
        await step(pipeline)
    pipeline.receive_ack(2)
    assert pipeline.unacked == []
    pipeline.receive_ack(99)  # unknown: ignored
    assert pipeline.credits == 2


async def test_keyframe_on_request(pipeline: FramePipeline, screen: FakeScreen) -> None:
    first = await step(pipeline)
    assert first is not None
    pipeline.receive_ack(first.update.frame_id)
    pipeline.request_keyframe()
    output = await step(pipeline)
    assert output is not None and output.update.keyframe
    assert size(output) == (320, 200)


async def test_keyframe_request_waits_for_credit(
    pipeline: FramePipeline, screen: FakeScreen
) -> None:
    for _ in range(2):
        screen.advance()
        await step(pipeline)
    pipeline.request_keyframe()
    assert await step(pipeline) is None
    pipeline.receive_ack(2)
    output = await step(pipeline)
    assert output is not None and output.update.keyframe


async def test_reset_forgets_frames_in_flight(
    pipeline: FramePipeline, screen: FakeScreen
) -> None:
    for _ in range(2):
        screen.advance()
        await step(pipeline)
    pipeline.reset()  # the viewer came back; those acks will never come
    output = await step(pipeline)
    assert output is not None and output.update.keyframe


async def test_resize_sends_the_new_geometry(
    pipeline: FramePipeline, screen: FakeScreen
) -> None:
    first = await step(pipeline)
    assert first is not None
    pipeline.receive_ack(first.update.frame_id)
    screen.resize(256, 128)
    output = await step(pipeline)
    assert output is not None and output.update.keyframe and size(output) == (256, 128)


class RecordingSink:
    def __init__(self) -> None:
        self.sent: list[object] = []

    async def send_screen(self, screen: Screen) -> None:
        self.sent.append(("screen", screen.width, screen.height))

    async def send_frame(self, update: FrameUpdate) -> None:
        self.sent.append(update)


class ManualChanges:
    """A change source the test triggers by hand, as a damage listener would."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def wait_for_change(self) -> None:
        await self.event.wait()
        self.event.clear()


async def test_run_sends_screen_then_frames_from_a_change_source(screen: FakeScreen) -> None:
    changes = ManualChanges()
    pipeline = FramePipeline(screen, changes=changes)
    sink = RecordingSink()
    try:
        pipeline.set_active(True)  # the kick alone produces the keyframe
        task = asyncio.create_task(pipeline.run(sink, max_frames=2))
        for _ in range(200):
            if len(sink.sent) >= 2:
                break
            await asyncio.sleep(0.01)
        assert sink.sent[0] == ("screen", 320, 200)
        assert isinstance(sink.sent[1], FrameUpdate) and sink.sent[1].keyframe
        screen.advance()
        changes.event.set()
        await asyncio.wait_for(task, 10)
        assert isinstance(sink.sent[2], FrameUpdate) and not sink.sent[2].keyframe
    finally:
        pipeline.close()


async def test_inactive_pipeline_sends_nothing(screen: FakeScreen) -> None:
    changes = ManualChanges()
    pipeline = FramePipeline(screen, changes=changes)
    sink = RecordingSink()
    task = asyncio.create_task(pipeline.run(sink))
    try:
        for _ in range(5):
            changes.event.set()
            await asyncio.sleep(0.01)
        assert sink.sent == []
        assert screen.captures == 0
    finally:
        task.cancel()
        pipeline.close()


TWO_MONITORS = [Monitor(0, 0, 320, 200, "LEFT", primary=True), Monitor(320, 0, 256, 160, "RIGHT")]


@pytest.fixture
def wide_screen() -> FakeScreen:
    screen = FakeScreen(576, 200, monitors=TWO_MONITORS)
    screen.fill(320, 0, 256, 160, (0, 128, 255))  # the right monitor: one flat colour
    return screen


async def test_keyframe_lists_every_monitor_and_shares_all(wide_screen: FakeScreen) -> None:
    pipeline = FramePipeline(wide_screen)
    try:
        pipeline.set_active(True)
        output = await step(pipeline)
        assert output is not None and output.screen is not None
        assert size(output) == (576, 200)
        assert output.screen.monitor == ALL_MONITORS
        assert [(m["x"], m["width"], m["name"]) for m in output.screen.monitors] == [
            (0, 320, "LEFT"), (320, 256, "RIGHT")]
        assert output.origin == (0, 0)
    finally:
        pipeline.close()


async def test_selecting_a_monitor_sends_only_its_picture(wide_screen: FakeScreen) -> None:
    pipeline = FramePipeline(wide_screen)
    try:
        pipeline.set_active(True)
        first = await step(pipeline)
        assert first is not None
        pipeline.receive_ack(first.update.frame_id)
        pipeline.select_monitor(1)
        output = await step(pipeline)
        assert output is not None and output.update.keyframe and output.screen is not None
        assert size(output) == (256, 160)
        assert output.screen.monitor == 1 and output.origin == (320, 0)
        canvas = np.zeros((160, 256, 3), dtype=np.uint8)
        paint(canvas, output.update)
        assert (canvas == (0, 128, 255)).all()

        # Back to the whole desktop.
        pipeline.receive_ack(output.update.frame_id)
        pipeline.select_monitor(ALL_MONITORS)
        output = await step(pipeline)
        assert output is not None and size(output) == (576, 200) and output.origin == (0, 0)
    finally:
        pipeline.close()


async def test_a_monitor_that_is_gone_falls_back_to_all(wide_screen: FakeScreen) -> None:
    pipeline = FramePipeline(wide_screen)
    try:
        pipeline.set_active(True)
        pipeline.select_monitor(5)
        output = await step(pipeline)
        assert output is not None and output.screen is not None
        assert output.screen.monitor == ALL_MONITORS and size(output) == (576, 200)
    finally:
        pipeline.close()
