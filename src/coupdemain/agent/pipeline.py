"""Capture → change detection → encoding → frame updates, under credit-based flow control.

The viewer acknowledges each frame it displays (``FrameAck``). The agent
keeps at most ``max_unacked`` frames unacknowledged; while it has no
credit it sends nothing, and queues nothing. When credit comes back it
diffs the *current* screen against the last picture it sent, so the
viewer gets the newest state of everything that changed meanwhile, in
one frame, instead of a backlog of stale ones. Latency stays low on a
slow link instead of growing (DESIGN.md, "Flow control").

Capture, diff and encoding run in one worker thread, off the event loop.
What wakes the pipeline is a ``ChangeSource``: XDamage where the X server
has it (``capture/damage.py``), which also says *where* the screen changed
so that only those tiles are grabbed; else a blind 30 fps ``FrameTimer``
with a whole-screen tile diff, nudged right after injected input.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..protocol.messages import ALL_MONITORS, CursorPosition, CursorShape, FrameUpdate, Screen
from .capture.base import Monitor, Pixels, Rect, ScreenSource
from .capture.changes import damage_tiles, dirty_tiles
from .encode.frame import FrameEncoder
from .rate import QualityController, frame_size
from .tiles import TILE, TileMap, all_tiles, merge_tiles, tile_groups

logger = logging.getLogger("coupdemain.agent.pipeline")

MAX_UNACKED_FRAMES = 2
# A safety net only: frames the relay dropped are normally followed by a
# keyframe request. If acks stop for this long, assume they are lost.
ACK_TIMEOUT_SECONDS = 10.0
DEFAULT_FPS = 30.0
# Damage over more than this share of the tiles: one whole grab and diff
# (4 + 3 ms at 1080p) beats many small grabs.
FULL_GRAB_SHARE = 0.5
# A group of damaged tiles that fills at least this share of its bounding
# box is grabbed as that one box: each grab costs about 0.05 ms of round
# trip and copying on its own, so eight bands of a moving area cost 0.4 ms
# where the one box costs 0.1 ms.
ONE_BOX_SHARE = 0.5
# After injected input without XDamage, the timer captures this soon, so that
# the application's echo shows without waiting for the next tick.
NUDGE_DELAY_SECONDS = 0.008
MIN_NUDGED_INTERVAL_SECONDS = 1 / 60
# A key, click or wheel turn is answered first (its frame goes without the
# video's change) when its answer comes within this long: an application's
# echo takes milliseconds; a change a second later is no answer to it.
ANSWER_WITHIN_SECONDS = 0.25


class ChangeSource(Protocol):
    """Tells the pipeline when, and where, the screen may have changed."""

    async def wait_for_change(self) -> None:
        """Returns once the screen may have changed since the previous call returned."""
        ...

    def take_damage(self) -> list[Rect] | None:
        """The rectangles drawn since the last call, in display coordinates.

        None: unknown, compare the whole screen.
        """
        ...

    def nudge(self) -> None:
        """Input was just injected: the screen is about to change."""
        ...

    def close(self) -> None:
        """Stops listening (called on the event loop's thread)."""
        ...


class FrameTimer:
    """A blind timer: "the screen may have changed" up to ``fps`` times a second.

    It knows nothing of where: every capture grabs and diffs the whole
    screen. A ``nudge`` (injected input) brings the next capture forward to
    ``NUDGE_DELAY_SECONDS`` from now, so that a typed key's echo does not
    wait for the next tick.

    Args:
        fps: the highest capture rate.
    """

    def __init__(self, fps: float = DEFAULT_FPS) -> None:
        self.interval = 1.0 / fps
        self._last = 0.0
        self._nudged: asyncio.Event | None = None

    async def wait_for_change(self) -> None:
        # Measured from the previous return, so capture and encoding time
        # count against the interval and a slow frame does not cause a burst.
        if self._nudged is None:
            self._nudged = asyncio.Event()
        delay = self._last + self.interval - time.monotonic()
        if delay > 0 and not self._nudged.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nudged.wait(), delay)
        if self._nudged.is_set():
            self._nudged.clear()
            # Soon, but not more often than 60 times a second: a dragged
            # pointer nudges at every move.
            await asyncio.sleep(max(NUDGE_DELAY_SECONDS,
                                    self._last + MIN_NUDGED_INTERVAL_SECONDS - time.monotonic()))
        self._last = time.monotonic()

    def take_damage(self) -> list[Rect] | None:
        return None

    def nudge(self) -> None:
        if self._nudged is not None:
            self._nudged.set()

    def close(self) -> None:
        pass


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


