"""The stacks under test, each started on the same virtual screen and opened in a tab.

- ``coupdemain``: the real product path. ``coupdemain serve`` with a fresh
  data directory and one technician; the tab signs in, clicks *Help
  someone*; ``coupdemain get-help --code … --assume-consent`` runs on the
  virtual screen; the tab requests control (allowed on the person's behalf).
  Server-side processes: the server and the agent.
- ``x11vnc`` (stock or tuned) + ``websockify`` + noVNC's ``vnc_lite.html``,
  all from Debian's packages. Server-side processes: x11vnc and websockify.

Every tab reaches its stack through a :class:`CountingProxy`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from coupdemain.demo.xvfb import VirtualScreen
from tests.support.server import PASSWORD, ServerProcess, free_port

from .browser import Chromium, Page
from .proxy import CountingProxy

NOVNC = Path("/usr/share/novnc")
TUNED_FLAGS = ["-defer", "1", "-wait", "1", "-nonap", "-noscr"]
USER = "bench"


def _wait_port(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class Stack:
    """One stack: ``start()`` leaves a tab showing the screen, with control."""

    name = ""
    label = ""

    def __init__(self, screen: VirtualScreen, browser: Chromium, workdir: Path) -> None:
        self.screen = screen
        self.browser = browser
        self.workdir = workdir
        self.page: Page | None = None
        self.proxy: CountingProxy | None = None

    def server_processes(self) -> list[psutil.Process]:
        raise NotImplementedError

    def start(self, probe: str) -> Page:
        raise NotImplementedError

    def stop(self) -> None:
        if self.page is not None:
            self.page.close()
            self.page = None
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None


class CoupdemainStack(Stack):
    name = "coupdemain"
    label = "coupdemain"

    def __init__(self, screen: VirtualScreen, browser: Chromium, workdir: Path) -> None:
        super().__init__(screen, browser, workdir)
        self.server = ServerProcess(workdir / "server")
        self.agent: subprocess.Popen[bytes] | None = None

    def server_processes(self) -> list[psutil.Process]:
        pids = [p.pid for p in (self.server.process, self.agent) if p is not None]
        return [psutil.Process(pid) for pid in pids]

    def start(self, probe: str) -> Page:
        self.server.create_user(USER, "Bench Technician", "coupdemain bench", role="admin")
        self.server.start()
        self.proxy = CountingProxy(self.server.port)
        base = f"http://127.0.0.1:{self.proxy.port}"
        page = self.page = self.browser.new_page()
        page.add_script(probe)
        page.goto(base + "/login")
        page.evaluate(f"""(() => {{
            document.querySelector('#username').value = {USER!r};
            document.querySelector('#password').value = {PASSWORD!r};
            document.querySelector('#sign-in').click();
        }})()""")
        page.wait_for("!!document.querySelector('#help-someone')", "the console after sign-in")
        page.evaluate("document.querySelector('#help-someone').click()")
        code = page.wait_for(
            "document.querySelector('#support-code')?.innerText.replace(/\\D/g, '')",
            "the support code")
        log = open(self.workdir / "agent.log", "wb")  # noqa: SIM115 - closed with the process
        self.agent = subprocess.Popen(
            [sys.executable, "-m", "coupdemain", "get-help", "--server", self.server.url,
             "--code", code, "--assume-consent"],
            env=self.screen.env(), stdout=log, stderr=subprocess.STDOUT,
        )
        page.wait_for("document.querySelector('#status')?.innerText.includes('View only')",
                      "view only", timeout=60)
        page.evaluate("document.querySelector('#request-control').click()")
        page.wait_for("document.querySelector('#status')?.innerText.includes('You have control')",
                      "control", timeout=30)
        return page

    def stop(self) -> None:
        super().stop()
        _stop(self.agent)
        self.server.stop()


class PeerStack(Stack):
    """x11vnc + websockify + noVNC, from Debian's packages."""

    def __init__(self, screen: VirtualScreen, browser: Chromium, workdir: Path,
                 tuned: bool) -> None:
        super().__init__(screen, browser, workdir)
        self.tuned = tuned
        self.name = "x11vnc_tuned" if tuned else "x11vnc_stock"
        self.label = "x11vnc tuned" if tuned else "x11vnc stock"
        self.x11vnc: subprocess.Popen[bytes] | None = None
        self.websockify: subprocess.Popen[bytes] | None = None

    def server_processes(self) -> list[psutil.Process]:
        pids = [p.pid for p in (self.x11vnc, self.websockify) if p is not None]
        return [psutil.Process(pid) for pid in pids]

    def start(self, probe: str) -> Page:
        for tool in ("x11vnc", "websockify"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} is not installed (bash scripts/setup.sh --test)")
        if not (NOVNC / "vnc_lite.html").exists():
            raise RuntimeError("noVNC is not installed (bash scripts/setup.sh --test)")
        vnc_port, ws_port = free_port(), free_port()
        flags = TUNED_FLAGS if self.tuned else []
        self.x11vnc = subprocess.Popen(
            ["x11vnc", "-display", self.screen.display, "-rfbport", str(vnc_port), "-localhost",
             "-nopw", "-forever", "-shared", *flags],
            stdout=subprocess.DEVNULL, stderr=open(self.workdir / f"{self.name}.log", "wb"),  # noqa: SIM115
        )
        _wait_port(vnc_port, self.x11vnc, "x11vnc")
        self.websockify = subprocess.Popen(
            ["websockify", "--web", str(NOVNC), f"127.0.0.1:{ws_port}", f"127.0.0.1:{vnc_port}"],
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "websockify.log", "wb"),  # noqa: SIM115
        )
        _wait_port(ws_port, self.websockify, "websockify")
        self.proxy = CountingProxy(ws_port)
        page = self.page = self.browser.new_page()
        page.add_script(probe)
        page.goto(f"http://127.0.0.1:{self.proxy.port}/vnc_lite.html?path=websockify")
        page.wait_for(f"window.__bench.size()[0] === {self.screen.width}", "noVNC's screen",
                      timeout=30)
        page.evaluate("window.__bench.canvas().focus()")
        return page

    def stop(self) -> None:
        super().stop()
        _stop(self.websockify)
        _stop(self.x11vnc)


def make_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="coupdemain-bench-"))
