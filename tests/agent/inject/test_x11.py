"""XTest injection into the notes application on a real Xvfb."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from Xlib.display import Display

from coupdemain.agent.inject.base import BUTTON_LEFT
from coupdemain.agent.inject.x11 import X11InputSink, keysym_for
from tests.agent.conftest import NotesApp, wait_for


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
    assert keysym_for("KeyQ", "Dead") == ord("q")
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
    tap(sink, "KeyE", "€")
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
