from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from coupdemain.agent.capture.base import Monitor, Rect
from coupdemain.agent.capture.fake import FakeScreen
from coupdemain.agent.pipeline import FramePipeline, PipelineOutput
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.frames import (
    CursorPosition,
    CursorShape,
    FrameUpdate,
    parse_frame,
    serialize_frame,
)
from coupdemain.protocol.messages import ALL_MONITORS, Screen


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
        self.damage: list[Rect] | None = None
        self.nudges = 0
        self.closed = False

    async def wait_for_change(self) -> None:
        await self.event.wait()
        self.event.clear()

    def take_damage(self) -> list[Rect] | None:
        damage, self.damage = self.damage, None
        return damage

    def nudge(self) -> None:
        self.nudges += 1

    def close(self) -> None:
        self.closed = True


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


# --- damage-driven capture ----------------------------------------------------


async def damaged_step(pipeline: FramePipeline, damage: list[Rect] | None) -> PipelineOutput | None:
    """One step whose change source reports ``damage``."""
    assert isinstance(pipeline.changes, ManualChanges)
    pipeline.changes.damage = damage
    return await pipeline.next_output()


async def viewer_after_keyframe(pipeline: FramePipeline) -> np.ndarray:
    """The viewer's canvas once the first frame (a keyframe, whatever the damage) is painted."""
    canvas = np.zeros((200, 320, 3), dtype=np.uint8)
    first = await damaged_step(pipeline, [])
    assert first is not None and first.update.keyframe
    paint(canvas, first.update)
    return canvas


@pytest.fixture
def damaged(screen: FakeScreen) -> Iterator[FramePipeline]:
    p = FramePipeline(screen, changes=ManualChanges(), max_unacked=100)
    p.set_active(True)
    yield p
    p.close()


async def test_damage_grabs_only_its_tiles_and_the_viewer_stays_exact(
    damaged: FramePipeline, screen: FakeScreen
) -> None:
    canvas = await viewer_after_keyframe(damaged)
    captures = screen.captures
    screen.fill(200, 130, 6, 13, (1, 2, 3))  # a glyph, in one tile
    output = await damaged_step(damaged, [Rect(200, 130, 6, 13)])
    assert output is not None and not output.update.keyframe
    assert screen.captures == captures  # no whole-screen grab
    assert screen.area_captures == [Rect(192, 128, 64, 64)]
    # Only the glyph's pixels travel (the encoder crops small rects to what changed).
    assert [(r.x, r.y, r.width, r.height) for r in output.update.rects] == [(200, 130, 6, 13)]
    paint(canvas, output.update)
    assert np.array_equal(canvas, screen.pixels[..., 2::-1])


async def test_damage_that_repaints_the_same_pixels_sends_nothing(
    damaged: FramePipeline, screen: FakeScreen
) -> None:
    assert await damaged_step(damaged, []) is not None
    output = await damaged_step(damaged, [Rect(0, 0, 320, 40)])
    assert output is None
    assert damaged.unacked == [1]


async def test_damage_lists_where_to_look_not_what_changed(
    damaged: FramePipeline, screen: FakeScreen
) -> None:
    canvas = await viewer_after_keyframe(damaged)
    # Two changes; damage reports one only (the other would come with its own event).
    screen.fill(10, 10, 4, 4, (9, 9, 9))
    screen.fill(300, 180, 4, 4, (9, 9, 9))
    output = await damaged_step(damaged, [Rect(10, 10, 4, 4)])
    assert output is not None
    paint(canvas, output.update)
    assert not np.array_equal(canvas, screen.pixels[..., 2::-1])
    output = await damaged_step(damaged, [Rect(300, 180, 4, 4)])
    assert output is not None
    paint(canvas, output.update)
    assert np.array_equal(canvas, screen.pixels[..., 2::-1])


