"""``coupdemain get-help``: the attended agent, from the code to the session's end.

Tk owns the main thread and shows the windows (``ui/``); a background
thread runs the asyncio connection (``connection.py``) and the session
(``session.py``). Events cross between them through thread-safe queues
only: ``AgentUi.post`` towards Tk, ``loop.call_soon_threadsafe`` back.

Exit codes: 0 the session took place and ended (or the person declined);
1 no session, or the connection was lost; 2 the agent cannot start here
(a plain-HTTP server, no X display).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
import platform
import socket
import sys
import threading
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypedDict

from ..i18n import Translator, normalize, system_language
from ..protocol import messages as m
from ..protocol.enums import Role
from ..protocol.errors import CloseReason
from .connection import (
    AgentConnection,
    Backoff,
    CodeRefused,
    InsecureServer,
    ServerNotTrusted,
    ServerUnreachable,
    reconnect,
    websocket_url,
)
from .inject.base import InputSink
from .known import KnownOrganisations
from .mandate import fetch_copy
from .pipeline import FramePipeline
from .report import ReportClient, ReportFollower, wait_seconds
from .session import AssistedSession
from .transfer import AgentFiles, http_base
from .ui import events as ev

logger = logging.getLogger("coupdemain.agent")

# A person retrying codes by hand never gets near this; a runaway loop stops.
MAX_CODE_ATTEMPTS = 100

PROBLEMS: dict[int, str] = {
    CloseReason.CODE_INVALID: ev.PROBLEM_INVALID,
    CloseReason.CODE_EXPIRED: ev.PROBLEM_EXPIRED,
    CloseReason.TIMED_OUT: ev.PROBLEM_EXPIRED,
    CloseReason.CODE_USED: ev.PROBLEM_USED,
    CloseReason.RATE_LIMITED: ev.PROBLEM_RATE_LIMITED,
    CloseReason.CODE_CHECKS_PAUSED: ev.PROBLEM_CODE_CHECKS_PAUSED,
    CloseReason.UNSUPPORTED_VERSION: ev.PROBLEM_VERSION,
}


@dataclass(frozen=True, slots=True)
class AgentOptions:
    """What ``run_get_help`` was asked to do."""

    ws_url: str
    code: str | None
    language: str
    assume_consent: bool
    backoff: Backoff = field(default_factory=Backoff)  # how to resume after a drop
    # How long to wait for the technician's report after the end (agent/report.py); 0: never.
    report_wait: float = 0.0
    # A managed device's policy (agent/device/service.py starts the agent with it).
    unattended: bool = False
    consent_timeout: float | None = None
    view_accepted: bool = False  # the person asked for help: viewing allowed, control asked


class ComputerDescription(TypedDict):
    """The Hello's fields that describe this computer."""

    hostname: str
    os: str
    user: str
    language: str


