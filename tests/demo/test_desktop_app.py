"""The notes application: its state file and colours, driven with xdotool on Xvfb."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from coupdemain.demo.desktop_app import CYCLE, KEY_COLORS
from coupdemain.demo.xvfb import VirtualScreen
from tests.agent.conftest import NotesApp, wait_for

pytestmark = pytest.mark.skipif(shutil.which("xdotool") is None, reason="needs xdotool")


def xdotool(screen: VirtualScreen, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=screen.env(), check=True, timeout=20)


def test_initial_state(notes: NotesApp) -> None:
    state = notes.state()
    assert state["text"] == "" and state["clicks"] == 0 and state["ctrl_a"] == 0
    assert state["color"] == "#3366cc"
    block = state["block"]
    assert block["width"] >= 200 and block["height"] >= 200
    # Inside the window placed at +40+140, below the agent's banner.
    assert block["x"] > 40 and block["y"] > 140


def test_keys_clicks_and_wheel(xvfb: VirtualScreen, notes: NotesApp) -> None:
    x, y = notes.block_centre()
    xdotool(xvfb, "mousemove", str(x - 300), str(y), "click", "1")
    xdotool(xvfb, "type", "--delay", "10", "ax")
    wait_for(lambda: notes.state()["text"] == "ax", "typed text")
    assert notes.state()["color"] == CYCLE[1]  # two keys, two steps of the cycle
    xdotool(xvfb, "key", "r")
    wait_for(lambda: notes.state()["color"] == KEY_COLORS["r"] == "#ff0000", "red")
    xdotool(xvfb, "key", "shift+g")
    wait_for(lambda: notes.state()["text"] == "axrG", "a capital")
    assert notes.state()["last_key"] == "G"
    xdotool(xvfb, "key", "ctrl+a")
    wait_for(lambda: notes.state()["ctrl_a"] == 1, "Ctrl+A")
    xdotool(xvfb, "mousemove", str(x), str(y), "click", "1")
    wait_for(lambda: notes.state()["clicks"] == 1, "the click")
    assert notes.state()["color"] == "#ffff00"
    xdotool(xvfb, "click", "5")
    wait_for(lambda: notes.state()["wheel"] == 1, "the wheel")
