"""The virtual desktop's side of the tests: polling, state files, the notes application."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from coupdemain.demo.xvfb import VirtualScreen

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None], what: str, timeout: float = 20.0, interval: float = 0.05
) -> T:
    """Polls ``probe`` until it returns something truthy; fails with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last seen: {last!r})")


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file written atomically by another process, or None if not there yet."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (FileNotFoundError, json.JSONDecodeError):
        return None


class NotesApp:
    """The demo notes application on a virtual screen, below the agent's banner."""

    def __init__(
        self, screen: VirtualScreen, state_file: Path, geometry: str = "900x560+40+140"
    ) -> None:
        self.state_file = state_file
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coupdemain.demo.desktop_app", "--state-file",
             str(state_file), "--geometry", geometry],
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
