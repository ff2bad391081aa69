"""Headless Chromium launched by the bench, driven over a bare DevTools connection.

Why not Playwright: a Playwright page enables the DevTools Network domain,
and Chromium then copies every WebSocket frame to the driver (about a fifth
of a core at 4.5 MB/s), which would weigh on the stack being measured. This
client uses only Target, Page.navigate, Runtime.evaluate and Input: no
domain that reports traffic is ever enabled, so the browser does the same
work as when a person uses it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = "/usr/bin/chromium"
# DESIGN.md's switches: without the networking ones Chromium keeps trying
# hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class BrowserError(RuntimeError):
    """Chromium did not start or a DevTools command failed."""


class Chromium:
    """One headless Chromium process and its browser-level DevTools connection."""

    def __init__(self, width: int = 1920, height: int = 1200, *, headless: bool = True,
                 binary: str = CHROMIUM, args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None) -> None:
        """``headless=False`` opens a window on ``env``'s DISPLAY (to capture that screen)."""
        self.profile = Path(tempfile.mkdtemp(prefix="coupdemain-bench-chromium-"))
        self.process = subprocess.Popen(
            [binary, *(["--headless"] if headless else []), "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             # Timers and painting of a page nobody looks at must not slow down.
             "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
             "--disable-backgrounding-occluded-windows",
             # The bench reads the viewer's English status lines.
             "--lang=en-US", *CHROMIUM_ARGS, *args, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise BrowserError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        self.connection = DevTools(f"ws://127.0.0.1:{port}{path}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def new_page(self) -> Page:
        target = self.connection.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.connection.call("Target.attachToTarget",
                                       {"targetId": target, "flatten": True})["sessionId"]
        return Page(self.connection, target, session)

    def first_page(self) -> Page:
        """The tab Chromium opened with (a headful one: in the window it placed)."""
        targets = self.connection.call("Target.getTargets")["targetInfos"]
        target = next(t["targetId"] for t in targets if t["type"] == "page")
        session = self.connection.call("Target.attachToTarget",
                                       {"targetId": target, "flatten": True})["sessionId"]
        return Page(self.connection, target, session)

    def close(self) -> None:
        if getattr(self, "connection", None) is not None:
            self.connection.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.profile, ignore_errors=True)


class DevTools:
    """A DevTools WebSocket: numbered calls, answers matched by id, events dropped."""

    def __init__(self, url: str) -> None:
        self._exit = contextlib.ExitStack()
        self.socket: ClientConnection = self._exit.enter_context(
            connect(url, max_size=None, open_timeout=20))
        self.ids = itertools.count(1)
        self.pending: dict[int, Future[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for raw in self.socket:
                message = json.loads(raw)
                future = self.pending.pop(message.get("id", -1), None)
                if future is not None:
                    future.set_result(message)
        except Exception:  # noqa: BLE001 - the socket closed: fail every waiting call
            pass
        for future in list(self.pending.values()):
            if not future.done():
                future.set_exception(BrowserError("the DevTools connection closed"))

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 30.0) -> dict[str, Any]:
        ident = next(self.ids)
        future: Future[dict[str, Any]] = Future()
        self.pending[ident] = future
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        with self.lock:
            self.socket.send(json.dumps(message))
        answer = future.result(timeout)
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error'].get('message')}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def close(self) -> None:
        self._exit.close()


class Page:
    """One tab: navigate, evaluate JavaScript, press keys and click."""

    def __init__(self, connection: DevTools, target: str, session: str) -> None:
        self.connection = connection
        self.target = target
        self.session = session
        self.scripts: list[str] = []

    def call(self, method: str, params: dict[str, Any] | None = None,
             timeout: float = 30.0) -> dict[str, Any]:
        return self.connection.call(method, params, self.session, timeout)

    def add_script(self, source: str) -> None:
        """Runs ``source`` in every document this tab loads from now on (and in this one).

        Page events are small (navigation, lifecycle) and dropped unread.
        """
        self.scripts.append(source)
        self.call("Page.enable")
        self.call("Page.addScriptToEvaluateOnNewDocument", {"source": source})
        self.evaluate(source)

    def goto(self, url: str, timeout: float = 30.0) -> None:
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + timeout
        time.sleep(0.2)
        while time.monotonic() < deadline:
            try:
                if self.evaluate("document.readyState") == "complete":
                    for source in self.scripts:  # in case the new document missed them
                        self.evaluate(source)
                    return
            except BrowserError:
                pass  # the old document went away mid-call
            time.sleep(0.1)
        raise BrowserError(f"{url} did not load within {timeout:.0f} s")

    def evaluate(self, expression: str, timeout: float = 30.0) -> Any:
        """The value of a JavaScript expression (promises are awaited), as JSON."""
        result = self.call("Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True,
        }, timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript failed: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except BrowserError:
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise BrowserError(f"timed out waiting for {what} (last: {value!r})")

    def press_key(self, key: str = "a", code: str = "KeyA", key_code: int = 65) -> None:
        """A real (trusted) key press and release, as from the keyboard."""
        down = {"type": "keyDown", "key": key, "code": code, "text": key,
                "windowsVirtualKeyCode": key_code, "nativeVirtualKeyCode": key_code}
        self.call("Input.dispatchKeyEvent", down)
        self.call("Input.dispatchKeyEvent", {**down, "type": "keyUp", "text": ""})

    def click(self, x: float, y: float) -> None:
        """A real left click at page coordinates."""
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def close(self) -> None:
        with contextlib.suppress(BrowserError, TimeoutError):
            self.connection.call("Target.closeTarget", {"targetId": self.target}, timeout=10)
