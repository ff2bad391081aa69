"""A virtual X screen (Xvfb) for the demo, the end-to-end tests and the benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from ..protocol.errors import LocalError

_X_SOCKETS = Path("/tmp/.X11-unix")


class XvfbError(LocalError, RuntimeError):
    """The virtual screen could not start."""

    sentence = "agent:error.internal"


def free_display(start: int = 90, stop: int = 190) -> int:
    """The lowest X display number in [start, stop) that no server holds."""
    for number in range(start, stop):
        if not (_X_SOCKETS / f"X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise XvfbError(f"no free X display number between :{start} and :{stop}")


class VirtualScreen:
    """Runs ``Xvfb :N`` until ``stop()``; ``display`` is the DISPLAY value (":N").

    Args:
        width, height: the screen's size in pixels (24-bit colour).
        own_session: start Xvfb in a session of its own, so that a Ctrl+C in
            the terminal does not close the screen under the programs on it.
    """

    def __init__(self, width: int = 1280, height: int = 800, *, own_session: bool = False) -> None:
        self.width = width
        self.height = height
        self.own_session = own_session
        self.number = -1
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def display(self) -> str:
        return f":{self.number}"

    def start(self, timeout: float = 15.0) -> VirtualScreen:
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise XvfbError("Xvfb is not installed (Debian: apt-get install xvfb)")
        for _attempt in range(5):
            self.number = free_display()
            self._process = subprocess.Popen(
                [xvfb, self.display, "-screen", "0", f"{self.width}x{self.height}x24",
                 "-nolisten", "tcp", "-noreset"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=self.own_session,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    break  # lost a race for the number: try the next one
                if (_X_SOCKETS / f"X{self.number}").exists():
                    return self
                time.sleep(0.05)
            self.stop()
        raise XvfbError("Xvfb did not start")

    def env(self) -> dict[str, str]:
        """The environment for a program that should draw on this screen."""
        env = dict(os.environ)
        env["DISPLAY"] = self.display
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process = None

    def __enter__(self) -> VirtualScreen:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