def describe_computer(language: str) -> ComputerDescription:
    """What the agent tells the technician about this computer, in its Hello."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    return {
        "hostname": socket.gethostname(),
        "os": f"{platform.system()} {platform.release()}".strip(),
        "user": user,
        "language": language,
    }


class AgentWorker:
    """The asyncio side: joins with a code, then runs the session.

    Args:
        options: the server's WebSocket address, code, language, demo flag.
        post: hands events to the windows (thread-safe).
        make_pipeline: builds the frame pipeline (X11 capture by default).
        make_sink: builds the input sink, in the worker's thread.
    """

    def __init__(
        self,
        options: AgentOptions,
        post: Callable[[ev.UiEvent], None],
        make_pipeline: Callable[[], FramePipeline],
        make_sink: Callable[[], InputSink],
    ) -> None:
        self.options = options
        self.post = post
        self.make_pipeline = make_pipeline
        self.make_sink = make_sink
        self.loop: asyncio.AbstractEventLoop | None = None
        self.actions: asyncio.Queue[ev.UserAction] | None = None
        self._ready = threading.Event()
        self._main: asyncio.Task[int] | None = None
        self.exit_code = 1
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # tests: no real waits

    # --- called from the Tk thread -----------------------------------------

    def act(self, action: ev.UserAction) -> None:
        """Passes one of the person's clicks to the asyncio thread."""
        self._ready.wait(5)
        if self.loop is not None and self.actions is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                self.loop.call_soon_threadsafe(self.actions.put_nowait, action)

    def stop(self) -> None:
        """Cancels whatever the worker is doing (the windows are closing)."""
        if self.loop is not None and self._main is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._main.cancel)

    # --- the thread ----------------------------------------------------------

    def run_in_thread(self) -> None:
        try:
            with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
                self.exit_code = runner.run(self._run())
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("the agent failed")
            self.post(ev.ConnectionLost())

    async def _run(self) -> int:
        self.loop = asyncio.get_running_loop()
        self.actions = asyncio.Queue()
        self._main = asyncio.current_task()
        self._ready.set()
        joined = await self._join()
        if joined is None:
            return 1
        connection, welcome = joined
        pipeline = self.make_pipeline()
        sink = self.make_sink()
        session = AssistedSession(
            connection, welcome, pipeline, sink, self.post,
            assume_consent=self.options.assume_consent,
            unattended=self.options.unattended, consent_timeout=self.options.consent_timeout,
            view_accepted=self.options.view_accepted,
            server=urllib.parse.urlsplit(self.options.ws_url).hostname or "",
            verified=self.options.ws_url.startswith("wss:"), known=KnownOrganisations(),
        )
        session.files = AgentFiles(
            http_base(self.options.ws_url), welcome.session_id,
            lambda message: session.connection.send(message), self.post,
        )
        if welcome.resume:
            base, secret = http_base(self.options.ws_url), welcome.resume
            session.fetch_mandate_copy = lambda: asyncio.to_thread(fetch_copy, base, secret)
            hello = m.Hello(protocol=m.PROTOCOL_VERSION, role=Role.AGENT, resume=welcome.resume,
                            **describe_computer(self.options.language))
            session.reconnect = lambda: self._resume(hello)
        try:
            exit_code = await session.run(self.actions)
        finally:
            pipeline.close()
            try:
                sink.close()
            except Exception:  # noqa: BLE001 - the display may be gone already
                logger.debug("closing the input sink failed", exc_info=True)
        if exit_code == 0 and welcome.resume and self.options.report_wait > 0:
            # The session ended: the technician's summary comes over HTTP, if they write one.
            client = ReportClient(http_base(self.options.ws_url), welcome.resume,
                                  self.options.language)
            await ReportFollower(client, self.post, welcome.technician_name,
                                 self.options.report_wait, sleep=self.sleep).follow(self.actions)
        return exit_code

    async def _resume(self, hello: m.Hello) -> tuple[AgentConnection, m.Welcome]:
        """Tries to resume the session after a drop, telling the person each attempt."""
        return await reconnect(
            self.options.ws_url, hello, self.options.backoff,
            on_attempt=lambda attempt: self.post(ev.Reconnecting(attempt)), sleep=self.sleep,
        )

    async def _join(self) -> tuple[AgentConnection, m.Welcome] | None:
        """Tries codes until the server welcomes one, or the person gives up."""
        assert self.actions is not None
        code = self.options.code
        problem = ""
        details = describe_computer(self.options.language)
        for _attempt in range(MAX_CODE_ATTEMPTS):
            if code is None:
                self.post(ev.AskForCode(problem))
                action = await self.actions.get()
                if isinstance(action, ev.GiveUp):
                    return None
                if not isinstance(action, ev.SubmitCode):
                    continue
                code = action.code
            self.post(ev.Connecting())
            hello = m.Hello(
                protocol=m.PROTOCOL_VERSION, role=Role.AGENT, code=code, **details
            )
            try:
                return await AgentConnection.open(self.options.ws_url, hello)
            except CodeRefused as exc:
                logger.info("code refused: %s", exc.reason)
                problem = PROBLEMS.get(int(exc.reason or 0), ev.PROBLEM_REFUSED)
            except ServerNotTrusted as exc:
                logger.warning("%s", exc)
                problem = ev.PROBLEM_UNTRUSTED
            except ServerUnreachable as exc:
                logger.info("%s", exc)
                problem = ev.PROBLEM_UNREACHABLE
            code = None
            if self.options.assume_consent or self.options.unattended:
                # The demo's agent: nobody is at the screen to type another code.
                self.post(ev.Quit(1, problem))
                return None
        self.post(ev.Quit(1, ev.PROBLEM_REFUSED))
        return None


