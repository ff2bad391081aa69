"""Input injection on X11 through the XTEST extension (python-xlib).

Keys: ``KeyboardEvent.key`` says which character the technician meant,
so a single character is typed as that character's keysym, whatever the
layout of either keyboard; Shift is added (or lifted) when the keysym sits
on the other level. Named keys (Enter, ArrowLeft...) map to their keysyms,
and modifiers use ``code`` to keep their side (ShiftLeft → Shift_L). A
character that no key of this computer produces gets a spare keycode
remapped to it, as xdotool does. Such remaps are kept, in a small
least-recently-used pool, until ``close()``: undoing one right after the
release races with the application reading the keymap.
"""

from __future__ import annotations

import collections
import logging
import os
from typing import Any

# python-xlib ships no type information.
from Xlib import XK, X  # type: ignore[import-untyped]
from Xlib import display as xdisplay
from Xlib import error as xerror
from Xlib.ext import xtest  # type: ignore[import-untyped]

from .base import (
    BUTTON_BACK,
    BUTTON_FORWARD,
    BUTTON_LEFT,
    BUTTON_MIDDLE,
    BUTTON_RIGHT,
    MAX_WHEEL_NOTCHES,
)

logger = logging.getLogger("coupdemain.agent.inject")

# KeyboardEvent.key names → X keysym names.
KEY_NAMES: dict[str, str] = {
    "Enter": "Return", "Backspace": "BackSpace", "Tab": "Tab", "Escape": "Escape",
    "Delete": "Delete", "Insert": "Insert", "Home": "Home", "End": "End",
    "PageUp": "Prior", "PageDown": "Next",
    "ArrowLeft": "Left", "ArrowRight": "Right", "ArrowUp": "Up", "ArrowDown": "Down",
    "CapsLock": "Caps_Lock", "NumLock": "Num_Lock", "ScrollLock": "Scroll_Lock",
    "Pause": "Pause", "PrintScreen": "Print", "ContextMenu": "Menu",
    "AltGraph": "ISO_Level3_Shift",
    **{f"F{n}": f"F{n}" for n in range(1, 13)},
}

