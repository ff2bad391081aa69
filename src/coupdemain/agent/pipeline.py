"""Capture → change detection → encoding → frame updates, under credit-based flow control.

The viewer acknowledges each frame it displays (``FrameAck``). The agent
keeps at most ``max_unacked`` frames unacknowledged; while it has no
credit it sends nothing, and queues nothing. When credit comes back it
diffs the *current* screen against the last picture it sent, so the
viewer gets the newest state of everything that changed meanwhile, in
one frame, instead of a backlog of stale ones. Latency stays low on a
slow link instead of growing (DESIGN.md, "Flow control").

Capture, diff and encoding run in one worker thread, off the event loop.
What wakes the pipeline is a ``ChangeSource``: a blind 30 fps timer for
now; an XDamage listener can replace it without touching this module.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ..protocol.messages import FrameUpdate
from .capture.base import Pixels, ScreenSource
from .changes import all_tiles, dirty_tiles, merge_tiles
from .encode.choose import RectEncoder

logger = logging.getLogger("coupdemain.agent.pipeline")

MAX_UNACKED_FRAMES = 2
# A safety net only: frames the relay dropped are normally followed by a
# keyframe request. If acks stop for this long, assume they are lost.
ACK_TIMEOUT_SECONDS = 10.0
DEFAULT_FPS = 30.0


class ChangeSource(Protocol):
    """Tells the pipeline when the screen may have changed."""

    async def wait_for_change(self) -> None:
        """Returns once the screen may have changed since the previous call returned."""
        ...


class FrameTimer:
    """A blind timer: "the screen may have changed" up to ``fps`` times a second.

    Args:
        fps: the highest capture rate.
    """

    def __init__(self, fps: float = DEFAULT_FPS) -> None:
        self.interval = 1.0 / fps
        self._last = 0.0

    async def wait_for_change(self) -> None:
        # Measured from the previous return, so capture and encoding time
        # count against the interval and a slow frame does not cause a burst.
        delay = self._last + self.interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._last = time.monotonic()


class FrameSink(Protocol):
    """Where the pipeline's output goes: the connection to the server."""

    async def send_screen(self, width: int, height: int) -> None:
        """Announces the screen's geometry; comes before the keyframe it applies to."""
        ...

    async def send_frame(self, update: FrameUpdate) -> None:
        """Sends one frame update."""
        ...


@dataclass(frozen=True, slots=True)
class PipelineOutput:
    """One step's result: a frame, and the geometry to announce before it, if new."""

    update: FrameUpdate
    screen: tuple[int, int] | None = None


