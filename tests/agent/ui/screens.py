"""Real Tk windows on a virtual screen of a chosen size, and what the screen shows."""

from __future__ import annotations

import gc
import shutil
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import mss
import numpy as np
import pytest
from PIL import Image

from coupdemain.agent.ui import events as ev
from coupdemain.agent.ui.runner import AgentUi
from coupdemain.agent.ui.trace import UiTrace
from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.i18n import Translator

# How long a window may take to be mapped and painted by the X server.
SETTLE_ROUNDS = 200
SETTLE_PAUSE = 0.01


class Screens:
    """Virtual screens by size, started on first use and stopped with the test session.

    Tk keeps its connection to a display until the process exits, and Xlib
    ends the process when that display goes away: a screen Tk has drawn on
    must outlive every test.
    """

    def __init__(self) -> None:
        self._started: dict[tuple[int, int], VirtualScreen] = {}

    def __call__(self, width: int, height: int) -> VirtualScreen:
        if shutil.which("Xvfb") is None:
            pytest.skip("needs Xvfb")
        if (width, height) not in self._started:
            self._started[width, height] = VirtualScreen(width, height).start()
        return self._started[width, height]

    def stop(self) -> None:
        for screen in self._started.values():
            screen.stop()


@contextmanager
def tk_root(display: str) -> Iterator[tk.Tk]:
    """A hidden Tk root on ``display``, freed in this thread (see test_transfer.py)."""
    root = tk.Tk(screenName=display)
    root.withdraw()
    try:
        yield root
    finally:
        root.destroy()
        del root
        gc.collect()


def screenshot(display: str) -> Image.Image:
    factory: Any = getattr(mss, "MSS", None) or mss.mss
    with factory(display=display) as grabber:
        shot = grabber.grab(grabber.monitors[0])
        return Image.frombytes("RGB", shot.size, shot.rgb)


def settle(root: tk.Tk, ready: Callable[[], bool]) -> None:
    """Runs Tk until ``ready()``: X maps and paints windows in its own time."""
    for _ in range(SETTLE_ROUNDS):
        root.update()
        if ready():
            return
        time.sleep(SETTLE_PAUSE)
    raise AssertionError("the window never showed as expected")


def share_of_colour(image: Image.Image, box: dict[str, int], colour: str) -> float:
    """The share of the pixels of ``box`` (x, y, width, height) that are ``colour``."""
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    pixels = np.asarray(image.crop((x, y, x + w, y + h)))
    wanted = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
    return float(np.all(pixels == wanted, axis=-1).mean())


class Windows:
    """All of the agent's windows (``AgentUi``) on the test's screen, and the actions the
    person's clicks sent; the ``windows`` fixture (conftest.py) makes and frees them."""

    def __init__(self, language: str) -> None:
        self.acts: list[ev.UserAction] = []
        self.ui = AgentUi(Translator("agent", language), self.acts.append, trace=UiTrace(None))

    def show(self, event: ev.UiEvent) -> None:
        """Hands the windows an event, then lets Tk draw it."""
        self.ui.handle(event)
        for _ in range(20):
            self.ui.root.update()
