"""``coupdemain demo``: the server, a virtual screen with an application, and an agent.

A newcomer sees a live session within a minute: the demo starts the server
on its embedded defaults, a virtual screen (Xvfb) showing a small notes
application, and an agent on that screen that joins with a code the demo
asks for. Nobody sits at the virtual screen, so the demo's agent gives
consent on the person's behalf, and says so on its banner.
"""

from __future__ import annotations

import asyncio
import dataclasses
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ..config import Settings, env_name
from ..i18n import DEFAULT_LANGUAGE
from ..server import accounts
from ..server.store.database import create_engine, migrate, session_factory
from .xvfb import VirtualScreen, XvfbError

DEMO_USER = "demo"


async def _prepare_demo_user(settings: Settings) -> str:
    """Creates the demo technician, or gives it a new password; returns the password."""
    password = accounts.generate_password()
    engine = create_engine(settings.resolved_database_url)
    try:
        await migrate(engine)
        db = session_factory(engine)
        try:
            await accounts.set_password(db, DEMO_USER, password)
        except accounts.UnknownUser:
            await accounts.create_user(
                db, username=DEMO_USER, display_name="Demo Technician",
                organisation="coupdemain demo", password=password, role="admin",
            )
    finally:
        await engine.dispose()
    return password


class ConsoleClient:
    """Signs into the console over HTTP and asks for codes, as a technician's browser would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def _get(self, path: str) -> str:
        with self._opener.open(self.base_url + path, timeout=10) as response:
            return str(response.read().decode())

    def sign_in(self, username: str, password: str) -> None:
        page = self._get("/login")
        csrf = _csrf_of(page)
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrf_token": csrf}
        ).encode()
        with self._opener.open(self.base_url + "/login", data=body, timeout=10):
            pass

    def new_session(self) -> dict[str, str]:
        csrf = _csrf_of(self._get("/"))
        request = urllib.request.Request(
            self.base_url + "/api/sessions", method="POST", headers={"X-CSRF-Token": csrf}
        )
        with self._opener.open(request, timeout=10) as response:
            data: dict[str, str] = json.loads(response.read())
        return data


def _csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise RuntimeError("the console page has no CSRF token; is the server coupdemain?")
    return found.group(1)


def _wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server stopped; see its messages above")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer at {url} within {timeout:.0f} s")


def _server_env(settings: Settings) -> dict[str, str]:
    """The server's environment: exactly the demo's settings, whatever the shell had."""
    env = dict(os.environ)
    for f in dataclasses.fields(Settings):
        value = getattr(settings, f.name)
        env.pop(env_name(f.name), None)
        if value not in ("", None):
            env[env_name(f.name)] = str(value)
    return env


class _Stop(Exception):
    """SIGTERM or SIGHUP reached the demo."""


def _stop_on_signal(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Starts a child in its own session: Ctrl+C reaches the demo alone, which stops
    the children in order (the agent first, the server last) instead of all at once."""
    return subprocess.Popen(command, env=env, start_new_session=True)


def _stop_all(processes: list[subprocess.Popen[bytes]], screen: VirtualScreen) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in reversed(processes):
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    screen.stop()


def run_demo(
    settings: Settings,
    open_session_count: int = 0,
    *,
    language: str = DEFAULT_LANGUAGE,
    temporary_data: bool = True,
) -> int:
    """Runs the demo until Ctrl+C or SIGTERM (or after ``open_session_count`` sessions).

    Args:
        language: of the demo's agent, and of the console address it prints.
        temporary_data: keep the server's data in a temporary folder, deleted
            at the end, instead of the one ``settings`` names.

    Every process the demo starts (the server, Xvfb, the notes application,
    the agent) is stopped when it stops, whatever stopped it but SIGKILL.
    """
    work = Path(tempfile.mkdtemp(prefix="coupdemain-demo-"))
    if temporary_data:
        settings = settings.replace(data_dir=str(work / "data"), database_url="")
    processes: list[subprocess.Popen[bytes]] = []
    screen = VirtualScreen(1280, 800, own_session=True)
    handlers = {sig: signal.signal(sig, _stop_on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return _run(settings, open_session_count, language, temporary_data, work, processes,
                    screen)
    except (KeyboardInterrupt, _Stop):
        return 0
    except (RuntimeError, OSError, XvfbError) as exc:
        print(f"The demo stopped: {exc}.", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl+C or SIGTERM must not cut the clean-up short.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        try:
            _stop_all(processes, screen)
            shutil.rmtree(work, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)


def _run(
    settings: Settings,
    open_session_count: int,
    language: str,
    temporary_data: bool,
    work: Path,
    processes: list[subprocess.Popen[bytes]],
    screen: VirtualScreen,
) -> int:
    password = asyncio.run(_prepare_demo_user(settings))
    url = settings.resolved_public_url
    local_url = f"http://127.0.0.1:{settings.port}" if not settings.tls_cert else url
    server = _start([sys.executable, "-m", "coupdemain", "serve", "--no-sign-in-hint"],
                    _server_env(settings))
    processes.append(server)
    _wait_until_up(local_url, server)
    try:
        screen.start()
    except XvfbError as exc:
        print(f"{exc}. The demo's screen needs Xvfb.", file=sys.stderr)
        return 1
    app = _start(
        [sys.executable, "-m", "coupdemain.demo.desktop_app",
         "--state-file", str(work / "notes.json"), "--geometry", "900x560+40+140"],
        screen.env(),
    )
    processes.append(app)
    console = ConsoleClient(local_url)
    console.sign_in(DEMO_USER, password)
    where = (
        f"Its data is in {work / 'data'}, deleted when it stops."
        if temporary_data else f"Its data is in {settings.resolved_database_url}."
    )
    print(
        "\n  coupdemain demo is running.\n"
        f"    1. Open {url}/lang/{language} in your browser.\n"
        f"    2. Sign in as: {DEMO_USER}   password: {password}\n"
        "    3. Open the running session in the list: you see the virtual screen.\n"
        "       Click 'Request control', then type into the notes application.\n"
        "  Nobody sits at the virtual screen, so the demo gives consent on the\n"
        "  person's behalf; its banner says so. A real person always decides.\n"
        f"  {where}\n"
        "  Press Ctrl+C to stop.\n",
        flush=True,
    )
    sessions = 0
    while open_session_count <= 0 or sessions < open_session_count:
        issued = console.new_session()
        sessions += 1
        print(f"  Demo session {sessions}: {url}{issued['viewer_url']}", flush=True)
        agent = _start(
            [sys.executable, "-m", "coupdemain", "get-help", "--server", local_url,
             "--code", issued["code"], "--lang", language, "--assume-consent"],
            screen.env(),
        )
        processes.append(agent)
        agent.wait()
        processes.remove(agent)
        if server.poll() is not None:
            print("The server stopped.", file=sys.stderr)
            return 1
        time.sleep(1.0)
    return 0
