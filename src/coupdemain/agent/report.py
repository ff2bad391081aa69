"""After the session: the technician's report (the recap), fetched over HTTP, and the person's note.

The session's WebSocket is closed once the session ends, and the report is
written after that, often minutes later. Rather than keep a socket open
for it, the agent asks the server over HTTP while its last window is open
(``ReportFollower.follow``): every few seconds at first, then less often,
for ``COUPDEMAIN_REPORT_WAIT_SECONDS`` at most (15 minutes by default; 0:
never). It proves which session it asks about with the session's resume
secret (``Welcome.resume``) as a bearer token, which the server accepts for
that alone once the session has ended. The HTTP requests go the way the
WebSocket went: the same server address, the system's certificate
authorities, the system's proxy (``transfer._UrllibOpener``).

See docs/reference/protocol.md, "After the end: the report".
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..protocol.errors import LocalError
from .transfer import NETWORK_ERRORS, Opener
from .ui import events as ev

logger = logging.getLogger("coupdemain.agent.report")

WAIT_VARIABLE = "COUPDEMAIN_REPORT_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 15 * 60.0
HTTP_TIMEOUT = 20.0
# The waits between two questions: 2, 4, 8, 15, 15… seconds.
FIRST_POLL_SECONDS = 2.0
LONGEST_POLL_SECONDS = 15.0
MAX_NOTE_CHARACTERS = 2000  # as the server (server/recap.py)
MAX_REPORT_BYTES = 4 * 1024**2
MAX_PDF_BYTES = 20 * 1024**2


def wait_seconds() -> float:
    """How long the agent waits for the report, from the environment; 0 turns it off."""
    try:
        return max(0.0, min(24 * 3600.0, float(os.environ.get(WAIT_VARIABLE, ""))))
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def utc_offset_minutes() -> int:
    """This computer's offset from UTC now, in minutes east: the PDF's times are local."""
    return int(time.localtime().tm_gmtoff // 60)


class ReportUnavailable(LocalError):
    """The server could not be asked, or refused; ``key`` is the agent's sentence."""

    sentence = "agent:report.problem.unreachable"

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key


class ReportClient:
    """The three requests, blocking (``ReportFollower`` runs them in a thread).

    Args:
        base: the server's HTTP address (``transfer.http_base``).
        secret: the session's resume secret.
        language: the person's language, "en" or "fr".
    """

    def __init__(self, base: str, secret: str, language: str,
                 opener: Opener | None = None) -> None:
        self.base = base.rstrip("/")
        self._secret = secret
        self.language = language
        self._opener: Opener = opener or urllib.request.build_opener()

    def _open(self, path: str, query: dict[str, str], *, data: bytes | None = None,
              limit: int) -> bytes:
        url = f"{self.base}{path}?{urllib.parse.urlencode(query)}"
        headers = {"Authorization": f"Bearer {self._secret}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers,
                                         method="POST" if data is not None else "GET")
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT) as response:
                body: bytes = response.read(limit + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 413:
                raise ReportUnavailable("report.problem.note_long", str(exc)) from exc
            if exc.code in (401, 404, 409, 410):
                raise ReportUnavailable("report.problem.gone", str(exc)) from exc
            raise ReportUnavailable("report.problem.unreachable", str(exc)) from exc
        except NETWORK_ERRORS as exc:
            raise ReportUnavailable("report.problem.unreachable", str(exc)) from exc
        if len(body) > limit:
            raise ReportUnavailable("report.problem.unreachable", f"{url}: too large")
        return body

    def status(self) -> tuple[str, dict[str, Any] | None]:
        """``("none" | "writing" | "sent", the report once sent)``."""
        body = self._open("/api/agent/report", {"lang": self.language},
                          limit=MAX_REPORT_BYTES)
        try:
            answer = json.loads(body)
            status = str(answer["status"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ReportUnavailable("report.problem.unreachable", "not a report") from exc
        report = answer.get("report")
        return status, report if isinstance(report, dict) else None

    def pdf(self) -> bytes:
        """The report's PDF, in the person's language and time zone."""
        return self._open("/api/agent/report.pdf", {
            "lang": self.language, "offset": str(utc_offset_minutes())}, limit=MAX_PDF_BYTES)

    def send_note(self, text: str) -> None:
        """The person's answer to "anything else?", for the technician."""
        self._open("/api/agent/report/notes", {"lang": self.language},
                   data=json.dumps({"text": text}).encode(), limit=64 * 1024)


class ReportFollower:
    """Waits for the report, shows it, and carries out what the person asks of it.

    Args:
        client: the requests.
        post: hands events to the windows (thread-safe).
        technician: the technician's name, for "…is writing a summary".
        wait: how long to wait for the report, in seconds.
        sleep, clock: injected by tests.
    """

    def __init__(
        self, client: ReportClient, post: Callable[[ev.UiEvent], None], technician: str,
        wait: float, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.post = post
        self.technician = technician
        self.wait = wait
        self.sleep = sleep
        self.clock = clock

    async def follow(self, actions: asyncio.Queue[ev.UserAction]) -> None:
        """Until the report is shown and the person is done with it, or there is none."""
        report = await self._wait_for_report()
        if report is None:
            return
        self.post(ev.ReportReady(report))
        while True:
            action = await actions.get()
            match action:
                case ev.SaveReportPdf(path=path):
                    await self._save(path)
                case ev.SendReportNote(text=text):
                    await self._send_note(text)
                case _:
                    pass  # a click on a window of the session that is over

    async def _wait_for_report(self) -> dict[str, Any] | None:
        deadline = self.clock() + self.wait
        pause = FIRST_POLL_SECONDS
        told = False
        while True:
            try:
                status, report = await asyncio.to_thread(self.client.status)
            except ReportUnavailable as exc:
                logger.info("asking for the report: %s", exc)
                if not told or exc.key == "report.problem.gone":
                    return None  # the server has nothing for this agent
                status, report = "writing", None
            if status == "sent" and report is not None:
                return report
            if status != "writing":
                return None
            if not told:
                self.post(ev.ReportAwaited(self.technician))
                told = True
            if self.clock() + pause > deadline:
                self.post(ev.ReportTimedOut())
                return None
            await self.sleep(pause)
            pause = min(pause * 2, LONGEST_POLL_SECONDS)

    async def _save(self, path: str) -> None:
        try:
            data = await asyncio.to_thread(self.client.pdf)
            await asyncio.to_thread(Path(path).write_bytes, data)
        except ReportUnavailable as exc:
            logger.info("the report's PDF: %s", exc)
            self.post(ev.ReportFailed(exc.key))
            return
        except OSError as exc:
            logger.info("could not write %s: %s", path, exc)
            self.post(ev.ReportFailed("report.problem.write"))
            return
        self.post(ev.ReportSaved(path))

    async def _send_note(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if len(text) > MAX_NOTE_CHARACTERS:
            self.post(ev.ReportFailed("report.problem.note_long"))
            return
        try:
            await asyncio.to_thread(self.client.send_note, text)
        except ReportUnavailable as exc:
            logger.info("the person's note: %s", exc)
            self.post(ev.ReportFailed(exc.key))
            return
        self.post(ev.ReportNoteSent())
