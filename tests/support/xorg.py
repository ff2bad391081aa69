"""A virtual desktop with several monitors: Xorg with the dummy video driver.

Xvfb has one output, and its Xinerama mode stacks every screen at 0, 0,
so it cannot stand for a computer with two monitors side by side. The
dummy driver of the real X server has sixteen virtual outputs that RandR
arranges like physical ones; the agent sees them as it would see DP-1
and HDMI-1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from coupdemain.demo.xvfb import XvfbError, free_display

DUMMY_DRIVER = Path("/usr/lib/xorg/modules/drivers/dummy_drv.so")

_CONFIG = """\
Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam 256000
EndSection
Section "Monitor"
  Identifier "monitor"
  HorizSync 5.0-1000.0
  VertRefresh 5.0-200.0
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  Monitor "monitor"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Virtual {width} {height}
  EndSubSection
EndSection
"""


def missing_tools() -> list[str]:
    """What this machine lacks to run a ``MonitorsDesktop``; empty when it can."""
    missing = [tool for tool in ("Xorg", "xrandr") if shutil.which(tool) is None]
    if not DUMMY_DRIVER.exists():
        missing.append("xserver-xorg-video-dummy")
    return missing


class MonitorsDesktop:
    """An X display with monitors side by side, left to right, tops aligned.

    Offers what ``VirtualScreen`` offers (``display``, ``env()``,
    ``width``, ``height``), so the agent and the test applications run on
    it unchanged.

    Args:
        monitors: each monitor's (width, height); each must be one of the
            dummy driver's standard modes (1280x800, 1024x768, 1920x1080…).
        workdir: where the X server's configuration and log go.
    """

    def __init__(self, monitors: list[tuple[int, int]], workdir: Path) -> None:
        self.monitors = monitors
        self.workdir = workdir
        self.width = sum(width for width, _ in monitors)
        self.height = max(height for _, height in monitors)
        self.number = -1
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def display(self) -> str:
        return f":{self.number}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DISPLAY"] = self.display
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def start(self, timeout: float = 20.0) -> MonitorsDesktop:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "xorg.conf"
        # Virtual is the largest desktop RandR may arrange; leave room.
        config.write_text(
            _CONFIG.format(width=max(self.width, 2048), height=max(self.height, 1536))
        )
        (self.workdir / "xorg.conf.d").mkdir(exist_ok=True)
        self.number = free_display()
        self._process = subprocess.Popen(
            ["Xorg", self.display, "-config", str(config),
             "-configdir", str(self.workdir / "xorg.conf.d"), "-noreset", "-nolisten", "tcp",
             "-logfile", str(self.workdir / "xorg.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not Path(f"/tmp/.X11-unix/X{self.number}").exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise XvfbError(f"Xorg did not start; see {self.workdir / 'xorg.log'}")
            time.sleep(0.05)
        self._arrange()
        return self

    def _arrange(self) -> None:
        args = ["xrandr"]
        x = 0
        for index, (width, height) in enumerate(self.monitors):
            output, mode = f"DUMMY{index}", f"{width}x{height}"
            if index > 0:  # the first output is connected with every standard mode
                self._xrandr("--addmode", output, mode)
            args += ["--output", output, "--mode", mode, "--pos", f"{x}x0"]
            x += width
        self._xrandr(*args[1:])

    def _xrandr(self, *args: str) -> None:
        subprocess.run(["xrandr", *args], env=self.env(), check=True, timeout=20,
                       capture_output=True)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
        self._process = None

    def __enter__(self) -> MonitorsDesktop:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