class FramePipeline:
    """Produces frame updates from a screen source, as credit allows.

    The flow-control methods (``receive_ack``, ``request_keyframe``,
    ``reset``, ``set_active``) are called from the event loop's thread.

    Args:
        source: the screen to capture.
        max_unacked: frames that may be in flight without an acknowledgement.
        changes: what wakes the pipeline; a 30 fps ``FrameTimer`` by default.
        executor: where capture and encoding run; a private one-thread pool
            by default (capture handles must stay in one thread).
    """

    def __init__(
        self,
        source: ScreenSource,
        *,
        max_unacked: int = MAX_UNACKED_FRAMES,
        changes: ChangeSource | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.source = source
        self.max_unacked = max_unacked
        self.changes: ChangeSource = changes or FrameTimer()
        self._own_executor = executor is None
        self._executor: Executor = executor or ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="coupdemain-capture"
        )
        self._encoder = RectEncoder()
        # The picture the viewer has once it displays every frame sent so far.
        self._sent: Pixels | None = None
        self._keyframe_pending = True
        self._next_frame_id = 1
        self._unacked: collections.deque[tuple[int, float]] = collections.deque()
        self._active = False
        self._kick = asyncio.Event()
        self._change_task: asyncio.Future[None] | None = None

    # --- flow control (event loop thread) ----------------------------------

    @property
    def credits(self) -> int:
        """How many more frames may be sent before an acknowledgement comes back."""
        return max(0, self.max_unacked - len(self._unacked))

    @property
    def unacked(self) -> list[int]:
        """Ids of the frames sent and not yet acknowledged, oldest first."""
        return [frame_id for frame_id, _ in self._unacked]

    @property
    def active(self) -> bool:
        return self._active

    def receive_ack(self, frame_id: int) -> None:
        """The viewer displayed ``frame_id``: it and every older frame are acknowledged."""
        if not any(sent == frame_id for sent, _ in self._unacked):
            logger.debug("ack for unknown frame %d ignored", frame_id)
            return
        while self._unacked and self._unacked[0][0] != frame_id:
            self._unacked.popleft()
        self._unacked.popleft()

    def request_keyframe(self) -> None:
        """The next frame carries the whole screen, and is preceded by its geometry."""
        self._keyframe_pending = True
        self._kick.set()

    def reset(self) -> None:
        """Forgets frames in flight and starts over with a keyframe.

        For a viewer that (re)joined or a sharing that resumed: acks for
        frames sent before will never come.
        """
        self._unacked.clear()
        self.request_keyframe()

    def set_active(self, active: bool) -> None:
        """Starts (after a ``reset``) or stops producing frames."""
        if active and not self._active:
            self.reset()
        self._active = active
        self._kick.set()

    def _expire_lost_acks(self) -> None:
        if self._unacked and time.monotonic() - self._unacked[0][1] > ACK_TIMEOUT_SECONDS:
            logger.warning("no frame acknowledgement for %.0f s; starting over",
                           ACK_TIMEOUT_SECONDS)
            self.reset()

    # --- producing -----------------------------------------------------------

    def produce(self, keyframe: bool) -> PipelineOutput | None:
        """Captures the screen and encodes what changed since the last frame sent.

        Runs in the worker thread. Returns None when nothing changed. The
        caller accounts for credit; this method only remembers the picture.
        """
        frame = self.source.capture()
        pixels = frame.pixels
        resized = self._sent is None or self._sent.shape != pixels.shape
        if keyframe or resized:
            tiles = all_tiles(frame.width, frame.height)
            keyframe = True
        else:
            assert self._sent is not None
            tiles = dirty_tiles(self._sent, pixels)
            if not tiles.any():
                return None
        rects = merge_tiles(tiles, frame.width, frame.height)
        encoded = tuple(self._encoder.encode_rect(pixels, rect) for rect in rects)
        self._sent = pixels
        frame_id = self._next_frame_id
        self._next_frame_id = (self._next_frame_id + 1) & 0xFFFFFFFF or 1
        update = FrameUpdate(frame_id, encoded, keyframe=keyframe)
        return PipelineOutput(update, (frame.width, frame.height) if keyframe else None)

    async def next_output(self) -> PipelineOutput | None:
        """One step: if credit allows, produce a frame in the worker thread.

        Returns:
            The frame to send (already counted as in flight), or None when
            there is no credit or nothing changed.
        """
        self._expire_lost_acks()
        if self.credits <= 0:
            return None
        keyframe, self._keyframe_pending = self._keyframe_pending, False
        loop = asyncio.get_running_loop()
        try:
            output = await loop.run_in_executor(self._executor, self.produce, keyframe)
        except BaseException:
            self._keyframe_pending = self._keyframe_pending or keyframe
            raise
        if output is not None:
            self._unacked.append((output.update.frame_id, time.monotonic()))
        return output

    async def _wait_for_work(self) -> None:
        """Waits for a possible change on screen, or for a kick (keyframe, activation)."""
        if self._kick.is_set():
            self._kick.clear()
            return
        if self._change_task is None:
            self._change_task = asyncio.ensure_future(self.changes.wait_for_change())
        kick: asyncio.Future[Any] = asyncio.ensure_future(self._kick.wait())
        waiters: set[asyncio.Future[Any]] = {self._change_task, kick}
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            kick.cancel()
        if self._change_task in done:
            self._change_task = None
        self._kick.clear()

    async def run(self, sink: FrameSink, *, max_frames: int | None = None) -> None:
        """Sends frames to ``sink`` while active, until cancelled.

        Args:
            sink: receives geometries and frame updates, in order.
            max_frames: stop after this many frames (tests and benchmarks).
        """
        sent = 0
        try:
            while max_frames is None or sent < max_frames:
                await self._wait_for_work()
                if not self._active:
                    continue
                output = await self.next_output()
                if output is None or not self._active:
                    continue
                if output.screen is not None:
                    await sink.send_screen(*output.screen)
                await sink.send_frame(output.update)
                sent += 1
        finally:
            if self._change_task is not None:
                self._change_task.cancel()
                self._change_task = None

    def close(self) -> None:
        """Frees the capture handles (in their own thread) and the worker thread."""
        if self._own_executor:
            try:
                self._executor.submit(self.source.close).result(timeout=5)
            except Exception:  # noqa: BLE001 - closing is best effort
                logger.debug("closing the screen source failed", exc_info=True)
            self._executor.shutdown(wait=False, cancel_futures=True)
        else:
            self.source.close()
