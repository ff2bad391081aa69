"""Waits → grabs → encodes → sends: frame updates from the screen, as credit allows.

The viewer acknowledges each frame it displays (``FrameAck``). The agent
keeps at most ``max_unacked`` frames unacknowledged (``credit.py``); while
it has no credit it sends nothing, and queues nothing. When credit comes
back it diffs the *current* screen against the last picture it grabbed, so
the viewer gets the newest state of everything that changed meanwhile, in
one frame, instead of a backlog of stale ones. Latency stays low on a
slow link instead of growing (DESIGN.md, "Flow control").

Each step, in order:

- **waits** for a ``ChangeSource`` (``capture/``): XDamage where the X
  server has it (``capture/damage.py``), which also says *where* the
  screen changed; else a blind 30 fps ``FrameTimer`` (``capture/timer.py``),
  nudged right after injected input. It also wakes for an acknowledgement,
  a keyframe request, or a refresh that is due; at a lowered quality level
  not before the frame rate's next slot (``rate.py``).
- **grabs**, in one worker thread off the event loop: only the damaged
  tiles into the picture last grabbed (``capture/grab.py``), or the whole
  shared region (``capture/monitors.py``), diffed into a tile map
  (``capture/changes.py``, ``tiles.py``).
- **encodes** in the same thread (``encode/frame.py``, which keeps the one
  model of the viewer's picture).
- **sends** the geometry (before a keyframe), the frame and, beside them,
  the pointer (``pointer.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ..protocol.frames import CursorPosition, CursorShape, FrameUpdate
from ..protocol.messages import Screen
from .capture.base import ChangeSource, CursorSource, Pixels, Rect, ScreenSource
from .capture.changes import dirty_tiles
from .capture.grab import grab_damage
from .capture.monitors import MonitorChoice
from .capture.timer import DEFAULT_FPS, FrameTimer
from .credit import ACK_TIMEOUT_SECONDS, MAX_UNACKED_FRAMES, Credit
from .encode.frame import FrameEncoder
from .pointer import PointerForwarder
from .rate import QualityController, frame_size
from .tiles import TileMap, all_tiles

# Where they were first defined: the agent's app and tests import them from here.
__all__ = ["ChangeSource", "CursorSource", "FramePipeline", "FrameSink", "FrameTimer",
           "PipelineOutput"]

logger = logging.getLogger("coupdemain.agent.pipeline")

# A key, click or wheel turn is answered first (its frame goes without the
# video's change) when its answer comes within this long: an application's
# echo takes milliseconds; a change a second later is no answer to it.
ANSWER_WITHIN_SECONDS = 0.25


class FrameSink(Protocol):
    """Where the pipeline's output goes: the connection to the server."""

    async def send_screen(self, screen: Screen) -> None:
        """Announces the picture's geometry and the monitors; comes before its keyframe."""
        ...

    async def send_frame(self, update: FrameUpdate) -> None:
        """Sends one frame update."""
        ...

    async def send_cursor(self, update: CursorShape | CursorPosition) -> None:
        """Sends the pointer's shape or position (only with a ``CursorSource``)."""
        ...


