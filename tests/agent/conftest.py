"""Shared fixtures of the agent tests: a virtual X screen and the notes application on it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from coupdemain.demo.xvfb import VirtualScreen

T = TypeVar("T")

needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 15.0) -> T:
    """Polls ``probe`` every 50 ms until it returns something truthy (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} (last seen: {last!r})")


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@pytest.fixture(scope="session")
def xvfb() -> Iterator[VirtualScreen]:
    """``Xvfb :N -screen 0 1280x800x24 -nolisten tcp`` on a free display number."""
    if shutil.which("Xvfb") is None:
        pytest.skip("needs Xvfb")
    with VirtualScreen(1280, 800) as screen:
        yield screen


class NotesProcess:
    """The demo notes application running on the virtual screen."""

    def __init__(self, screen: VirtualScreen, state_file: Path) -> None:
        self.state_file = state_file
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coupdemain.demo.desktop_app", "--state-file",
             str(state_file), "--geometry", "900x560+40+140"],
            env=screen.env(),
        )
        wait_for(lambda: self.process.poll() is not None or read_json(state_file),
                 "the notes application to start")
        assert self.process.poll() is None, "the notes application exited"

    def state(self) -> dict[str, Any]:
        return read_json(self.state_file) or {}

    def block_centre(self) -> tuple[int, int]:
        block = self.state()["block"]
        return block["x"] + block["width"] // 2, block["y"] + block["height"] // 2

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def notes(xvfb: VirtualScreen, tmp_path: Path) -> Iterator[NotesProcess]:
    app = NotesProcess(xvfb, tmp_path / "notes.json")
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture
def x_display(xvfb: VirtualScreen, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points DISPLAY at the virtual screen for code running in this process."""
    monkeypatch.setenv("DISPLAY", xvfb.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert os.environ["DISPLAY"] == xvfb.display
    return xvfb.display
