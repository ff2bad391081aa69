"""An input sink that records what it is asked to do, for tests."""

from __future__ import annotations

from .base import MAX_WHEEL_NOTCHES


class RecordingInputSink:
    """Keeps ``[("key_down", "KeyA"), ("pointer", 10, 20, 1), ...]`` instead of injecting.

    It tracks held keys and buttons like a real sink, so that tests can
    check what ``release_all`` lets go of.
    """

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []
        self.held_keys: list[str] = []
        self.buttons = 0
        self.closed = False

    def key(self, code: str, key: str, down: bool) -> None:
        ident = code or key
        self.events.append(("key_down" if down else "key_up", ident))
        if down and ident not in self.held_keys:
            self.held_keys.append(ident)
        elif not down and ident in self.held_keys:
            self.held_keys.remove(ident)

    def pointer(self, x: int, y: int, buttons: int) -> None:
        self.events.append(("pointer", x, y, buttons))
        self.buttons = buttons

    def wheel(self, x: int, y: int, dx: int, dy: int) -> None:
        clamp = MAX_WHEEL_NOTCHES
        self.events.append(
            ("wheel", x, y, max(-clamp, min(clamp, dx)), max(-clamp, min(clamp, dy)))
        )

    def release_all(self) -> None:
        self.events.append(("release_all",))
        self.held_keys.clear()
        self.buttons = 0

    def close(self) -> None:
        self.release_all()
        self.closed = True
