"""XTest injection into the notes application on a real Xvfb."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator

import pytest
from Xlib.display import Display

from coupdemain.agent.inject.base import BUTTON_LEFT
from coupdemain.agent.inject.x11 import X11InputSink, keysym_for
from tests.agent.conftest import NotesApp, wait_for
from tests.agent.inject.chromium_keys import KeyEvent, azerty, us


@pytest.fixture
def sink(x_display: str) -> Iterator[X11InputSink]:
    s = X11InputSink(x_display)
    yield s
    s.close()


def click(sink: X11InputSink, x: int, y: int) -> None:
    sink.pointer(x, y, 0)
    sink.pointer(x, y, BUTTON_LEFT)
    sink.pointer(x, y, 0)


def tap(sink: X11InputSink, code: str, key: str) -> None:
    sink.key(code, key, True)
    sink.key(code, key, False)


def type_text(sink: X11InputSink, text: str) -> None:
    for char in text:
        code = f"Key{char.upper()}" if char.isalpha() else ""
        tap(sink, code, char)


def focus_text(sink: X11InputSink, notes: NotesApp) -> None:
    block = notes.state()["block"]
    # The text area is left of the block, on the same rows.
    click(sink, block["x"] - 200, block["y"] + 40)


def test_keysyms() -> None:
    assert keysym_for("KeyA", "a") == ord("a")
    assert keysym_for("KeyA", "A") == ord("A")
    assert keysym_for("Enter", "Enter") == 0xFF0D
    assert keysym_for("ShiftLeft", "Shift") == 0xFFE1
    assert keysym_for("ControlRight", "Control") == 0xFFE4
    assert keysym_for("ArrowLeft", "ArrowLeft") == 0xFF51
    assert keysym_for("KeyE", "é") == 0xE9
    assert keysym_for("KeyE", "€") == 0x010020AC
    # AltGr and dead keys type nothing by themselves: the character follows.
    assert keysym_for("BracketLeft", "Dead") == 0
    assert keysym_for("AltRight", "AltGraph") == 0
    assert keysym_for("AltRight", "Alt") == 0xFFEA
    assert keysym_for("", "Unidentified") == 0


def test_typing_with_shift_enter_backspace_and_arrows(
    sink: X11InputSink, notes: NotesApp
) -> None:
    focus_text(sink, notes)
    # "Hello" the way a browser reports it: Shift held, then "H".
    sink.key("ShiftLeft", "Shift", True)
    tap(sink, "KeyH", "H")
    sink.key("ShiftLeft", "Shift", False)
    type_text(sink, "ello")
    tap(sink, "Enter", "Enter")
    type_text(sink, "Wz")
    tap(sink, "Backspace", "Backspace")
    type_text(sink, "rd")
    tap(sink, "ArrowLeft", "ArrowLeft")
    type_text(sink, "o")
    # A capital without Shift held: the sink adds Shift itself.
    tap(sink, "KeyX", "X")
    wait_for(lambda: notes.state().get("text") == "Hello\nWroXd", "the typed text")
    assert notes.state()["last_key"] == "X"


def test_keys_change_the_block_colour(sink: X11InputSink, notes: NotesApp) -> None:
    focus_text(sink, notes)
    for char, colour in (("r", "#ff0000"), ("g", "#00ff00"), ("b", "#0000ff")):
        type_text(sink, char)
        wait_for(lambda c=colour: notes.state().get("color") == c, f"the block to be {colour}")


def test_ctrl_a_and_a_click_on_the_block(sink: X11InputSink, notes: NotesApp) -> None:
    focus_text(sink, notes)
    type_text(sink, "abc")
    wait_for(lambda: notes.state().get("text") == "abc", "the typed text")
    sink.key("ControlLeft", "Control", True)
    tap(sink, "KeyA", "a")
    sink.key("ControlLeft", "Control", False)
    wait_for(lambda: notes.state().get("ctrl_a") == 1, "Ctrl+A to be counted")
    assert notes.state()["text"] == "abc"  # selected, not replaced
    x, y = notes.block_centre()
    click(sink, x, y)
    wait_for(lambda: notes.state().get("clicks") == 1, "the click on the block")
    assert notes.state()["color"] == "#ffff00"


def test_wheel(sink: X11InputSink, notes: NotesApp) -> None:
    x, y = notes.block_centre()
    sink.wheel(x, y, 0, 2)
    wait_for(lambda: notes.state().get("wheel") == 2, "two wheel notches")


def test_character_absent_from_the_keymap(sink: X11InputSink, notes: NotesApp) -> None:
    focus_text(sink, notes)
    # One at a time, as a person types (see type_words).
    tap(sink, "KeyE", "€")
    wait_for(lambda: notes.state().get("text") == "€", "the remapped €")
    tap(sink, "KeyE", "ł")
    wait_for(lambda: notes.state().get("text") == "€ł", "the remapped characters")


def keys_down(display: str) -> set[int]:
    """The keycodes the X server says are down right now."""
    conn = Display(display)
    try:
        bits = conn.query_keymap()
    finally:
        conn.close()
    return {byte * 8 + bit for byte, value in enumerate(bits) for bit in range(8)
            if value & (1 << bit)}


def buttons_down(display: str) -> int:
    conn = Display(display)
    try:
        return int(conn.screen().root.query_pointer().mask) & 0x1F00
    finally:
        conn.close()


def test_release_all_lets_go_of_held_keys_and_buttons(x_display: str, notes: NotesApp) -> None:
    sink = X11InputSink(x_display)
    try:
        sink.key("ShiftLeft", "Shift", True)
        sink.key("KeyQ", "Q", True)
        x, y = notes.block_centre()
        sink.pointer(x, y, BUTTON_LEFT)
        # The sink sends without waiting for the server; this reads it from
        # another connection: poll.
        wait_for(lambda: len(keys_down(x_display)) == 2, "two keys down")
        wait_for(lambda: buttons_down(x_display) != 0, "a button down")
        sink.release_all()
        wait_for(lambda: keys_down(x_display) == set(), "every key up")
        wait_for(lambda: buttons_down(x_display) == 0, "every button up")
    finally:
        sink.close()


def test_release_matches_the_press(sink: X11InputSink, x_display: str) -> None:
    # Pressed as "a", released as "A" (Shift came in between): the same key goes up.
    sink.key("KeyA", "a", True)
    wait_for(lambda: len(keys_down(x_display)) == 1, "the key down")
    sink.key("KeyA", "A", False)
    wait_for(lambda: keys_down(x_display) == set(), "the key up")


# --- the technician's keyboard layout against the person's -------------------

# The sentence, then every other AltGr character of a French keyboard.
SENTENCE = "Où est l'été ? À bientôt, ça coûte 5 € @home #1 être naïf"
ALTGR_LINE = "\n{[|\\]} ~ 2 £ 50 %"
US_TEXT = "Hello, l'ete? 5 @home #1 {[|\\]} ~`!$%^&*()_+"


def set_layout(display: str, layout: str) -> None:
    """Switches the virtual screen's keyboard layout, as the person would."""
    subprocess.run(["setxkbmap", "-display", display, layout], check=True, timeout=20)


