"""The stacks under test, each started on the same virtual screen and opened in a tab.

- ``coupdemain``: the real product path. ``coupdemain serve`` with a fresh
  data directory and one technician; the tab signs in, clicks *Help
  someone*; ``coupdemain get-help --code … --assume-consent`` runs on the
  virtual screen; the tab requests control (allowed on the person's behalf).
  Server-side processes: the server and the agent.
- ``x11vnc`` (stock or tuned) + ``websockify`` + noVNC's ``vnc_lite.html``,
  all from Debian's packages. Server-side processes: x11vnc and websockify.
- ``browser_share``: the join page's screen share, view only. A headful
  Chromium on the virtual screen opens ``/join``, types the code and shares
  the whole screen (``--auto-select-desktop-capture-source``); the
  technician's headless Chromium shows it in the viewer's ``<video>`` over
  WebRTC. Both browsers and the server run in a network namespace the
  stack makes (tests/support/netns.py; root only). "Server-side"
  processes: the server and the person's Chromium (capture and encoding).

The tabs of the first three reach their stack through a
:class:`CountingProxy`; the browser share's bytes are WebRTC's, read from
the viewer's ``getStats()`` (:func:`rtc_traffic`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from coupdemain.demo.xvfb import VirtualScreen
from tests.support.netns import CHROMIUM_BINARY, DISABLE_MDNS, missing, network_namespace
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


class StackSkipped(RuntimeError):
    """The stack cannot run on this machine; the message says why, in one sentence."""


@dataclass(frozen=True)
class Traffic:
    """Bytes so far each way between the stack and the viewer, and frames decoded if known."""

    to_browser: int
    from_browser: int
    frames_decoded: int | None = None


def rtc_traffic(reports: list[dict[str, Any]]) -> Traffic:
    """The viewer's WebRTC traffic from its getStats() reports (probe.js's rtcStats).

    Bytes are the transports' (every packet: video, RTCP, DTLS, STUN — what
    the link carries, as the proxy counts for the other stacks); without a
    transport report, the video streams' payload and RTP headers. Frames
    decoded are the video streams' ``framesDecoded``.
    """
    transports = [r for r in reports if r.get("type") == "transport"]
    video = [r for r in reports
             if r.get("type") == "inbound-rtp" and r.get("kind") in ("video", None)]
    if transports:
        down = sum(int(r.get("bytesReceived") or 0) for r in transports)
        up = sum(int(r.get("bytesSent") or 0) for r in transports)
    else:
        down = sum(int(r.get("bytesReceived") or 0) + int(r.get("headerBytesReceived") or 0)
                   for r in video)
        up = 0
    decoded = [int(r["framesDecoded"]) for r in video if r.get("framesDecoded") is not None]
    return Traffic(down, up, sum(decoded) if decoded else None)


class Stack:
    """One stack: ``start()`` leaves a tab showing the screen, with control if it gives any."""

    name = ""
    label = ""
    # What a trial can change the picture with: view-only stacks have no key or click.
    latency_kinds: tuple[str, ...] = ("key", "click", "app")

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

    def traffic(self) -> Traffic:
        assert self.proxy is not None
        counts = self.proxy.snapshot()
        return Traffic(counts.to_browser, counts.from_browser)

    def viewer_pid(self) -> int:
        """The technician's browser process (its CPU is the viewer's)."""
        return self.browser.pid

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
        code = _sign_in_and_ask_for_a_code(page, probe, base)
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


def _sign_in_and_ask_for_a_code(page: Page, probe: str, base: str) -> str:
    """Signs the technician in on ``page``, clicks *Help someone*; the support code."""
    page.add_script(probe)
    page.goto(base + "/login")
    page.evaluate(f"""(() => {{
        document.querySelector('#username').value = {USER!r};
        document.querySelector('#password').value = {PASSWORD!r};
        document.querySelector('#sign-in').click();
    }})()""")
    page.wait_for("!!document.querySelector('#help-someone')", "the console after sign-in")
    page.evaluate("document.querySelector('#help-someone').click()")
    code: str = page.wait_for(
        "document.querySelector('#support-code')?.innerText.replace(/\\D/g, '')",
        "the support code")
    return code


class BrowserShareStack(Stack):
    """The join page's browser share: view only, WebRTC between two Chromiums."""

    name = "browser_share"
    label = "browser share"
    latency_kinds = ("app",)
    # The person's window: a strip at the top left, above every region the bench
    # watches (the workload application's layout starts at y = 200).
    PERSON_WINDOW = (1000, 180)

    def __init__(self, screen: VirtualScreen, browser: Chromium, workdir: Path) -> None:
        super().__init__(screen, browser, workdir)
        self.scope = contextlib.ExitStack()
        self.server: ServerProcess | None = None
        self.viewer: Chromium | None = None
        self.person: Chromium | None = None

    def server_processes(self) -> list[psutil.Process]:
        processes = [p for p in (self.server.process if self.server else None,
                                 self.person.process if self.person else None) if p is not None]
        return [psutil.Process(p.pid) for p in processes]

    def viewer_pid(self) -> int:
        assert self.viewer is not None
        return self.viewer.pid

    def traffic(self) -> Traffic:
        assert self.page is not None
        return rtc_traffic(self.page.evaluate("window.__bench.rtcStats()"))

    def start(self, probe: str) -> Page:
        reason = missing("the browser_share stack")
        if reason:
            raise StackSkipped(reason)
        self.scope.enter_context(network_namespace("cdm-bench"))
        self.server = ServerProcess(self.workdir / "server")
        self.server.create_user(USER, "Bench Technician", "coupdemain bench", role="admin")
        self.server.start()
        # The technician's own headless Chromium, inside the namespace: the bench's
        # shared one is outside, where WebRTC finds no address to offer.
        self.viewer = Chromium(args=(DISABLE_MDNS,),
                               env={k: v for k, v in os.environ.items() if k != "DISPLAY"})
        page = self.page = self.viewer.new_page()
        code = _sign_in_and_ask_for_a_code(page, probe, self.server.url)
        width, height = self.PERSON_WINDOW
        self.person = Chromium(width, height, headless=False, binary=CHROMIUM_BINARY,
                               args=("--window-position=0,0", DISABLE_MDNS,
                                     "--auto-select-desktop-capture-source=Entire screen"),
                               env=self.screen.env())
        person = self.person.first_page()
        person.goto(self.server.url + "/join")
        person.wait_for("!!document.querySelector('#share-code')", "the join page's code field")
        person.evaluate(f"""(() => {{
            document.querySelector('#share-code').value = {code!r};
            document.querySelector('#share-code-form').requestSubmit();
        }})()""")
        person.wait_for("!!document.querySelector('#share-asker')?.innerText.trim()",
                        "the join page's question", timeout=30)
        # A script's click, not a person's: getDisplayMedia needs none here, and the
        # panel then stays in the tab instead of a Picture-in-Picture window that
        # would cover the screen being measured.
        person.evaluate("document.querySelector('#share-start').click()")
        person.wait_for("document.querySelector('#browser-share')?.dataset.step === 'sharing'",
                        "the person's browser to share", timeout=30)
        page.wait_for("document.querySelector('#status')?.innerText.includes("
                      "'View only: the person shares their screen')", "view only", timeout=60)
        return page

    def stop(self) -> None:
        super().stop()
        for browser in (self.person, self.viewer):
            if browser is not None:
                browser.close()
        self.person = self.viewer = None
        if self.server is not None:
            self.server.stop()
        self.scope.close()


def make_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="coupdemain-bench-"))
