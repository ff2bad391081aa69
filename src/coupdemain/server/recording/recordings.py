"""The recordings of sessions: which policy applies, the open files, the sweeper of expired ones.

A session is recorded when its organisation's policy is not ``never``, the
mandate allows it (``recording_allowed``), and the person accepted on their
own computer (``Consent.record``): the state machine says so
(``SupportSession.wants_recording``), and the rendezvous asks ``start``.
The relay then hands each message it lets through to the session's writer
(a tap), unread; a write that fails (a full disk) stops the recording, and
the rendezvous records why, while the session goes on. At the end, the
file's SHA-256 goes into the audit log.

Files live in ``recordings/`` under the data folder, one per session:
``<session id>.rec`` (the agent's frames) or ``<session id>.webm.rec``
(a browser share, uploaded by the console), sealed by ``sealed.py``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ...protocol.enums import RecordingPolicy, Tool
from ...protocol.mandate import Terms
from ..audit import AuditLog
from ..store.models import Organisation, SupportSession, User
from .sealed import (
    KIND_FRAMES,
    KIND_WEBM,
    RecordingWriteFailed,
    Sealed,
    SealedWriter,
    make_private_folder,
)

logger = logging.getLogger("coupdemain.recording")

SUFFIX = {KIND_FRAMES: ".rec", KIND_WEBM: ".webm.rec"}


def recording_allowed(mandate: Terms | None) -> bool:
    """Whether a session bound by this mandate (None: none) may be recorded at all.

    A mandate whose tools leave out recording wins over the organisation's
    policy, and the welcome then announces ``never``; an extension signed
    later does not start a recording the person was told would not happen.
    Without a mandate, the organisation's policy alone decides.
    """
    return mandate is None or Tool.RECORDING in mandate.tools


def policy_named(text: str) -> RecordingPolicy:
    try:
        return RecordingPolicy(text)
    except ValueError:
        return RecordingPolicy.NEVER


class Recordings:
    """The recordings folder and the recordings being written.

    Args:
        key: the AES-256 key (``sealed.derive_key``).
        clock: seconds, for the records' times.
        wall: the present, for the retention (the sweeper's tests move it).
        opener: opens a recording's file for writing (tests pass one that fails).
    """

    def __init__(
        self, folder: Path, key: bytes, db: async_sessionmaker[AsyncSession], audit: AuditLog, *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        opener: Callable[[Path], BinaryIO] | None = None,
    ) -> None:
        self.folder = folder
        self.key = key
        self._db = db
        self._audit = audit
        self._clock = clock
        self.wall = wall
        self.opener = opener
        self._open: dict[str, SealedWriter] = {}
        # A browser share's recording: the next piece the console uploads (routes.py).
        self.pieces: dict[str, int] = {}
        # Called when a recording fails while frames pass: the rendezvous records
        # why (``SupportSession.recording_stopped``). Set by the rendezvous.
        self.on_failed: Callable[[str, str], Awaitable[None]] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def path_of(self, session_id: str, kind: int = KIND_FRAMES) -> Path:
        return self.folder / f"{session_id}{SUFFIX[kind]}"

    def existing(self, session_id: str) -> Path | None:
        """The session's recording on disk, if there is one."""
        for kind in SUFFIX:
            path = self.path_of(session_id, kind)
            if path.exists():
                return path
        return None

    def is_open(self, session_id: str) -> bool:
        return session_id in self._open

    async def policy_of(self, organisation_id: int) -> tuple[RecordingPolicy, int]:
        """The organisation's recording policy, and how many days it keeps recordings."""
        async with self._db() as db:
            org = await db.get(Organisation, organisation_id)
        if org is None:
            return RecordingPolicy.NEVER, 0
        return policy_named(org.recording_policy), org.recording_retention_days

    def start(self, session_id: str, kind: int = KIND_FRAMES) -> SealedWriter:
        """Opens the session's recording.

        Raises:
            RecordingWriteFailed: the file cannot be made (``reason`` says why).
        """
        if session_id in self._open:
            return self._open[session_id]
        if self.existing(session_id) is not None:
            # One recording per session: a second start (after a server restart) is refused.
            raise RecordingWriteFailed("already_recorded")
        writer = SealedWriter(self.path_of(session_id, kind), self.key, session_id, kind,
                              self.wall().timestamp(), clock=self._clock, opener=self.opener)
        self._open[session_id] = writer
        logger.info("recording session %s", session_id)
        return writer

    def tap(self, session_id: str) -> Callable[[bytes], None]:
        """What the relay calls with each message: it writes, and on failure stops and says so."""
        def write(data: bytes) -> None:
            writer = self._open.get(session_id)
            if writer is None:
                return
            try:
                writer.write_record(data)
            except RecordingWriteFailed as exc:
                self._fail(session_id, exc.reason)
        return write

    def append(self, session_id: str, data: bytes) -> None:
        """Adds a browser share's WebM bytes to its open recording.

        Raises:
            RecordingWriteFailed: the recording failed (it is stopped).
            KeyError: no recording is open for the session.
        """
        writer = self._open[session_id]
        try:
            writer.append(data)
        except RecordingWriteFailed as exc:
            self._fail(session_id, exc.reason)
            raise

    def _fail(self, session_id: str, reason: str) -> None:
        writer = self._open.pop(session_id, None)
        if writer is None:
            return
        sealed = writer.abandon()
        logger.warning("the recording of session %s stopped: %s", session_id, reason)
        task = asyncio.get_running_loop().create_task(
            self._after_failure(session_id, reason, sealed))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after_failure(self, session_id: str, reason: str, sealed: Sealed) -> None:
        """Records why the recording stopped, then what its file holds (it still reads)."""
        if self.on_failed is not None:
            await self.on_failed(session_id, reason)
        await self._audit.append(
            "recording_closed", actor="server", session_id=session_id,
            detail={"sha256": sealed.sha256, "size": sealed.size, "complete": False},
        )

    async def finish(self, session_id: str) -> Sealed | None:
        """Closes the session's recording, if one is open, and audits its SHA-256."""
        writer = self._open.pop(session_id, None)
        self.pieces.pop(session_id, None)
        if writer is None:
            return None
        try:
            sealed = writer.close()
            complete = True
        except RecordingWriteFailed as exc:
            logger.warning("the recording of session %s could not be closed: %s",
                           session_id, exc.reason)
            sealed, complete = writer.abandon(), False
        await self._audit.append(
            "recording_closed", actor="server", session_id=session_id,
            detail={"sha256": sealed.sha256, "size": sealed.size, "complete": complete},
        )
        return sealed

    # --- retention ---------------------------------------------------------

    async def sweep(self) -> list[str]:
        """Deletes the recordings older than their organisation's retention; audits each.

        A recording's age is its file's last change. Returns the sessions whose
        recording was deleted.
        """
        if not self.folder.is_dir():
            return []
        now = self.wall()
        deleted: list[str] = []
        for path in sorted(self.folder.iterdir()):
            session_id = path.name.split(".", 1)[0]
            if session_id in self._open or not path.name.endswith(".rec"):
                continue
            days = await self._retention_days(session_id)
            changed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if now - changed < timedelta(days=days):
                continue
            path.unlink(missing_ok=True)
            deleted.append(session_id)
            logger.info("deleted the recording of session %s (kept %d days)", session_id, days)
            await self._audit.append(
                "recording_deleted", actor="server", session_id=session_id,
                detail={"why": "retention", "days": days},
            )
        return deleted

    async def _retention_days(self, session_id: str) -> int:
        async with self._db() as db:
            days = await db.scalar(
                select(Organisation.recording_retention_days)
                .join(User, User.organisation_id == Organisation.id)
                .join(SupportSession, SupportSession.technician_id == User.id)
                .where(SupportSession.id == session_id)
            )
        # A recording whose session is gone from the database is kept no longer.
        return int(days) if days is not None else 0

    async def run_sweeper(self, interval: float, *, rounds: int | None = None,
                          sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Sweeps every ``interval`` seconds, ``rounds`` times (None: until cancelled)."""
        done = 0
        while rounds is None or done < rounds:
            try:
                await self.sweep()
            except Exception:
                logger.exception("recordings sweep failed")
            done += 1
            await sleep(interval)

    def prepare(self) -> None:
        """At start-up: the folder exists, 0700."""
        make_private_folder(self.folder)