@pytest.fixture(params=["fr", "us"])
def layout(request: pytest.FixtureRequest, x_display: str) -> Iterator[str]:
    """The person's keyboard layout; the screen is given back in "us"."""
    if shutil.which("setxkbmap") is None:
        pytest.skip("needs setxkbmap")
    set_layout(x_display, request.param)
    try:
        yield str(request.param)
    finally:
        set_layout(x_display, "us")


def send(sink: X11InputSink, events: list[KeyEvent]) -> None:
    for code, key, down in events:
        sink.key(code, key, down)


def type_words(
    sink: X11InputSink, notes: NotesApp, text: str, events: Callable[[str], list[KeyEvent]]
) -> None:
    """Types ``text`` a word at a time, each word checked before the next.

    A person types a word in more time than an application takes to read
    it. Sent all at once, the characters that need a remapped keycode can
    reach an application while it still reads the keymap for the previous
    one, and Xlib forgets the second change (Tk then sees keysym "??").
    """
    before = notes.state().get("text", "")
    for word in re.findall(r"\S*\s*", text):
        send(sink, events(word))
        before += word
        typed(notes, before)


def typed(notes: NotesApp, expected: str) -> None:
    """Waits for the notes application to hold exactly ``expected``."""
    try:
        wait_for(lambda: notes.state().get("text") == expected, "the text", timeout=10)
    except AssertionError:
        received = notes.state().get("text")
        raise AssertionError(f"typed {expected!r}, received {received!r}") from None


