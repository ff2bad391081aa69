"""Fixtures of the window tests: virtual screens of the sizes people have."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest

from coupdemain.demo.xvfb import VirtualScreen
from tests.agent.ui.screens import Screens, Windows


@pytest.fixture(scope="session")
def screens() -> Iterator[Screens]:
    """Starts a virtual screen of a given size on first use; all stop with the session."""
    started = Screens()
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def collect_windows_here() -> Iterator[None]:
    """Collects each test's dead Tk objects on this thread, the one that made them.

    Left to a later collection, they may be freed on another thread (the
    in-process server's event loop, say), and Tcl aborts the whole run:
    "Tcl_AsyncDelete: async handler deleted by the wrong thread".
    """
    yield
    gc.collect()


@pytest.fixture
def windows(screen: VirtualScreen, monkeypatch: pytest.MonkeyPatch,
            ) -> Iterator[Callable[..., Windows]]:
    """Makes the agent's windows on the module's ``screen``; frees them after the test."""
    monkeypatch.setenv("DISPLAY", screen.display)
    made: list[Windows] = []

    def make(language: str = "en") -> Windows:
        made.append(Windows(language))
        return made[-1]

    yield make
    for w in made:
        w.ui.destroy()
    made.clear()
    gc.collect()
