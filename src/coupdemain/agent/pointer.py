"""The pointer beside the frames: its shape and position, sent as they change.

They need no credit (a few bytes each), and go while the pipeline is
active and the viewer has a picture; a keyframe carries them again, for a
viewer that starts from nothing. Positions are moved from the display's
coordinates onto the shared picture's (one monitor of several).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ..protocol.frames import CursorPosition, CursorShape
from .capture.base import CursorSource

logger = logging.getLogger("coupdemain.agent.pointer")

CursorUpdate = CursorShape | CursorPosition


class PointerForwarder:
    """Sends a ``CursorSource``'s changes on the shared picture.

    Args:
        cursor: the pointer's shape and position, in display coordinates.
        origin: where the shared picture's top-left corner lies in display
            coordinates, now.
    """

    def __init__(self, cursor: CursorSource, origin: Callable[[], tuple[int, int]]) -> None:
        self.cursor = cursor
        self._origin = origin

    def current(self) -> list[CursorUpdate]:
        """The shape and position known now, on the picture."""
        return [self.on_picture(update) for update in self.cursor.current()]

    async def follow(
        self, send: Callable[[CursorUpdate], Awaitable[None]], showing: Callable[[], bool]
    ) -> None:
        """Sends the pointer's changes while ``showing()``; returns if following fails."""
        while True:
            try:
                updates = await self.cursor.next_updates()
            except Exception:  # the frames go on; the viewer keeps the last pointer
                logger.warning("following the pointer failed", exc_info=True)
                return
            if not showing():
                continue  # the keyframe that comes with activation carries them
            for update in updates:
                await send(self.on_picture(update))

    def on_picture(self, update: CursorUpdate) -> CursorUpdate:
        """A position in the shared picture's pixels rather than the display's."""
        if isinstance(update, CursorPosition):
            x, y = self._origin()
            return CursorPosition(update.x - x, update.y - y)
        return update