def _x11_pipeline() -> FramePipeline:
    from .capture.cursor import CursorTracker, CursorUnavailable
    from .capture.damage import DamageTracker, DamageUnavailable
    from .capture.x11 import X11Screen
    from .pipeline import ChangeSource, FrameTimer

    changes: ChangeSource
    try:
        changes = DamageTracker()
    except DamageUnavailable as exc:
        logger.info("no XDamage (%s); capturing at a fixed rate", exc)
        changes = FrameTimer()
    cursor: CursorTracker | None
    try:
        cursor = CursorTracker()
    except CursorUnavailable as exc:
        logger.info("no XFixes (%s); the viewer shows no remote pointer", exc)
        cursor = None
    return FramePipeline(X11Screen(), changes=changes, cursor=cursor)


def _x11_sink() -> InputSink:
    from .inject.x11 import X11InputSink

    return X11InputSink()


def _display_problem(t: Translator) -> str | None:
    if os.environ.get("DISPLAY"):
        return None
    if os.environ.get("WAYLAND_DISPLAY"):
        return t("error.wayland")
    return t("error.no_display")


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (with uvicorn's extras, on Linux and macOS), else asyncio's.

    Each frame crosses the loop several times (damage, the worker thread's
    result, the send, the viewer's acknowledgement): uvloop's callbacks and
    timers cost a third to a tenth of the default loop's, about 1% of a
    core at 30 frames a second.
    """
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run_get_help(
    server_url: str,
    code: str | None,
    language: str | None,
    allow_insecure_http: bool,
    assume_consent: bool,
    reconnect_seconds: float = 60.0,
    unattended: bool = False,
    consent_timeout: float | None = None,
    view_accepted: bool = False,
) -> int:
    """Runs the attended agent: code prompt, consent, session, end.

    Args:
        server_url: the server's address, ``https://host[:port]``.
        code: the 9-digit code, or None to ask for it in a window.
        language: "en" or "fr" (or a locale like "fr_FR"); None: the system's.
        allow_insecure_http: accept plain HTTP to a server on another computer.
        assume_consent: the demo only: allow viewing and control on the
            person's behalf; the banner says so.
        reconnect_seconds: after a drop, how long to try to resume (0: never).
        unattended: a managed device's no-prompt policy: consent is given, the banner says why.
        consent_timeout: a managed device's ask-the-person policy: no answer in time is no.
        view_accepted: the person asked for help on this device: viewing is allowed by
            their request; control still needs their click.

    Returns:
        The exit code: 0 a session ended (or was declined), 1 no session or
        the connection was lost, 2 the agent cannot start here.
    """
    lang = normalize(language) if language else system_language()
    t = Translator("agent", lang)
    try:
        ws_url = websocket_url(server_url, allow_insecure_http)
    except InsecureServer:
        print(t("error.insecure_http", server=server_url), file=sys.stderr)
        return 2
    except ValueError:
        print(t("error.bad_server", server=server_url), file=sys.stderr)
        return 2
    problem = _display_problem(t)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if code is not None:
        code = "".join(ch for ch in code if ch.isdigit()) or None

    import tkinter as tk

    from .ui.runner import AgentUi

    worker: AgentWorker | None = None

    def act(action: ev.UserAction) -> None:
        if worker is not None:
            worker.act(action)

    try:
        ui = AgentUi(t, act, server=server_url)
    except tk.TclError as exc:
        print(t("error.no_window", detail=exc), file=sys.stderr)
        return 2
    options = AgentOptions(ws_url, code, lang, assume_consent,
                           Backoff(total=max(0.0, reconnect_seconds)),
                           report_wait=0.0 if assume_consent else wait_seconds(),
                           unattended=unattended, consent_timeout=consent_timeout,
                           view_accepted=view_accepted)
    worker = AgentWorker(options, ui.post, _x11_pipeline, _x11_sink)
    thread = threading.Thread(target=worker.run_in_thread, name="coupdemain-agent", daemon=True)
    thread.start()
    try:
        exit_code = ui.run()
    finally:
        worker.stop()
        thread.join(timeout=5)
        ui.destroy()
    if ui.quit_problem:
        print(t(f"problem.{ui.quit_problem}", server=server_url), file=sys.stderr)
    return exit_code