class CursorSource(Protocol):
    """The pointer's shape and position, in display coordinates (``capture/cursor.py``)."""

    async def next_updates(self) -> list[CursorShape | CursorPosition]:
        """Waits until the shape changes or the pointer moves; returns what changed."""
        ...

    def current(self) -> list[CursorShape | CursorPosition]:
        """The shape and position known now."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class PipelineOutput:
    """One step's result: a frame, and the geometry to announce before it, if new.

    ``origin`` is where the picture's top-left corner lies on the desktop:
    not 0, 0 when one monitor is shared.
    """

    update: FrameUpdate
    screen: Screen | None = None
    origin: tuple[int, int] = (0, 0)


def _grab_areas(touched: TileMap, width: int, height: int) -> list[Rect]:
    """The rectangles to grab for the ``touched`` tiles.

    Each group of touched tiles that fills its bounding box well enough is
    grabbed as that box; the tiles of the other groups go in bands. A
    moving picture and a counter far from it are two boxes, not the bands
    of the area between them.
    """
    scattered = np.zeros_like(touched)
    areas: list[Rect] = []
    for c0, r0, c1, r1, count in tile_groups(touched):
        if count >= ONE_BOX_SHARE * (r1 - r0 + 1) * (c1 - c0 + 1):
            x, y = c0 * TILE, r0 * TILE
            areas.append(
                Rect(x, y, min(width, (c1 + 1) * TILE) - x, min(height, (r1 + 1) * TILE) - y)
            )
        else:
            scattered[r0 : r1 + 1, c0 : c1 + 1] |= touched[r0 : r1 + 1, c0 : c1 + 1]
    if scattered.any():
        areas.extend(merge_tiles(scattered, width, height))
    return areas


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
        self.max_unacked = max_unacked
        self.changes: ChangeSource = changes or FrameTimer()
        self.cursor = cursor
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
        # The picture the viewer has once it displays every frame sent so far.
        self._sent: Pixels | None = None
        self._keyframe_pending = True
        self._next_frame_id = 1
        self._unacked: collections.deque[tuple[int, float]] = collections.deque()
        self._active = False
        # The monitor shared (an index into the source's monitors), or all of them.
        self._monitor = ALL_MONITORS
        self._region: Monitor | None = None
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
        starved = self.credits <= 0
        self.quality.frame_acked(frame_id, self._clock())
        while self._unacked and self._unacked[0][0] != frame_id:
            self._unacked.popleft()
        self._unacked.popleft()
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
        self._unacked.clear()
        self.quality.forget_in_flight()
        self.request_keyframe()

    def set_encodings(self, ids: list[int]) -> None:
        """The viewer paints these encodings (an ``Encodings`` message); SOLID, PNG, JPEG always."""
        chosen = self._encoder.set_encodings(ids)
        logger.info("viewer paints %s", ", ".join(sorted(e.name.lower() for e in chosen)))

    def select_monitor(self, index: int) -> None:
        """Shares one monitor (its index in the announced list), or all (-1), from a keyframe on."""
        self._monitor = index
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

    def produce(
        self, keyframe: bool, damage: list[Rect] | None = None
    ) -> PipelineOutput | None:
        """Captures the screen and encodes what changed since the last frame sent.

        Runs in the worker thread. Returns None when nothing changed. The
        caller accounts for credit; this method only remembers the picture.

        Args:
            keyframe: send the whole picture.
            damage: the rectangles drawn since the last call, in display
                coordinates: only their tiles are grabbed, into the picture
                the viewer has, and diffed. None: grab and diff everything.
        """
        if not keyframe and damage is not None and self._sent is not None:
            damaged = self._grab_damage(damage, self._sent)
            if damaged is not None:
                if not damaged.any() and not self._encoder.refresh_due(self._clock()):
                    return None
                height, width = self._sent.shape[:2]
                return self._encode_frame(self._sent, damaged, width, height, False, None)
        frame = self.source.capture()
        screen = None
        if keyframe or self._sent is None:
            # Monitors are read at each keyframe: one plugged in or out since shows up.
            screen = self._screen(frame.width, frame.height)
        pixels = frame.pixels
        if self._region is not None:
            region = self._region
            pixels = np.ascontiguousarray(
                pixels[region.y : region.y + region.height, region.x : region.x + region.width]
            )
        height, width = pixels.shape[:2]
        resized = self._sent is None or self._sent.shape != pixels.shape
        if resized and screen is None:
            screen = self._screen(frame.width, frame.height)
        if keyframe or resized:
            tiles = all_tiles(width, height)
            keyframe = True
        else:
            assert self._sent is not None
            tiles = dirty_tiles(self._sent, pixels)
            if not tiles.any() and not self._encoder.refresh_due(self._clock()):
                return None
        return self._encode_frame(pixels, tiles, width, height, keyframe, screen)

    def _grab_damage(self, damage: list[Rect], picture: Pixels) -> TileMap | None:
        """Grabs the tiles the damage touches into ``picture``; returns those that changed.

        ``picture`` (the viewer's picture, i.e. what was sent) is updated in
        place. Returns None when a whole grab is the better way: much of the
        screen is damaged, or an area could not be grabbed (a resize).
        """
        height, width = picture.shape[:2]
        ox, oy = self._region_origin()
        touched = damage_tiles(
            (Rect(r.x - ox, r.y - oy, r.width, r.height) for r in damage), width, height
        )
        if touched.sum() > touched.size * FULL_GRAB_SHARE:
            return None
        parts: list[tuple[Rect, Pixels]] = []
        for area in _grab_areas(touched, width, height):
            try:
                part = self.source.capture_area(Rect(area.x + ox, area.y + oy, area.width,
                                                     area.height))
            except Exception:  # noqa: BLE001 - e.g. the screen shrank: grab it all
                logger.debug("grabbing %s failed; grabbing the whole screen", area, exc_info=True)
                return None
            if part.shape != (area.height, area.width, 4):
                return None
            parts.append((area, part))
        # Only once every grab worked: the picture must not be half updated.
        changed = np.zeros_like(touched)
        for area, part in parts:
            sent = picture[area.y : area.y + area.height, area.x : area.x + area.width]
            row, col = area.y // TILE, area.x // TILE
            dirty = dirty_tiles(sent, part, drawn=True)
            changed[row : row + dirty.shape[0], col : col + dirty.shape[1]] |= dirty
            sent[...] = part
        return changed

    def _region_origin(self) -> tuple[int, int]:
        """Where the shared picture's top-left corner lies in display coordinates."""
        x, y = self.source.origin
        if self._region is not None:
            x, y = x + self._region.x, y + self._region.y
        return x, y

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
        self._sent = pixels
        if not encoded and not keyframe:
            return None
        frame_id = self._next_frame_id
        self._next_frame_id = (self._next_frame_id + 1) & 0xFFFFFFFF or 1
        update = FrameUpdate(frame_id, encoded, keyframe=keyframe)
        if screen is not None:
            screen = dataclasses.replace(screen, width=width, height=height)
        origin = (self._region.x, self._region.y) if self._region is not None else (0, 0)
        return PipelineOutput(update, screen if keyframe else None, origin)

    def _screen(self, width: int, height: int) -> Screen:
        """Reads the monitors and picks the region shared; the size is the picture's."""
        monitors = self.source.monitors()
        if not 0 <= self._monitor < len(monitors):
            if self._monitor != ALL_MONITORS:
                logger.info("monitor %d is gone; sharing all of them", self._monitor + 1)
            self._monitor = ALL_MONITORS
        self._region = None
        if self._monitor != ALL_MONITORS and len(monitors) > 1:
            monitor = monitors[self._monitor]
            # Clipped to the picture: a monitor reported partly off-screen shares what exists.
            x, y = max(0, monitor.x), max(0, monitor.y)
            self._region = Monitor(
                x, y,
                max(1, min(monitor.width, width - x)), max(1, min(monitor.height, height - y)),
                monitor.name, monitor.primary,
            )
        return Screen(
            width, height,
            monitors=[
                {"x": mon.x, "y": mon.y, "width": mon.width, "height": mon.height,
                 "name": mon.name, "primary": mon.primary}
                for mon in monitors
            ],
            monitor=self._monitor if self._region is not None else ALL_MONITORS,
        )

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
            self._unacked.append((output.update.frame_id, time.monotonic()))
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
        timeout = ACK_TIMEOUT_SECONDS if self._active and self._unacked else None
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
        if self.cursor is not None:
            pointer = asyncio.create_task(self._follow_cursor(sink), name="cursor")
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
                if output.update.keyframe and self.cursor is not None:
                    # A viewer that starts from nothing gets the pointer too.
                    for update in self.cursor.current():
                        await sink.send_cursor(self._on_picture(update))
                await sink.send_frame(output.update)
                sent += 1
        finally:
            if self._change_task is not None:
                self._change_task.cancel()
                self._change_task = None
            if pointer is not None:
                pointer.cancel()
                await asyncio.gather(pointer, return_exceptions=True)

    async def _follow_cursor(self, sink: FrameSink) -> None:
        """Sends the pointer's changes while active; they need no credit (a few bytes)."""
        assert self.cursor is not None
        while True:
            try:
                updates = await self.cursor.next_updates()
            except Exception:  # the frames go on; the viewer keeps the last pointer
                logger.warning("following the pointer failed", exc_info=True)
                return
            if not self._active or self._sent is None:
                continue  # the keyframe that comes with activation carries them
            for update in updates:
                await sink.send_cursor(self._on_picture(update))

    def _on_picture(self, update: CursorShape | CursorPosition) -> CursorShape | CursorPosition:
        """A position in the shared picture's pixels rather than the display's."""
        if isinstance(update, CursorPosition):
            x, y = self._region_origin()
            return CursorPosition(update.x - x, update.y - y)
        return update

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
