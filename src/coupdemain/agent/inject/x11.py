"""Input injection on X11 through the XTEST extension (python-xlib).

Keys are translated, not copied: ``KeyboardEvent.key`` says which
character the technician's keyboard made, and that character is typed on
the person's keyboard layout, whatever the two layouts are:

- A character typed as text (no Control, Alt or Meta held) is found on the
  person's layout with the level it needs (plain, Shift, AltGr, Shift+AltGr);
  the agent presses exactly the modifiers that level needs, lifting a Shift
  the technician holds if the character is on the plain level. A character
  that no key produces gets a spare keycode remapped to it, as xdotool
  does; such remaps are kept, in a small least-recently-used pool, until
  ``close()``: undoing one right after the release races with the
  application reading the keymap.
- The keys that only make the character on the technician's side are not
  forwarded: AltGr (``key`` "AltGraph") and dead keys (``key`` "Dead")
  produce nothing here; the composed character comes with the next key
  ("ô"). A Windows browser sends AltGr as ControlLeft then AltRight: the
  Control just before an AltGraph is part of it and is let go of.
- A character typed with Control, Alt or Meta held is a shortcut: the
  modifiers stay held and the character's key is pressed with them.
- Named keys (Enter, ArrowLeft...) map to their keysyms and are pressed
  with whatever modifiers are held (Shift+ArrowLeft selects); modifiers
  use ``code`` to keep their side (ShiftLeft → Shift_L), or the other side
  when the person's layout has no such key (Alt_R on a French layout).

The person's layout may change during a session (``setxkbmap``, a layout
switcher): the X server then sends every client a MappingNotify, and the
keymap is read again before the next key.
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

from ...protocol.errors import LocalError
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
    **{f"F{n}": f"F{n}" for n in range(1, 13)},
}
# Keys that only help the technician's keyboard make a character: the
# character itself arrives with the next key, as ``key``.
SILENT_KEYS = frozenset({"AltGraph", "Dead"})

# KeyboardEvent.code names → X keysym names, for modifiers (their side
# matters) and as a fallback when ``key`` names nothing we know ("Unidentified").
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
# Held, these make a character a shortcut rather than text.
SHORTCUT_PREFIXES = ("Control", "Alt", "Meta", "OS")
# A modifier the person's layout lacks on one side is pressed on the other.
OTHER_SIDE: dict[int, int] = {
    int(XK.string_to_keysym(side)): int(XK.string_to_keysym(other))
    for pair in (("Shift_L", "Shift_R"), ("Control_L", "Control_R"),
                 ("Alt_L", "Alt_R"), ("Super_L", "Super_R"))
    for side, other in (pair, pair[::-1])
}

# The core keymap's columns for group 1 (X11 protocol, "Keyboards", as XKB
# fills it): levels 1 and 2 (plain, Shift), then, after group 2's two,
# levels 3 and 4 (AltGr, Shift+AltGr).
LEVEL_COLUMNS = (0, 1, 4, 5)
SHIFT_LEVELS = frozenset({1, 3})
# python-xlib loads the XKB keysyms (ISO_*) only on request.
ISO_LEVEL3_SHIFT = 0xFE03

# Viewer button bits → X button numbers (X: 1 left, 2 middle, 3 right).
BUTTONS: dict[int, int] = {
    BUTTON_LEFT: 1, BUTTON_MIDDLE: 2, BUTTON_RIGHT: 3, BUTTON_BACK: 8, BUTTON_FORWARD: 9,
}
WHEEL_UP, WHEEL_DOWN, WHEEL_LEFT, WHEEL_RIGHT = 4, 5, 6, 7
# Spare keycodes kept remapped at once; the oldest is reused past this. A
# French text on a US layout needs a dozen (é è à ù ç ô ê û î ë ï €...);
# reusing a keycode the application has not read yet types a wrong
# character, and a usual keymap has about 18 keycodes without keysyms.
MAX_REMAPPED = 16


class InjectError(LocalError, RuntimeError):
    """Input cannot be injected on this display."""

    sentence = "agent:error.internal"


def char_keysym(char: str) -> int:
    """The X keysym of one character: Latin-1 keysyms equal their code point,
    every other character has its Unicode keysym (0x01000000 + code point)."""
    point = ord(char)
    if 0x20 <= point <= 0x7E or 0xA0 <= point <= 0xFF:
        return point
    return 0x01000000 | point


def keysym_for(code: str, key: str) -> int:
    """The keysym a ``Key`` message means, or 0 (NoSymbol) when it types nothing."""
    if key in SILENT_KEYS:
        return 0
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


class Keymap:
    """Which keycode and level make each keysym, read from the core keymap.

    Args:
        min_keycode: the first keycode of ``rows``.
        rows: the keysyms of each keycode, as ``GetKeyboardMapping`` answers.
        modifier_keycodes: every keycode bound to a modifier (``GetModifierMapping``).
    """

    def __init__(
        self, min_keycode: int, rows: list[list[int]], modifier_keycodes: set[int]
    ) -> None:
        self.levels: dict[int, tuple[int, int]] = {}  # keysym → (keycode, level 0..3)
        self.spare: list[int] = []                     # keycodes without any keysym
        self.rows: dict[int, list[int]] = {}
        level3: list[int] = []
        for offset, row in enumerate(rows):
            keycode = min_keycode + offset
            keysyms = list(row)
            self.rows[keycode] = keysyms
            if not any(keysyms):
                self.spare.append(keycode)
                continue
            for level, column in enumerate(LEVEL_COLUMNS):
                keysym = keysyms[column] if column < len(keysyms) else 0
                if keysym and (keysym not in self.levels or self.levels[keysym][1] > level):
                    self.levels[keysym] = (keycode, level)
            if keysyms[0] == ISO_LEVEL3_SHIFT and keycode in modifier_keycodes:
                level3.append(keycode)
        # The key that selects levels 3 and 4 (AltGr); 0 if the layout has none.
        self.level3_keycode = level3[0] if level3 else 0

    def find(self, keysym: int, *, max_level: int = 3) -> tuple[int, int] | None:
        """The (keycode, level) that makes ``keysym``, the lowest level first."""
        found = self.levels.get(keysym)
        if found is None or found[1] > max_level:
            return None
        if found[1] >= 2 and not self.level3_keycode:
            return None
        return found

    def holds(self, keycode: int, keysym: int) -> bool:
        """Whether ``keycode`` still makes ``keysym`` on its plain level."""
        row = self.rows.get(keycode) or [0]
        return row[0] == keysym


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
        self._absorbed: set[str] = set()       # Control codes that were part of an AltGr
        self._last_down = ""                   # the code of the last key pressed
        self._buttons = 0
        self._remapped: collections.OrderedDict[int, int] = collections.OrderedDict()
        self._keymap = Keymap(self._min_keycode, [], set())
        self._load_keymap()

    # --- keymap --------------------------------------------------------------

    def _load_keymap(self) -> None:
        """Reads the person's layout: the keymap and which keycodes are modifiers."""
        count = self._max_keycode - self._min_keycode + 1
        rows = self._display.get_keyboard_mapping(self._min_keycode, count)
        modifiers = {
            int(keycode)
            for keycodes in self._display.get_modifier_mapping()
            for keycode in keycodes if keycode
        }
        keymap = Keymap(self._min_keycode, [list(row) for row in rows], modifiers)
        # A new layout may have taken the keycodes we remapped.
        for keysym, keycode in list(self._remapped.items()):
            if not keymap.holds(keycode, keysym):
                del self._remapped[keysym]
        keymap.spare = [kc for kc in keymap.spare if kc not in self._remapped.values()]
        self._keymap = keymap

    def _follow_layout(self) -> None:
        """Reads the keymap again if it changed since the last key (MappingNotify)."""
        changed = False
        try:
            while self._display.pending_events():
                if self._display.next_event().type == X.MappingNotify:
                    changed = True
        except (xerror.ConnectionClosedError, OSError) as exc:
            raise InjectError(f"the X display went away: {exc}") from exc
        if changed:
            self._load_keymap()

    def _remap(self, keysym: int) -> int:
        """Gives ``keysym`` a keycode of its own, on both levels; returns the keycode."""
        if keysym in self._remapped:
            self._remapped.move_to_end(keysym)
            return self._remapped[keysym]
        spare = self._keymap.spare
        if spare:
            keycode = spare.pop()
        elif self._remapped:
            _old, keycode = self._remapped.popitem(last=False)
        else:
            return 0
        if len(self._remapped) >= MAX_REMAPPED:
            _old, recycled = self._remapped.popitem(last=False)
            spare.append(recycled)
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
            self._absorbed.discard(ident)
            keycode = self._held_keys.pop(ident, 0)
            if keycode:
                self._fake(X.KeyRelease, keycode)
                self._flush()
            return
        self._follow_layout()
        last, self._last_down = self._last_down, ident
        if ident in self._absorbed:
            return  # a Windows AltGr repeating: its Control stays out
        if key in SILENT_KEYS:
            if key == "AltGraph" and last.startswith("Control") and last in self._held_keys:
                # Windows sends AltGr as ControlLeft, then AltRight: that
                # Control is not the technician's.
                self._fake(X.KeyRelease, self._held_keys.pop(last))
                self._absorbed.add(last)
                self._flush()
            return
        keysym = keysym_for(code, key)
        if not keysym:
            logger.debug("key %r / %r has no keysym; ignored", code, key)
            return
        previous = self._held_keys.pop(ident, 0)
        if previous:
            self._fake(X.KeyRelease, previous)
        if code in MODIFIER_CODES:
            keycode = self._modifier_keycode(keysym)
            if keycode:
                self._fake(X.KeyPress, keycode)
        elif len(key) == 1 and not self._shortcut_held():
            keycode = self._type(keysym)
        elif len(key) == 1:
            keycode = self._press_shortcut(keysym)
        else:
            found = self._keymap.find(keysym, max_level=1)
            keycode = found[0] if found else self._remap(keysym)
            if keycode:
                self._fake(X.KeyPress, keycode)
        if not keycode:
            logger.warning("no keycode free for keysym %#x; key ignored", keysym)
            return
        self._held_keys[ident] = keycode
        self._flush()

    def _shortcut_held(self) -> bool:
        return any(code.startswith(SHORTCUT_PREFIXES) for code in self._held_keys)

    def _modifier_keycode(self, keysym: int) -> int:
        """The keycode of a modifier, on the other side if the layout lacks this one."""
        found = self._keymap.find(keysym, max_level=1)
        if found is None and keysym in OTHER_SIDE:
            found = self._keymap.find(OTHER_SIDE[keysym], max_level=1)
        return found[0] if found else self._remap(keysym)

    def _held_shifts(self) -> list[int]:
        return [self._held_keys[c] for c in SHIFT_CODES if c in self._held_keys]

    def _type(self, keysym: int) -> int:
        """Presses the key that types ``keysym`` with exactly the modifiers its
        level needs, then puts back the technician's Shift; returns the keycode."""
        found = self._keymap.find(keysym)
        if found is None:
            # A remapped keycode has the keysym on both levels: any Shift will do.
            keycode = self._remap(keysym)
            if keycode:
                self._fake(X.KeyPress, keycode)
            return keycode
        keycode, level = found
        held_shifts = self._held_shifts()
        shift = self._keymap.find(XK.XK_Shift_L, max_level=1)
        before: list[int] = []   # pressed for this key, released after it
        lifted: list[int] = []   # the technician's, released for this key
        if level in SHIFT_LEVELS and not held_shifts and shift:
            before.append(shift[0])
        elif level not in SHIFT_LEVELS:
            lifted = held_shifts
        if level >= 2:
            before.append(self._keymap.level3_keycode)
        for held in lifted:
            self._fake(X.KeyRelease, held)
        for modifier in before:
            self._fake(X.KeyPress, modifier)
        self._fake(X.KeyPress, keycode)
        for modifier in reversed(before):
            self._fake(X.KeyRelease, modifier)
        for held in lifted:
            self._fake(X.KeyPress, held)
        return keycode

    def _press_shortcut(self, keysym: int) -> int:
        """Presses the key of ``keysym`` with the technician's modifiers held,
        adding or lifting Shift as the keysym's level needs; returns the keycode."""
        found = self._keymap.find(keysym, max_level=1)
        if found is None:
            keycode, level = self._remap(keysym), -1
        else:
            keycode, level = found
        if not keycode:
            return 0
        held_shifts = self._held_shifts()
        if level < 0 or (level == 1) == bool(held_shifts):
            self._fake(X.KeyPress, keycode)
            return keycode
        if level == 1:
            shift = self._keymap.find(XK.XK_Shift_L, max_level=1)
            if shift:
                self._fake(X.KeyPress, shift[0])
            self._fake(X.KeyPress, keycode)
            if shift:
                self._fake(X.KeyRelease, shift[0])
        else:
            for held in held_shifts:
                self._fake(X.KeyRelease, held)
            self._fake(X.KeyPress, keycode)
            for held in held_shifts:
                self._fake(X.KeyPress, held)
        return keycode

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
        self._absorbed.clear()
        self._last_down = ""
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

        python-xlib's flush makes one attempt that does not block: when the
        X server is slow to read (a loaded computer), part of the events
        stays in the library's buffer until the next request and a key
        released last stays down on the person's side, repeating. Only then
        a round trip sends the rest.
        """
        try:
            self._display.flush()
            pending = self._display.display
            if getattr(pending, "data_send", b"") or getattr(pending, "request_queue", []):
                self._display.sync()
        except (xerror.ConnectionClosedError, OSError) as exc:
            raise InjectError(f"the X display went away: {exc}") from exc
