"""What the end-to-end tests drive: the agent's real windows, the app, the browser.

The agent writes what its windows show (titles, texts, button geometry) to
``COUPDEMAIN_UI_TRACE``; the tests read it to know where to click with
xdotool, and to assert the words the person sees.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from coupdemain.demo.xvfb import VirtualScreen
from tests.support.desktop import NotesApp, read_json, wait_for
from tests.support.known import TEST_ORGANISATIONS, config_home

__all__ = ["Agent", "NotesApp", "wait_for"]

# DESIGN.md's switches: without the networking ones Chromium keeps trying
# hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

@dataclass
class Agent:
    """``coupdemain get-help`` on the virtual screen, as the person runs it."""

    screen: VirtualScreen
    server_url: str
    trace_file: Path
    code: str | None = None
    language: str = "en"
    process: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None
    extra: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # added to the person's environment
    # The single-file agent, as the person downloaded it: run alone, in a folder
    # of its own, with an environment that has no Python of the project's.
    program: Path | None = None
    # The organisations this computer met before (no warning against scams for
    # them), in an XDG_CONFIG_HOME of its own; () for a computer that met none.
    met: tuple[str, ...] = TEST_ORGANISATIONS

    def start(self) -> Agent:
        if self.program is None:
            env = self.screen.env()
            args = [sys.executable, "-m", "coupdemain", "get-help", "--server", self.server_url]
        else:
            # A desktop's session: its display, a home, the system's PATH; no
            # PYTHONPATH, no virtual environment, no project folder.
            env = {"DISPLAY": self.screen.display, "PATH": "/usr/bin:/bin",
                   "HOME": str(self.program.parent)}
            args = [str(self.program)]
        env["COUPDEMAIN_UI_TRACE"] = str(self.trace_file)
        env["XDG_CONFIG_HOME"] = str(config_home(
            self.trace_file.with_name(self.trace_file.stem + "-config"), *self.met))
        env["LANG"] = "fr_FR.UTF-8" if self.language == "fr" else "en_US.UTF-8"
        env.pop("LC_ALL", None)
        # The agent waits for no report after the end, unless a test asks (agent/report.py).
        env["COUPDEMAIN_REPORT_WAIT_SECONDS"] = "0"
        env.update(self.env)
        if self.code:
            args += ["--code", self.code]
        self.log_file = self.trace_file.with_suffix(".log")
        self.process = subprocess.Popen(
            args + self.extra, env=env, stdout=open(self.log_file, "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT, cwd=self.program.parent if self.program else None,
        )
        return self

    def windows(self) -> dict[str, dict[str, Any]]:
        trace = read_json(self.trace_file) or {}
        return {w["name"]: w for w in trace.get("windows", [])}

    def window(self, name: str, timeout: float = 20.0) -> dict[str, Any]:
        return wait_for(lambda: self.windows().get(name), f"the agent's {name} window", timeout)

    def window_saying(self, name: str, words: str, timeout: float = 20.0) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            window = self.windows().get(name)
            if window and any(words in text for text in window.get("texts", [])):
                return window
            return None

        return wait_for(probe, f"the {name} window to say {words!r}", timeout)

    def click(self, window_name: str, button: str) -> None:
        """Clicks a real Tk button with the X pointer, as a person would."""
        window = self.window(window_name)
        geometry = window["buttons"][button]
        x = geometry["x"] + geometry["width"] // 2
        y = geometry["y"] + geometry["height"] // 2
        xdotool(self.screen, "mousemove", str(x), str(y), "click", "1")

    def type_code(self, code: str) -> None:
        entry = self.window("code_prompt")["entries"]["code"]
        x, y = entry["x"] + 10, entry["y"] + entry["height"] // 2
        xdotool(self.screen, "mousemove", str(x), str(y), "click", "1")
        xdotool(self.screen, "key", "ctrl+a", "BackSpace")
        xdotool(self.screen, "type", "--delay", "20", code)
        self.click("code_prompt", "connect")

    def exit_code(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            if self.program is not None:
                # PyInstaller's one-file launcher runs the agent as its child and
                # passes SIGTERM on; SIGKILL would leave the child behind.
                self.process.terminate()
                try:
                    self.process.wait(10)
                    return
                except subprocess.TimeoutExpired:
                    pass
            self.process.kill()
            self.process.wait(10)


def xdotool(screen: VirtualScreen, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=screen.env(), check=True, timeout=20)


def canvas_pixel(page: Page, x: int, y: int) -> tuple[int, int, int]:
    """The colour the technician sees at remote pixel (x, y) of the viewer's canvas."""
    rgb = page.evaluate(
        """([x, y]) => {
            const canvas = document.querySelector('#screen');
            const d = canvas.getContext('2d').getImageData(x, y, 1, 1).data;
            return [d[0], d[1], d[2]];
        }""",
        [x, y],
    )
    return int(rgb[0]), int(rgb[1]), int(rgb[2])


def close_to(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(p - q) <= tolerance for p, q in zip(a, b, strict=True))


def hex_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def page_point(page: Page, x: int, y: int) -> tuple[float, float]:
    """Where on the page remote pixel (x, y) is drawn (the canvas is scaled to fit)."""
    point = page.evaluate(
        """([x, y]) => {
            const c = document.querySelector('#screen');
            const r = c.getBoundingClientRect();
            const scale = Math.min(r.width / c.width, r.height / c.height);
            const ox = r.left + (r.width - c.width * scale) / 2;
            const oy = r.top + (r.height - c.height * scale) / 2;
            return [ox + (x + 0.5) * scale, oy + (y + 0.5) * scale];
        }""",
        [x, y],
    )
    return float(point[0]), float(point[1])


def status_text(page: Page) -> str:
    return str(page.locator("#status").inner_text())


def wait_for_status(page: Page, words: str, timeout: float = 20.0) -> None:
    page.locator("#status", has_text=words).wait_for(timeout=timeout * 1000)