async def test_damage_that_fills_its_box_is_grabbed_as_one_box_else_as_bands(
    damaged: FramePipeline, screen: FakeScreen
) -> None:
    canvas = await viewer_after_keyframe(damaged)
    # A moving shape: three rects whose tiles fill a 3x2-tile box but one.
    screen.fill(10, 10, 100, 40, (9, 9, 9))
    screen.fill(70, 70, 100, 40, (7, 7, 7))
    output = await damaged_step(damaged, [Rect(10, 10, 100, 40), Rect(70, 70, 100, 40)])
    assert output is not None
    assert screen.area_captures == [Rect(0, 0, 192, 128)]
    paint(canvas, output.update)
    assert np.array_equal(canvas, screen.pixels[..., 2::-1])
    # Two far corners: a box would be mostly untouched, so two grabs.
    screen.area_captures.clear()
    screen.fill(0, 0, 4, 4, (5, 5, 5))
    screen.fill(300, 180, 4, 4, (5, 5, 5))
    output = await damaged_step(damaged, [Rect(0, 0, 4, 4), Rect(300, 180, 4, 4)])
    assert output is not None
    assert screen.area_captures == [Rect(0, 0, 64, 64), Rect(256, 128, 64, 64)]
    paint(canvas, output.update)
    assert np.array_equal(canvas, screen.pixels[..., 2::-1])
    # The shape moves on while a counter far from it ticks: each is its own
    # box, not the bands of the area between them.
    screen.area_captures.clear()
    screen.fill(10, 10, 100, 40, (3, 3, 3))
    screen.fill(70, 70, 100, 40, (4, 4, 4))
    screen.fill(300, 180, 4, 4, (6, 6, 6))
    output = await damaged_step(
        damaged, [Rect(10, 10, 100, 40), Rect(70, 70, 100, 40), Rect(300, 180, 4, 4)]
    )
    assert output is not None
    assert screen.area_captures == [Rect(0, 0, 192, 128), Rect(256, 128, 64, 64)]
    paint(canvas, output.update)
    assert np.array_equal(canvas, screen.pixels[..., 2::-1])


async def test_unknown_damage_diffs_the_whole_screen(
    damaged: FramePipeline, screen: FakeScreen
) -> None:
    assert await damaged_step(damaged, []) is not None
    screen.fill(300, 180, 4, 4, (9, 9, 9))
    captures = screen.captures
    output = await damaged_step(damaged, None)
    assert output is not None and screen.captures == captures + 1
    assert screen.area_captures == []
    assert [(r.x, r.y) for r in output.update.rects] == [(300, 180)]


async def test_damage_over_most_of_the_screen_grabs_it_whole(
    damaged: FramePipeline, screen: FakeScreen
) -> None:
    assert await damaged_step(damaged, []) is not None
    screen.advance()
    captures = screen.captures
    output = await damaged_step(damaged, [Rect(0, 0, 320, 150)])
    assert output is not None and screen.captures == captures + 1
    assert screen.area_captures == []


async def test_damage_outside_the_screen_is_ignored_and_a_failed_grab_falls_back(
    damaged: FramePipeline, screen: FakeScreen
) -> None:
    assert await damaged_step(damaged, []) is not None
    assert await damaged_step(damaged, [Rect(-50, -50, 20, 20), Rect(400, 0, 10, 10)]) is None
    assert screen.area_captures == []

    def broken(area: Rect) -> np.ndarray:
        raise ValueError("the screen shrank")

    screen.capture_area = broken  # type: ignore[method-assign]
    screen.advance()
    captures = screen.captures
    output = await damaged_step(damaged, [Rect(0, 0, 10, 10)])
    assert output is not None and screen.captures == captures + 1


async def test_damage_follows_the_shared_region_origin(screen: FakeScreen) -> None:
    class Offset(FakeScreen):
        origin = (1000, 500)

        def capture_area(self, area: Rect) -> np.ndarray:
            return super().capture_area(Rect(area.x - 1000, area.y - 500, area.width,
                                             area.height))

    offset = Offset(320, 200)
    pipeline = FramePipeline(offset, changes=ManualChanges(), max_unacked=100)
    pipeline.set_active(True)
    try:
        assert await damaged_step(pipeline, []) is not None
        offset.fill(70, 70, 3, 3, (5, 5, 5))
        output = await damaged_step(pipeline, [Rect(1070, 570, 3, 3)])
        assert output is not None
        assert [(r.x, r.y) for r in output.update.rects] == [(70, 70)]
        assert offset.area_captures == [Rect(64, 64, 64, 64)]
    finally:
        pipeline.close()


