"""Key events as Chromium sends them, written by hand from the UI Events spec.

``KeyboardEvent.code`` names the physical key by its place on a US keyboard;
``key`` is what the technician's own layout made of it. A French AZERTY
keyboard in Chromium:

- on Linux, AltGr is ``AltRight`` with key "AltGraph";
- on Windows, AltGr is a ``ControlLeft`` (key "Control") sent just before
  ``AltRight`` (key "AltGraph"), both released after the character;
- a dead key (^ on ``BracketLeft``, ¨ with Shift) is key "Dead"; the next
  key carries the composed letter ("ô" on ``KeyO``);
- "À": on Linux, Caps Lock then the à key (the layout gives À with Caps
  Lock); on Windows, Caps Lock there gives "0", so AltGr+7 (a dead grave)
  then Shift+A.
- "~" is AltGr+é; on Windows it is a dead key, and Space then gives "~".

Each event is ``(code, key, down)``, as the ``Key`` message carries it.
"""

from __future__ import annotations

KeyEvent = tuple[str, str, bool]

# French AZERTY: character → (code, needs Shift, needs AltGr).
AZERTY: dict[str, tuple[str, bool, bool]] = {
    "&": ("Digit1", False, False), "é": ("Digit2", False, False),
    '"': ("Digit3", False, False), "'": ("Digit4", False, False),
    "(": ("Digit5", False, False), "-": ("Digit6", False, False),
    "è": ("Digit7", False, False), "_": ("Digit8", False, False),
    "ç": ("Digit9", False, False), "à": ("Digit0", False, False),
    ")": ("Minus", False, False), "=": ("Equal", False, False),
    **{str(n): (f"Digit{n}", True, False) for n in range(10)},
    "~": ("Digit2", False, True), "#": ("Digit3", False, True), "{": ("Digit4", False, True),
    "[": ("Digit5", False, True), "|": ("Digit6", False, True),
    "\\": ("Digit8", False, True), "@": ("Digit0", False, True),
    "]": ("Minus", False, True), "}": ("Equal", False, True),
    "€": ("KeyE", False, True),
    "$": ("BracketRight", False, False), "£": ("BracketRight", True, False),
    "ù": ("Quote", False, False), "%": ("Quote", True, False),
    "*": ("Backslash", False, False),
    ",": ("KeyM", False, False), "?": ("KeyM", True, False),
    ";": ("Comma", False, False), ".": ("Comma", True, False),
    ":": ("Period", False, False), "/": ("Period", True, False),
    "!": ("Slash", False, False),
    " ": ("Space", False, False),
}
# Letters: AZERTY swaps A/Q and Z/W, and M sits where US has the semicolon.
_MOVED = {"a": "KeyQ", "q": "KeyA", "z": "KeyW", "w": "KeyZ", "m": "Semicolon"}
for _letter in "abcdefghijklmnopqrstuvwxyz":
    _code = _MOVED.get(_letter, f"Key{_letter.upper()}")
    AZERTY[_letter] = (_code, False, False)
    AZERTY[_letter.upper()] = (_code, True, False)

# Composed with a dead key: character → (Shift on the dead key, the letter).
CIRCUMFLEX = {"â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u"}
DIAERESIS = {"ä": "a", "ë": "e", "ï": "i", "ö": "o", "ü": "u", "ÿ": "y"}

# A US keyboard: character → (code, needs Shift).
US: dict[str, tuple[str, bool]] = {
    " ": ("Space", False), "'": ("Quote", False), '"': ("Quote", True),
    ",": ("Comma", False), "<": ("Comma", True), ".": ("Period", False),
    ">": ("Period", True), "/": ("Slash", False), "?": ("Slash", True),
    ";": ("Semicolon", False), ":": ("Semicolon", True), "-": ("Minus", False),
    "_": ("Minus", True), "=": ("Equal", False), "+": ("Equal", True),
    "[": ("BracketLeft", False), "{": ("BracketLeft", True),
    "]": ("BracketRight", False), "}": ("BracketRight", True),
    "\\": ("Backslash", False), "|": ("Backslash", True),
    "`": ("Backquote", False), "~": ("Backquote", True),
    **{str(n): (f"Digit{n}", False) for n in range(10)},
    **{c: (f"Digit{n}", True) for n, c in zip(range(10), ")!@#$%^&*(", strict=True)},
    **{c: (f"Key{c.upper()}", False) for c in "abcdefghijklmnopqrstuvwxyz"},
    **{c: (f"Key{c}", True) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
}


def tap(code: str, key: str) -> list[KeyEvent]:
    return [(code, key, True), (code, key, False)]


def shifted(events: list[KeyEvent]) -> list[KeyEvent]:
    return [("ShiftLeft", "Shift", True), *events, ("ShiftLeft", "Shift", False)]


def altgr(events: list[KeyEvent], windows: bool) -> list[KeyEvent]:
    if windows:
        return [("ControlLeft", "Control", True), ("AltRight", "AltGraph", True), *events,
                ("ControlLeft", "Control", False), ("AltRight", "AltGraph", False)]
    return [("AltRight", "AltGraph", True), *events, ("AltRight", "AltGraph", False)]


def azerty(text: str, *, windows: bool = False) -> list[KeyEvent]:
    """The events a technician's French keyboard sends to type ``text``."""
    events: list[KeyEvent] = []
    for char in text:
        if char == "\n":
            events += tap("Enter", "Enter")
        elif char in CIRCUMFLEX:
            code = AZERTY[CIRCUMFLEX[char]][0]
            events += tap("BracketLeft", "Dead") + tap(code, char)
        elif char in DIAERESIS:
            code = AZERTY[DIAERESIS[char]][0]
            events += shifted(tap("BracketLeft", "Dead")) + tap(code, char)
        elif char == "À" and windows:
            events += altgr(tap("Digit7", "Dead"), windows) + shifted(tap("KeyQ", "À"))
        elif char == "~" and windows:
            events += altgr(tap("Digit2", "Dead"), windows) + tap("Space", "~")
        elif char == "À":
            caps = tap("CapsLock", "CapsLock")
            events += caps + tap("Digit0", "À") + caps
        else:
            code, shift, alt_graph = AZERTY[char]
            keys = tap(code, char)
            if shift:
                keys = shifted(keys)
            if alt_graph:
                keys = altgr(keys, windows)
            events += keys
    return events


def us(text: str) -> list[KeyEvent]:
    """The events a technician's US keyboard sends to type ``text``."""
    events: list[KeyEvent] = []
    for char in text:
        if char == "\n":
            events += tap("Enter", "Enter")
            continue
        code, shift = US[char]
        events += shifted(tap(code, char)) if shift else tap(code, char)
    return events
