"""Credit: how many frames may be in flight before the viewer acknowledges one.

The viewer acknowledges each frame it displays (``FrameAck``); an
acknowledgement covers every older frame too. The agent keeps at most
``limit`` frames unacknowledged; while it has no credit it sends nothing,
and queues nothing (DESIGN.md, "Flow control").

Called from the event loop's thread only.
"""

from __future__ import annotations

import collections

MAX_UNACKED_FRAMES = 2
# A safety net only: frames the relay dropped are normally followed by a
# keyframe request. If acks stop for this long, assume they are lost.
ACK_TIMEOUT_SECONDS = 10.0


class Credit:
    """The frames in flight, and the ids of the frames to come.

    Args:
        limit: frames that may be in flight without an acknowledgement.
    """

    def __init__(self, limit: int = MAX_UNACKED_FRAMES) -> None:
        self.limit = limit
        self._in_flight: collections.deque[tuple[int, float]] = collections.deque()
        self._next_frame_id = 1

    @property
    def available(self) -> int:
        """How many more frames may be sent before an acknowledgement comes back."""
        return max(0, self.limit - len(self._in_flight))

    @property
    def in_flight(self) -> list[int]:
        """Ids of the frames sent and not yet acknowledged, oldest first."""
        return [frame_id for frame_id, _ in self._in_flight]

    def next_frame_id(self) -> int:
        """The id of the next frame: 1 to 2**32 - 1, then 1 again."""
        frame_id = self._next_frame_id
        self._next_frame_id = (self._next_frame_id + 1) & 0xFFFFFFFF or 1
        return frame_id

    def sent(self, frame_id: int, at: float) -> None:
        """A frame left at ``at`` (a ``time.monotonic()`` reading)."""
        self._in_flight.append((frame_id, at))

    def acked(self, frame_id: int) -> bool:
        """The viewer displayed ``frame_id``: it and every older frame are acknowledged.

        Returns:
            False for an id not in flight (nothing changes).
        """
        if not any(sent == frame_id for sent, _ in self._in_flight):
            return False
        while self._in_flight and self._in_flight[0][0] != frame_id:
            self._in_flight.popleft()
        self._in_flight.popleft()
        return True

    def forget(self) -> None:
        """Frames in flight will never be acknowledged (the viewer rejoined)."""
        self._in_flight.clear()

    def lost(self, now: float) -> bool:
        """Whether the oldest frame in flight went ``ACK_TIMEOUT_SECONDS`` ago without an ack."""
        return bool(self._in_flight) and now - self._in_flight[0][1] > ACK_TIMEOUT_SECONDS