async def test_damage_drawn_without_credit_goes_once_an_ack_comes(screen: FakeScreen) -> None:
    changes = ManualChanges()
    pipeline = FramePipeline(screen, changes=changes, max_unacked=1)
    sink = RecordingSink()
    task = asyncio.create_task(pipeline.run(sink))
    try:
        pipeline.set_active(True)
        for _ in range(200):
            if len(sink.sent) >= 2:
                break
            await asyncio.sleep(0.01)
        assert isinstance(sink.sent[-1], FrameUpdate) and sink.sent[-1].keyframe
        # No credit: the change is drawn and reported, but nothing is sent.
        screen.fill(10, 10, 4, 4, (9, 9, 9))
        changes.damage = [Rect(10, 10, 4, 4)]
        changes.event.set()
        await asyncio.sleep(0.05)
        assert len(sink.sent) == 2
        # The ack alone brings it, without another change.
        pipeline.receive_ack(sink.sent[-1].frame_id)
        for _ in range(200):
            if len(sink.sent) >= 3:
                break
            await asyncio.sleep(0.01)
        assert isinstance(sink.sent[2], FrameUpdate)
        assert [(r.x, r.y) for r in sink.sent[2].rects] == [(10, 10)]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        pipeline.close()
    assert changes.closed


# --- the pointer ----------------------------------------------------------------


class ManualCursor:
    """A pointer the test moves by hand."""

    def __init__(self) -> None:
        self.updates: asyncio.Queue[list[CursorShape | CursorPosition]] = asyncio.Queue()
        self.known: list[CursorShape | CursorPosition] = []
        self.closed = False

    async def next_updates(self) -> list[CursorShape | CursorPosition]:
        return await self.updates.get()

    def current(self) -> list[CursorShape | CursorPosition]:
        return list(self.known)

    def close(self) -> None:
        self.closed = True


class CursorSink(RecordingSink):
    async def send_cursor(self, update: CursorShape | CursorPosition) -> None:
        self.sent.append(update)


async def until(predicate: object, what: str) -> None:
    for _ in range(300):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_the_pointer_goes_with_keyframes_and_on_its_own(screen: FakeScreen) -> None:
    cursor = ManualCursor()
    arrow = CursorShape(1, 2, 2, 0, 0, b"png")
    cursor.known = [arrow, CursorPosition(5, 6)]
    pipeline = FramePipeline(screen, changes=ManualChanges(), cursor=cursor)
    sink = CursorSink()
    task = asyncio.create_task(pipeline.run(sink))
    try:
        # Moves while nothing is shared are not sent.
        await cursor.updates.put([CursorPosition(1, 1)])
        await asyncio.sleep(0.02)
        assert sink.sent == []
        pipeline.set_active(True)
        await until(lambda: len(sink.sent) >= 4, "the keyframe")
        kinds = [type(item).__name__ for item in sink.sent]
        assert kinds[1:] == ["CursorShape", "CursorPosition", "FrameUpdate"]
        assert sink.sent[0][0] == "screen"  # type: ignore[index]
        assert sink.sent[1:3] == [arrow, CursorPosition(5, 6)]
        # A move needs no credit and no frame.
        await cursor.updates.put([CursorPosition(7, 8)])
        await until(lambda: len(sink.sent) >= 5, "the move")
        assert sink.sent[4] == CursorPosition(7, 8)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        pipeline.close()
    assert cursor.closed


async def test_the_pointer_is_placed_on_the_shared_region(screen: FakeScreen) -> None:
    class Offset(FakeScreen):
        origin = (1000, 500)

    cursor = ManualCursor()
    pipeline = FramePipeline(Offset(320, 200), changes=ManualChanges(), cursor=cursor)
    sink = CursorSink()
    task = asyncio.create_task(pipeline.run(sink))
    try:
        pipeline.set_active(True)
        await until(lambda: len(sink.sent) >= 2, "the keyframe")
        await cursor.updates.put([CursorPosition(1010, 480)])
        await until(lambda: len(sink.sent) >= 3, "the move")
        assert sink.sent[-1] == CursorPosition(10, -20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        pipeline.close()
