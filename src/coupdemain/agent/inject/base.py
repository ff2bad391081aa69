"""The input seam: what the agent does with the technician's keys and pointer."""

from __future__ import annotations

from typing import Protocol

# Bits of ``Pointer.buttons``, as ``MouseEvent.buttons`` numbers them.
BUTTON_LEFT = 1
BUTTON_RIGHT = 2
BUTTON_MIDDLE = 4
BUTTON_BACK = 8
BUTTON_FORWARD = 16
# Wheel notches per event beyond which the rest is dropped: a runaway
# trackpad must not scroll a document for seconds.
MAX_WHEEL_NOTCHES = 10


class InputSink(Protocol):
    """Something that makes keys and pointer events happen on this computer.

    Calls come from one thread (the agent's event loop).
    """

    def key(self, code: str, key: str, down: bool) -> None:
        """Presses or releases a key.

        Args:
            code: ``KeyboardEvent.code``, the physical key ("KeyA", "ShiftLeft").
            key: ``KeyboardEvent.key``, what it produced ("a", "A", "Enter", "é").
            down: True for a press, False for a release.
        """
        ...

    def pointer(self, x: int, y: int, buttons: int) -> None:
        """Moves the pointer to (x, y) and holds exactly ``buttons`` (BUTTON_* bits)."""
        ...

    def wheel(self, x: int, y: int, dx: int, dy: int) -> None:
        """Turns the wheel at (x, y): ``dy`` > 0 scrolls down, ``dx`` > 0 right, in notches."""
        ...

    def release_all(self) -> None:
        """Releases every key and button this sink holds down."""
        ...

    def close(self) -> None:
        """Releases everything and frees the sink's handles."""
        ...