@dataclass(frozen=True, slots=True)
class PipelineOutput:
    """One step's result: a frame, and the geometry to announce before it, if new.

    ``origin`` is where the picture's top-left corner lies on the desktop:
    not 0, 0 when one monitor is shared.
    """

    update: FrameUpdate
    screen: Screen | None = None
    origin: tuple[int, int] = (0, 0)


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
        cursor: the pointer's shape and position, sent apart from the
            frames while active (and again with each keyframe); None: none.
    """

    def __init__(
        self,
        source: ScreenSource,
        *,
        max_unacked: int = MAX_UNACKED_FRAMES,
        changes: ChangeSource | None = None,
        executor: Executor | None = None,
        cursor: CursorSource | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.credit = Credit(max_unacked)
        self.changes: ChangeSource = changes or FrameTimer()
        self.cursor = cursor
        self._pointer = (PointerForwarder(cursor, self._region_origin)
                         if cursor is not None else None)
        self._own_executor = executor is None
        self._executor: Executor = executor or ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="coupdemain-capture"
        )
        # What to encode how (encode/frame.py): motion as video, rest as
        # lossless refresh, quality and frame rate from the measured delay.
        self._clock = clock
        self.quality = QualityController(frames_in_flight=max_unacked)
        self._encoder = FrameEncoder(self.quality)
        self._last_output_at = -1e9
        self._held = False  # a change waits for the frame rate's next slot
        # The shared picture as last grabbed (damage grabs update it in
        # place). What the viewer has is the encoder's to know.
        self._grabbed: Pixels | None = None
        self._keyframe_pending = True
        self._active = False
        self._monitors = MonitorChoice()
        # Where the viewer's picture starts on the desktop, as last announced.
        self.origin = (0, 0)
        self._kick = asyncio.Event()
        self._change_task: asyncio.Future[None] | None = None
        # A capture failed after taking the damage: the next one diffs everything.
        self._damage_lost = False
        # When the last input that asks for an answer on screen came (set on
        # the event loop's thread), and the last one a frame answered (set in
        # the worker).
        self._input_at = -1e9
        self._answered_input_at = -1e9

    # --- flow control (event loop thread) ----------------------------------

    @property
    def max_unacked(self) -> int:
        """Frames that may be in flight without an acknowledgement."""
        return self.credit.limit

    @property
    def credits(self) -> int:
        """How many more frames may be sent before an acknowledgement comes back."""
        return self.credit.available

    @property
    def unacked(self) -> list[int]:
        """Ids of the frames sent and not yet acknowledged, oldest first."""
        return self.credit.in_flight

    @property
    def active(self) -> bool:
        return self._active

    def receive_ack(self, frame_id: int) -> None:
        """The viewer displayed ``frame_id``: it and every older frame are acknowledged."""
        if frame_id not in self.credit.in_flight:
            logger.debug("ack for unknown frame %d ignored", frame_id)
            return
        starved = self.credits <= 0
        self.quality.frame_acked(frame_id, self._clock())
        self.credit.acked(frame_id)
        if starved:
            # What changed while there was no credit goes now, not at the next change.
            self._kick.set()

    def nudge(self, *, answer_first: bool = False) -> None:
        """Input was just injected; the change source may capture sooner.

        Args:
            answer_first: the input asks for an answer (a key, a click, a
                wheel turn; not a mere move): the next frame that has
                changes outside video carries them alone, for
                ``ANSWER_WITHIN_SECONDS`` (``FrameEncoder.encode``).
        """
        if answer_first:
            self._input_at = self._clock()
        self.changes.nudge()

    def request_keyframe(self) -> None:
        """The next frame carries the whole screen, and is preceded by its geometry."""
        self._keyframe_pending = True
        self._kick.set()

    def reset(self) -> None:
        """Forgets frames in flight and starts over with a keyframe.

        For a viewer that (re)joined or a sharing that resumed: acks for
        frames sent before will never come.
        """
        self.credit.forget()
        self.quality.forget_in_flight()
        self.request_keyframe()

    def set_encodings(self, ids: list[int]) -> None:
        """The viewer paints these encodings (an ``Encodings`` message); SOLID, PNG, JPEG always."""
        chosen = self._encoder.set_encodings(ids)
        logger.info("viewer paints %s", ", ".join(sorted(e.name.lower() for e in chosen)))

    def select_monitor(self, index: int) -> None:
        """Shares one monitor (its index in the announced list), or all (-1), from a keyframe on."""
        self._monitors.index = index
        self.request_keyframe()

    def set_active(self, active: bool) -> None:
        """Starts (after a ``reset``) or stops producing frames."""
        if active and not self._active:
            self.reset()
        self._active = active
        self._kick.set()

    def _expire_lost_acks(self) -> None:
        if self.credit.lost(time.monotonic()):
            logger.warning("no frame acknowledgement for %.0f s; starting over",
                           ACK_TIMEOUT_SECONDS)
            self.reset()

    # --- producing -----------------------------------------------------------

    def produce(
        self, keyframe: bool, damage: list[Rect] | None = None
    ) -> PipelineOutput | None:
        """Grabs what changed since the last grab and encodes it.

        Runs in the worker thread. Returns None when nothing changed. The
        caller accounts for credit; this method only remembers the picture.

        Args:
            keyframe: send the whole picture.
            damage: the rectangles drawn since the last call, in display
                coordinates: only their tiles are grabbed, into the picture
                last grabbed, and diffed. None: grab and diff everything.
        """
        if not keyframe and damage is not None and self._grabbed is not None:
            damaged = grab_damage(self.source, damage, self._grabbed, self._region_origin())
            if damaged is not None:
                if not damaged.any() and not self._encoder.refresh_due(self._clock()):
                    return None
                height, width = self._grabbed.shape[:2]
                return self._encode_frame(self._grabbed, damaged, width, height, False, None)
        frame = self.source.capture()
        screen = None
        if keyframe or self._grabbed is None:
            # Monitors are read at each keyframe: one plugged in or out since shows up.
            screen = self._screen(frame.width, frame.height)
        pixels = self._monitors.crop(frame.pixels)
        height, width = pixels.shape[:2]
        resized = self._grabbed is None or self._grabbed.shape != pixels.shape
        if resized and screen is None:
            screen = self._screen(frame.width, frame.height)
        if keyframe or resized:
            tiles = all_tiles(width, height)
            keyframe = True
        else:
            assert self._grabbed is not None
            tiles = dirty_tiles(self._grabbed, pixels)
            if not tiles.any() and not self._encoder.refresh_due(self._clock()):
                return None
        return self._encode_frame(pixels, tiles, width, height, keyframe, screen)

    def _region_origin(self) -> tuple[int, int]:
        """Where the shared picture's top-left corner lies in display coordinates."""
        x, y = self.source.origin
        cx, cy = self._monitors.corner
        return x + cx, y + cy

    def _encode_frame(
        self, pixels: Pixels, tiles: TileMap, width: int, height: int, keyframe: bool,
        screen: Screen | None,
    ) -> PipelineOutput | None:
        """Encodes the tiles marked of ``pixels`` (and what is due for a lossless
        refresh) into the next frame update; None when there is nothing to send."""
        now, input_at = self._clock(), self._input_at
        unanswered = (input_at > self._answered_input_at
                      and now - input_at <= ANSWER_WITHIN_SECONDS)
        encoded = tuple(self._encoder.encode(pixels, tiles, now, keyframe=keyframe,
                                             input_first=unanswered))
        if unanswered and self._encoder.answered_input:
            self._answered_input_at = input_at
        self._grabbed = pixels
        if not encoded and not keyframe:
            return None
        update = FrameUpdate(self.credit.next_frame_id(), encoded, keyframe=keyframe)
        if screen is not None:
            screen = dataclasses.replace(screen, width=width, height=height)
        return PipelineOutput(update, screen if keyframe else None, self._monitors.corner)

    def _screen(self, width: int, height: int) -> Screen:
        """Reads the monitors and picks the region shared; the size is the picture's."""
        monitors = self.source.monitors()
        self._monitors.update(monitors, width, height)
        return Screen(width, height, monitors=[dataclasses.asdict(mon) for mon in monitors],
                      monitor=self._monitors.shared)

    async def next_output(self) -> PipelineOutput | None:
        """One step: if credit allows, produce a frame in the worker thread.

        Returns:
            The frame to send (already counted as in flight), or None when
            there is no credit or nothing changed.
        """
        self._expire_lost_acks()
        if self.credits <= 0:
            return None
        now = self._clock()
        if (not self._keyframe_pending and self.quality.quality.fps < DEFAULT_FPS
                and now - self._last_output_at < self._frame_interval() - 1e-6):
            # Over the frame rate a lowered quality level allows: the change
            # waits for the next slot (``_wait_for_work`` wakes up for it).
            # At full rate the change source alone sets the pace.
            self._held = True
            return None
        self._held = False
        keyframe, self._keyframe_pending = self._keyframe_pending, False
        # Damage is taken only now, with credit: what was drawn while there
        # was none is grabbed at once, in its newest state.
        damage = self.changes.take_damage()
        if self._damage_lost:
            damage, self._damage_lost = None, False
        loop = asyncio.get_running_loop()
        try:
            output = await loop.run_in_executor(self._executor, self.produce, keyframe, damage)
        except BaseException:
            self._keyframe_pending = self._keyframe_pending or keyframe
            self._damage_lost = True
            raise
        if output is not None:
            self.credit.sent(output.update.frame_id, time.monotonic())
            self._last_output_at = self._clock()
            self.quality.frame_sent(output.update.frame_id, frame_size(output.update.rects),
                                    self._last_output_at)
        return output

    def _frame_interval(self) -> float:
        # A little early is fine: timers and clocks jitter by a millisecond or two.
        return 1.0 / self.quality.quality.fps - 0.002

    def _seconds_until_due(self) -> float | None:
        """How long until a held change or a lossless refresh must go out, if any."""
        now = self._clock()
        if self._held:
            # Nothing goes before the frame rate's next slot: a refresh (or a
            # video's change held back for an answer) due sooner waits for it
            # too, rather than wake the loop again and again until then.
            return max(0.0, self._last_output_at + self._frame_interval() - now)
        return self._encoder.seconds_until_due(now)

    async def _wait_for_work(self) -> None:
        """Waits for a possible change on screen, or for a kick (keyframe, activation, ack).

        Changes are listened to only while active and with credit: without
        credit only an acknowledgement (or the ack timeout) can help.
        """
        if self._kick.is_set():
            self._kick.clear()
            return
        kick: asyncio.Future[Any] = asyncio.ensure_future(self._kick.wait())
        waiters: set[asyncio.Future[Any]] = {kick}
        if self._active and self.credits > 0:
            if self._change_task is None:
                self._change_task = asyncio.ensure_future(self.changes.wait_for_change())
            waiters.add(self._change_task)
        timeout = ACK_TIMEOUT_SECONDS if self._active and self.unacked else None
        if self._active and self.credits > 0:
            due = self._seconds_until_due()
            if due is not None:
                timeout = due if timeout is None else min(timeout, due)
        try:
            done, _ = await asyncio.wait(
                waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            kick.cancel()
        if self._change_task is not None and self._change_task in done:
            self._change_task = None
        self._kick.clear()

    async def run(self, sink: FrameSink, *, max_frames: int | None = None) -> None:
        """Sends frames to ``sink`` while active, until cancelled.

        Args:
            sink: receives geometries and frame updates, in order.
            max_frames: stop after this many frames (tests and benchmarks).
        """
        sent = 0
        pointer = None
        if self._pointer is not None:
            pointer = asyncio.create_task(
                self._pointer.follow(sink.send_cursor,
                                     lambda: self._active and self._grabbed is not None),
                name="cursor")
        try:
            while max_frames is None or sent < max_frames:
                await self._wait_for_work()
                if not self._active:
                    continue
                output = await self.next_output()
                if output is None or not self._active:
                    continue
                if output.screen is not None:
                    self.origin = output.origin
                    await sink.send_screen(output.screen)
                if output.update.keyframe and self._pointer is not None:
                    # A viewer that starts from nothing gets the pointer too.
                    for update in self._pointer.current():
                        await sink.send_cursor(update)
                await sink.send_frame(output.update)
                sent += 1
        finally:
            if self._change_task is not None:
                self._change_task.cancel()
                self._change_task = None
            if pointer is not None:
                pointer.cancel()
                await asyncio.gather(pointer, return_exceptions=True)

    def close(self) -> None:
        """Frees the capture handles (in their own thread), the change source and the thread.

        Called on the event loop's thread.
        """
        for listener in (self.changes, self.cursor):
            try:
                if listener is not None:
                    listener.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                logger.debug("closing %r failed", listener, exc_info=True)
        if self._own_executor:
            try:
                self._executor.submit(self.source.close).result(timeout=5)
            except Exception:  # noqa: BLE001 - closing is best effort
                logger.debug("closing the screen source failed", exc_info=True)
            self._executor.shutdown(wait=False, cancel_futures=True)
        else:
            self.source.close()