# KeyboardEvent.code names → X keysym names, for modifiers (their side
# matters) and as a fallback when ``key`` names nothing we know ("Dead").
CODE_NAMES: dict[str, str] = {
    "ShiftLeft": "Shift_L", "ShiftRight": "Shift_R",
    "ControlLeft": "Control_L", "ControlRight": "Control_R",
    "AltLeft": "Alt_L", "AltRight": "Alt_R",
    "MetaLeft": "Super_L", "MetaRight": "Super_R",
    "OSLeft": "Super_L", "OSRight": "Super_R",
    "Space": "space", "Minus": "minus", "Equal": "equal",
    "BracketLeft": "bracketleft", "BracketRight": "bracketright",
    "Backslash": "backslash", "Semicolon": "semicolon", "Quote": "apostrophe",
    "Backquote": "grave", "Comma": "comma", "Period": "period", "Slash": "slash",
    "NumpadEnter": "KP_Enter", "NumpadAdd": "KP_Add", "NumpadSubtract": "KP_Subtract",
    "NumpadMultiply": "KP_Multiply", "NumpadDivide": "KP_Divide",
    "NumpadDecimal": "KP_Decimal",
    **{f"Numpad{n}": f"KP_{n}" for n in range(10)},
    **{f"Key{c}": c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{f"Digit{n}": str(n) for n in range(10)},
}
MODIFIER_CODES = frozenset(
    code for code in CODE_NAMES if code.startswith(("Shift", "Control", "Alt", "Meta", "OS"))
)
SHIFT_CODES = ("ShiftLeft", "ShiftRight")

# Viewer button bits → X button numbers (X: 1 left, 2 middle, 3 right).
BUTTONS: dict[int, int] = {
    BUTTON_LEFT: 1, BUTTON_MIDDLE: 2, BUTTON_RIGHT: 3, BUTTON_BACK: 8, BUTTON_FORWARD: 9,
}
WHEEL_UP, WHEEL_DOWN, WHEEL_LEFT, WHEEL_RIGHT = 4, 5, 6, 7
# Spare keycodes kept remapped at once; the oldest is reused past this.
MAX_REMAPPED = 8


class InjectError(RuntimeError):
    """Input cannot be injected on this display."""


def char_keysym(char: str) -> int:
    """The X keysym of one character: Latin-1 keysyms equal their code point,
    every other character has its Unicode keysym (0x01000000 + code point)."""
    point = ord(char)
    if 0x20 <= point <= 0x7E or 0xA0 <= point <= 0xFF:
        return point
    return 0x01000000 | point


def keysym_for(code: str, key: str) -> int:
    """The keysym a ``Key`` message means, or 0 (NoSymbol) when nothing fits."""
    if code in MODIFIER_CODES:
        return int(XK.string_to_keysym(CODE_NAMES[code]))
    if len(key) == 1:
        return char_keysym(key)
    if key in KEY_NAMES:
        return int(XK.string_to_keysym(KEY_NAMES[key]))
    if code in CODE_NAMES:
        return int(XK.string_to_keysym(CODE_NAMES[code]))
    if code in KEY_NAMES:  # e.g. code "Enter", "ArrowLeft", "F5"
        return int(XK.string_to_keysym(KEY_NAMES[code]))
    return 0


class X11InputSink:
    """Injects keys, pointer and wheel into an X display with XTEST.

    Args:
        display: the X display, e.g. ":0"; defaults to ``$DISPLAY``.

    Raises:
        InjectError: the display cannot be opened or lacks XTEST.
    """

    def __init__(self, display: str | None = None) -> None:
        name = display or os.environ.get("DISPLAY", "")
        try:
            self._display: Any = xdisplay.Display(name or None)
        except (xerror.DisplayError, OSError) as exc:
            raise InjectError(f"cannot open X display {name!r}: {exc}") from exc
        if not self._display.has_extension("XTEST"):
            self._display.close()
            raise InjectError(f"X display {name!r} has no XTEST extension")
        screen = self._display.screen()
        self.width = int(screen.width_in_pixels)
        self.height = int(screen.height_in_pixels)
        self._min_keycode = int(self._display.display.info.min_keycode)
        self._max_keycode = int(self._display.display.info.max_keycode)
        self._held_keys: dict[str, int] = {}   # code → keycode pressed for it
        self._buttons = 0
        self._remapped: collections.OrderedDict[int, int] = collections.OrderedDict()
        self._keymap: dict[int, tuple[int, int]] = {}
        self._spare: list[int] = []
        self._load_keymap()

    # --- keymap --------------------------------------------------------------

    def _load_keymap(self) -> None:
        """Reads which keycode and level (0 plain, 1 shifted) produce each keysym."""
        count = self._max_keycode - self._min_keycode + 1
        mapping = self._display.get_keyboard_mapping(self._min_keycode, count)
        keymap: dict[int, tuple[int, int]] = {}
        spare: list[int] = []
        for offset, keysyms in enumerate(mapping):
            keycode = self._min_keycode + offset
            if not any(keysyms):
                spare.append(keycode)
                continue
            # Levels 0 and 1 of the first group only: higher levels need
            # AltGr, whose modifier differs between layouts; those
            # characters go through a remapped keycode instead.
            for level, keysym in enumerate(keysyms[:2]):
                if keysym and (keysym not in keymap or keymap[keysym][1] > level):
                    keymap[keysym] = (keycode, level)
        self._keymap = keymap
        self._spare = [kc for kc in spare if kc not in self._remapped.values()]

    def _remap(self, keysym: int) -> int:
        """Gives ``keysym`` a keycode of its own, on both levels; returns the keycode."""
        if keysym in self._remapped:
            self._remapped.move_to_end(keysym)
            return self._remapped[keysym]
        if self._spare:
            keycode = self._spare.pop()
        elif self._remapped:
            _old, keycode = self._remapped.popitem(last=False)
        else:
            return 0
        if len(self._remapped) >= MAX_REMAPPED:
            _old, recycled = self._remapped.popitem(last=False)
            self._spare.append(recycled)
        self._display.change_keyboard_mapping(keycode, [(keysym, keysym)])
        self._display.sync()
        self._remapped[keysym] = keycode
        return keycode

    # --- keys ----------------------------------------------------------------

    def _fake(self, event_type: int, detail: int = 0, x: int = 0, y: int = 0) -> None:
        xtest.fake_input(self._display, event_type, detail, x=x, y=y)

    def key(self, code: str, key: str, down: bool) -> None:
        ident = code or key
        if not down:
            keycode = self._held_keys.pop(ident, 0)
            if keycode:
                self._fake(X.KeyRelease, keycode)
                self._flush()
            return
        keysym = keysym_for(code, key)
        if not keysym:
            logger.debug("key %r / %r has no keysym; ignored", code, key)
            return
        previous = self._held_keys.pop(ident, 0)
        if previous:
            self._fake(X.KeyRelease, previous)
        found = self._keymap.get(keysym)
        if found is None:
            keycode, level = self._remap(keysym), -1
        else:
            keycode, level = found
        if not keycode:
            logger.warning("no keycode free for keysym %#x; key ignored", keysym)
            return
        self._press_with_level(keycode, level, is_modifier=code in MODIFIER_CODES)
        self._held_keys[ident] = keycode
        self._flush()

    def _press_with_level(self, keycode: int, level: int, *, is_modifier: bool) -> None:
        """Presses ``keycode`` with Shift set as ``level`` needs, then restores Shift.

        ``level`` -1 means "either level" (a remapped keycode has the same
        keysym on both).
        """
        held_shifts = [self._held_keys[c] for c in SHIFT_CODES if c in self._held_keys]
        if is_modifier or level < 0 or (level == 1) == bool(held_shifts):
            self._fake(X.KeyPress, keycode)
            return
        if level == 1:
            shift = self._keymap.get(XK.XK_Shift_L, (0, 0))[0]
            if not shift:
                self._fake(X.KeyPress, keycode)
                return
            self._fake(X.KeyPress, shift)
            self._fake(X.KeyPress, keycode)
            self._fake(X.KeyRelease, shift)
        else:
            # Shift is held but the character is on the plain level (Caps
            # Lock on the technician's side, or a layout difference).
            for shift in held_shifts:
                self._fake(X.KeyRelease, shift)
            self._fake(X.KeyPress, keycode)
            for shift in held_shifts:
                self._fake(X.KeyPress, shift)

    # --- pointer -------------------------------------------------------------

    def _clamp(self, x: int, y: int) -> tuple[int, int]:
        return max(0, min(self.width - 1, x)), max(0, min(self.height - 1, y))

    def pointer(self, x: int, y: int, buttons: int) -> None:
        x, y = self._clamp(x, y)
        self._fake(X.MotionNotify, 0, x=x, y=y)
        changed = buttons ^ self._buttons
        for bit, number in BUTTONS.items():
            if changed & bit:
                self._fake(X.ButtonPress if buttons & bit else X.ButtonRelease, number)
        self._buttons = buttons & sum(BUTTONS)
        self._flush()

    def wheel(self, x: int, y: int, dx: int, dy: int) -> None:
        x, y = self._clamp(x, y)
        self._fake(X.MotionNotify, 0, x=x, y=y)
        turns = ((dy, WHEEL_UP, WHEEL_DOWN), (dx, WHEEL_LEFT, WHEEL_RIGHT))
        for amount, negative, positive in turns:
            button = positive if amount > 0 else negative
            for _ in range(min(abs(amount), MAX_WHEEL_NOTCHES)):
                self._fake(X.ButtonPress, button)
                self._fake(X.ButtonRelease, button)
        self._flush()

    # --- ending --------------------------------------------------------------

    def release_all(self) -> None:
        for keycode in reversed(list(self._held_keys.values())):
            self._fake(X.KeyRelease, keycode)
        self._held_keys.clear()
        for bit, number in BUTTONS.items():
            if self._buttons & bit:
                self._fake(X.ButtonRelease, number)
        self._buttons = 0
        self._flush()

    def close(self) -> None:
        try:
            self.release_all()
            for keycode in self._remapped.values():
                self._display.change_keyboard_mapping(keycode, [(0, 0)])
            self._remapped.clear()
            self._display.sync()
        except (xerror.XError, OSError, xerror.ConnectionClosedError):
            logger.debug("X display gone while closing the input sink", exc_info=True)
        finally:
            self._display.close()

    def _flush(self) -> None:
        """Sends the events now, without waiting for the server to answer.

        The X server runs one client's requests in order, so events sent
        now come before whatever this connection sends next. A round trip
        (``sync``) after each event cost 77 µs of CPU against 13, and held
        the event loop until the server answered: milliseconds while it
        drew a video.
        """
        try:
            self._display.flush()
        except (xerror.ConnectionClosedError, OSError) as exc:
            raise InjectError(f"the X display went away: {exc}") from exc