@pytest.mark.parametrize("windows", [False, True], ids=["linux", "windows"])
def test_french_technician_types_every_character(
    layout: str, windows: bool, x_display: str, notes: NotesApp
) -> None:
    sink = X11InputSink(x_display)
    try:
        focus_text(sink, notes)
        type_words(sink, notes, SENTENCE + ALTGR_LINE, functools.partial(azerty, windows=windows))
        # Neither AltGr nor the Control of a Windows AltGr stays down, and
        # no character was taken for Ctrl+A.
        assert keys_down(x_display) == set()
        assert notes.state()["ctrl_a"] == 0
    finally:
        sink.close()


def test_us_technician_types_every_character(
    layout: str, x_display: str, notes: NotesApp
) -> None:
    sink = X11InputSink(x_display)
    try:
        focus_text(sink, notes)
        type_words(sink, notes, US_TEXT, us)
        assert keys_down(x_display) == set()
    finally:
        sink.close()


@pytest.mark.parametrize("windows", [False, True], ids=["linux", "windows"])
def test_shortcuts_keep_their_modifiers(
    layout: str, windows: bool, x_display: str, notes: NotesApp
) -> None:
    sink = X11InputSink(x_display)
    try:
        focus_text(sink, notes)
        send(sink, azerty("abc@", windows=windows))
        typed(notes, "abc@")
        # Ctrl+A on AZERTY: the key US calls Q, which makes "a".
        send(sink, [("ControlLeft", "Control", True), ("KeyQ", "a", True),
                    ("KeyQ", "a", False), ("ControlLeft", "Control", False)])
        wait_for(lambda: notes.state().get("ctrl_a") == 1, "Ctrl+A to be counted")
        # Shift+ArrowLeft selects: Shift stays held for a named key.
        send(sink, [("ArrowRight", "ArrowRight", True), ("ArrowRight", "ArrowRight", False),
                    ("ShiftLeft", "Shift", True), ("ArrowLeft", "ArrowLeft", True),
                    ("ArrowLeft", "ArrowLeft", False), ("ShiftLeft", "Shift", False)])
        send(sink, azerty("#", windows=windows))
        typed(notes, "abc#")
    finally:
        sink.close()


def test_the_layout_changes_during_the_session(x_display: str, notes: NotesApp) -> None:
    if shutil.which("setxkbmap") is None:
        pytest.skip("needs setxkbmap")
    sink = X11InputSink(x_display)
    try:
        focus_text(sink, notes)
        set_layout(x_display, "fr")
        type_words(sink, notes, "@ € # ô\n", azerty)
        set_layout(x_display, "us")
        type_words(sink, notes, "@ € # ô a", azerty)
        set_layout(x_display, "fr")
        type_words(sink, notes, " @#qa", us)
        typed(notes, "@ € # ô\n@ € # ô a @#qa")
    finally:
        set_layout(x_display, "us")
        sink.close()


def test_events_reach_the_server_when_a_flush_sends_nothing(
    sink: X11InputSink, x_display: str
) -> None:
    # python-xlib's flush does not block: on a loaded computer the X server
    # may take nothing at that moment. Seen as keys typed last never
    # arriving, and a key released last repeating on the person's side.
    sink._display.flush = lambda: None
    sink.key("KeyA", "a", True)
    wait_for(lambda: len(keys_down(x_display)) == 1, "the key down")
    sink.key("KeyA", "a", False)
    wait_for(lambda: keys_down(x_display) == set(), "the key up")
