"""Files to and from the technician, on the assisted computer.

``AgentFiles`` follows the session's file messages (protocol/transfer.py):
it asks the person about each file offered, and moves the bytes over HTTP
once the server sends a ``file_ticket``. The bytes move in a worker thread,
one piece at a time, never the whole file in memory:

- a download goes to ``<name>.part`` in the folder the person chose, from
  that file's size with ``Range: bytes=N-`` (so a dropped connection
  resumes where it stopped), is checked against its SHA-256, and only then
  renamed to a name that takes no existing file's place;
- an upload sends pieces that each start at the offset the server
  confirms, and asks the server where it stands after a drop.

The HTTP credential is the token of the ticket, in the Authorization
header: nothing in a URL can be guessed or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import http.client
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ..protocol import messages as m
from ..protocol import transfer as tr
from ..protocol.errors import LocalError
from .folders import user_folder
from .ui import events as ev

logger = logging.getLogger("coupdemain.agent.transfer")

PIECE_BYTES = 1024 * 1024          # read from the network or the disk at a time
UPLOAD_PIECE_BYTES = 8 * 1024**2   # one PUT
MAX_ATTEMPTS = 30                  # in a row without progress, before giving up
RETRY_FIRST_DELAY = 0.5
RETRY_MAX_DELAY = 5.0
HTTP_TIMEOUT = 30.0
PROGRESS_EVERY = 0.25              # seconds between two progress reports
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError,
                  TimeoutError)


class TransferFailed(LocalError):
    """A transfer cannot finish; ``reason`` is one of protocol.transfer's reasons."""

    sentence = "agent:files.failed"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


class TransferCancelled(LocalError):
    """The person or the technician stopped the transfer."""

    sentence = "agent:files.cancelled.person"


def http_base(ws_url: str) -> str:
    """The server's HTTP address for the agent's WebSocket address.

    ``wss://help.example.org/cdm/ws/agent`` → ``https://help.example.org/cdm``.
    """
    parts = urllib.parse.urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    path = parts.path.removesuffix("/ws/agent")
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, "", ""))


def default_folder(home: Path | None = None) -> Path:
    """Where files go unless the person chooses: XDG's download folder, else ~/Downloads."""
    home = home or Path.home()
    named = user_folder("XDG_DOWNLOAD_DIR", home)
    if named is not None and named.is_absolute():
        return named
    return home / "Downloads"


def free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (1).ext``... if a file already has that name."""
    target = folder / name
    stem, dot, ext = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    for n in range(1, 1000):
        if not target.exists() and not target.is_symlink():
            return target
        target = folder / f"{stem} ({n}){dot}{ext}"
    raise TransferFailed(tr.REASON_WRITE, f"no free name for {name} in {folder}")


def file_sha256(path: Path, cancelled: threading.Event | None = None) -> str:
    """SHA-256 of a file, read a piece at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while piece := handle.read(PIECE_BYTES):
            if cancelled is not None and cancelled.is_set():
                raise TransferCancelled()
            digest.update(piece)
    return digest.hexdigest()


def _disk_reason(exc: OSError) -> str:
    return tr.REASON_DISK_FULL if exc.errno in DISK_FULL_ERRNOS else tr.REASON_WRITE


class Opener(Protocol):
    def open(self, fullurl: urllib.request.Request, *, timeout: float) -> Any: ...


class _UrllibOpener:
    """urllib's opener: the system's proxy settings apply, as for the agent's WebSocket."""

    def __init__(self) -> None:
        self._director = urllib.request.build_opener()

    def open(self, fullurl: urllib.request.Request, *, timeout: float) -> Any:
        return self._director.open(fullurl, timeout=timeout)


def _open_file(path: Path, mode: str) -> BinaryIO:
    return path.open(mode)  # type: ignore[return-value]  # always a binary mode here


@dataclass
class Mover:
    """Moves one file's bytes over HTTP, in a worker thread.

    Args:
        url: ``<server>/api/sessions/<session>/files/<id>``.
        token: the ticket's credential.
        progress: called with the bytes moved so far (from the worker thread).
        cancelled: set to stop between two pieces.
        opener: how requests are made (tests give a fake network).
        open_file: how the ``.part`` file is opened (tests give a failing disk).
        sleep: how to wait between attempts.
    """

    url: str
    token: str
    progress: Callable[[int], None] = lambda _done: None
    cancelled: threading.Event = field(default_factory=threading.Event)
    opener: Opener = field(default_factory=_UrllibOpener)
    open_file: Callable[[Path, str], BinaryIO] = _open_file
    sleep: Callable[[float], None] = time.sleep

    def _request(self, url: str, method: str = "GET", data: bytes | None = None,
                 headers: dict[str, str] | None = None) -> urllib.request.Request:
        all_headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return urllib.request.Request(url, data=data, method=method, headers=all_headers)

    def _check(self) -> None:
        if self.cancelled.is_set():
            raise TransferCancelled()

    def _wait(self, failures: int, exc: BaseException) -> None:
        if failures >= MAX_ATTEMPTS:
            raise TransferFailed(tr.REASON_NETWORK, str(exc)) from exc
        delay = min(RETRY_FIRST_DELAY * 2 ** (failures - 1), RETRY_MAX_DELAY)
        logger.info("transfer interrupted (%s); resuming in %.1f s", exc, delay)
        end = time.monotonic() + delay
        while time.monotonic() < end:
            self._check()
            self.sleep(min(0.1, delay))

    # --- to the person -----------------------------------------------------

    def download(self, part: Path, size: int, sha256: str) -> None:
        """Fills ``part`` to ``size`` bytes, resuming from what it holds; checks the hash.

        Raises:
            TransferFailed: ``checksum`` (the part file is deleted), ``disk_full``,
                ``write_error`` or ``network`` (after MAX_ATTEMPTS drops in a row).
            TransferCancelled: ``cancelled`` was set.
        """
        digest = hashlib.sha256()
        done = 0
        if part.exists():
            with part.open("rb") as held:
                while done < size and (piece := held.read(min(PIECE_BYTES, size - done))):
                    digest.update(piece)
                    done += len(piece)
            if part.stat().st_size != done:  # longer than the file: start again
                part.unlink()
                digest, done = hashlib.sha256(), 0
        failures = 0
        while done < size:
            self._check()
            try:
                done = self._download_from(part, done, size, digest)
            except NETWORK_ERRORS as exc:
                if isinstance(exc, urllib.error.HTTPError) and exc.code in (403, 404, 409, 410):
                    raise TransferFailed(tr.REASON_NETWORK, f"the server answered {exc.code}") \
                        from exc
                failures += 1
                # What was written is hashed already: go on from the file's length.
                done = part.stat().st_size if part.exists() else 0
                self._wait(failures, exc)
                continue
            failures = 0
        if digest.hexdigest() != sha256:
            with contextlib.suppress(OSError):
                part.unlink()
            raise TransferFailed(tr.REASON_CHECKSUM, "the file does not match its SHA-256")

    def _download_from(self, part: Path, done: int, size: int, digest: Any) -> int:
        request = self._request(self.url, headers={"Range": f"bytes={done}-"})
        with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
            if done and getattr(response, "status", 206) != 206:
                raise TransferFailed(tr.REASON_NETWORK, "the server ignored the range")
            try:
                handle = self.open_file(part, "ab")
            except OSError as exc:
                raise TransferFailed(_disk_reason(exc), str(exc)) from exc
            try:
                while done < size:
                    self._check()
                    piece = response.read(min(PIECE_BYTES, size - done))
                    if not piece:
                        raise ConnectionError("the server closed the download early")
                    try:
                        handle.write(piece)
                        handle.flush()
                    except OSError as exc:
                        raise TransferFailed(_disk_reason(exc), str(exc)) from exc
                    digest.update(piece)
                    done += len(piece)
                    self.progress(done)
            finally:
                with contextlib.suppress(OSError):
                    handle.close()
        return done

    # --- to the technician ---------------------------------------------------

    def upload(self, path: Path, size: int) -> None:
        """Sends ``path`` in pieces, resuming from what the server holds after a drop.

        Raises:
            TransferFailed: ``read_error`` or ``network``, or the server's refusal.
            TransferCancelled: ``cancelled`` was set.
        """
        done, failures = 0, 0
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise TransferFailed(tr.REASON_READ, str(exc)) from exc
        with handle:
            while True:
                self._check()
                try:
                    if failures:
                        done = self._held()
                    if done >= size:
                        return
                    handle.seek(done)
                    piece = handle.read(min(UPLOAD_PIECE_BYTES, size - done))
                    if not piece:
                        raise TransferFailed(tr.REASON_READ, "the file became shorter")
                    done = self._put(done, piece)
                    self.progress(done)
                    failures = 0
                except OSError as exc:
                    if not isinstance(exc, NETWORK_ERRORS):
                        raise TransferFailed(tr.REASON_READ, str(exc)) from exc
                    if isinstance(exc, urllib.error.HTTPError) and exc.code != 409:
                        raise TransferFailed(_server_reason(exc), str(exc)) from exc
                    failures += 1
                    self._wait(failures, exc)
                except http.client.HTTPException as exc:
                    failures += 1
                    self._wait(failures, exc)

    def _held(self) -> int:
        request = self._request(self.url + "/upload")
        with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
            return int(json.loads(response.read())["received"])

    def _put(self, offset: int, piece: bytes) -> int:
        request = self._request(
            f"{self.url}?offset={offset}", "PUT", piece,
            {"Content-Type": "application/octet-stream"},
        )
        with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
            return int(json.loads(response.read())["received"])


def _server_reason(exc: urllib.error.HTTPError) -> str:
    try:
        reason = json.loads(exc.read()).get("error", "")
    except (ValueError, OSError, AttributeError):
        reason = ""
    return reason if reason in tr.REASONS else tr.REASON_NETWORK


def finish_download(part: Path, folder: Path, name: str) -> Path:
    """Gives a verified ``.part`` file its final name, never over an existing file."""
    for _ in range(5):
        target = free_name(folder, name)
        try:
            os.link(part, target)  # fails, rather than replaces, if the name was just taken
        except FileExistsError:
            continue
        except OSError:
            if target.exists():
                continue
            os.rename(part, target)  # a file system without hard links
            return target
        part.unlink()
        return target
    raise TransferFailed(tr.REASON_WRITE, f"no free name for {name}")


# --- the session's side ------------------------------------------------------------


@dataclass
class Running:
    """A transfer this computer takes part in."""

    offer: m.FileOffer
    direction: str
    folder: Path | None = None       # to the person: where it goes, once accepted
    path: Path | None = None         # to the technician: the file sent
    cancelled: threading.Event = field(default_factory=threading.Event)
    task: asyncio.Task[None] | None = None
    last_report: float = 0.0
    stopped: tuple[str, str, str] = ("cancelled", "person", "")  # what the server said


class AgentFiles:
    """The files of one session, as the agent sees them.

    Args:
        base_url: the server's HTTP address (``http_base``).
        session_id: from the welcome.
        send: sends a control message to the server.
        post: hands a ``UiEvent`` to the windows (thread-safe).
        make_mover: builds a Mover (tests give a fake network or disk).
    """

    def __init__(
        self,
        base_url: str,
        session_id: str,
        send: Callable[[m.Message], Any],
        post: Callable[[ev.UiEvent], None],
        *,
        make_mover: Callable[..., Mover] = Mover,
        folder: Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session_id = session_id
        self.send = send
        self.post = post
        self.make_mover = make_mover
        self.folder = folder or default_folder()
        self.running: dict[str, Running] = {}

    def url(self, transfer_id: str) -> str:
        return f"{self.base_url}/api/sessions/{self.session_id}/files/{transfer_id}"

    # --- from the server -----------------------------------------------------

    async def receive(self, message: m.Message) -> None:
        match message:
            case m.FileOffer(direction=tr.TO_PERSON):
                await self._offered(message)
            case m.FileTicket(id=ident, token=token, sha256=sha256):
                running = self.running.get(ident)
                if running is not None and running.task is None:
                    running.task = asyncio.create_task(self._move(running, token, sha256),
                                                       name=f"file {ident}")
            case m.FileStatus(id=ident, state=state, by=by, reason=reason):
                running = self.running.get(ident)
                if running is None:
                    return
                if state in (tr.TransferState.CANCELLED, tr.TransferState.REFUSED,
                             tr.TransferState.FAILED):
                    running.stopped = (state, by, reason)
                    running.cancelled.set()
                    if running.task is None or running.task.done():
                        self._drop(ident)
                        self.post(ev.FileUpdate(ident, state, by=by, reason=reason))
                elif state is tr.TransferState.READY:
                    self._drop(ident)
                    self.post(ev.FileUpdate(ident, "sent"))
                elif state is tr.TransferState.SENDING and running.direction == tr.TO_PERSON:
                    self.post(ev.FileUpdate(ident, "waiting"))

    async def _offered(self, offer: m.FileOffer) -> None:
        try:
            tr.check_file_name(offer.name)
        except tr.UnsafeFileName as exc:
            # The server refuses these; a second check costs nothing.
            await self.send(m.FileAnswer(offer.id, False, exc.reason))
            self.post(ev.FileUpdate(offer.id, "refused", by="person", reason=exc.reason,
                                    name=offer.name, direction=tr.TO_PERSON))
            return
        self.running[offer.id] = Running(offer, tr.TO_PERSON)
        self.post(ev.AskFile(offer.id, offer.name, offer.size, offer.sender, str(self.folder)))

    # --- from the person -------------------------------------------------------

    async def answer(self, transfer_id: str, accept: bool, folder: str) -> None:
        running = self.running.get(transfer_id)
        if running is None or running.folder is not None:
            return
        if not accept:
            self._drop(transfer_id)
            await self.send(m.FileAnswer(transfer_id, False, tr.REASON_DECLINED))
            return
        target = Path(folder) if folder else self.folder
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._drop(transfer_id)
            reason = _disk_reason(exc)
            await self.send(m.FileAnswer(transfer_id, False, reason))
            self.post(ev.FileUpdate(transfer_id, "failed", by="person", reason=reason))
            return
        running.folder = target
        self.post(ev.FileStarted(transfer_id, running.offer.name, running.offer.size,
                                 tr.TO_PERSON, str(target)))
        await self.send(m.FileAnswer(transfer_id, True))

    async def offer(self, path_text: str) -> None:
        """The person picked a file to send to the technician."""
        path = Path(path_text)
        transfer_id = tr.new_transfer_id()
        try:
            tr.check_file_name(path.name)
            size = path.stat().st_size
            sha256 = await asyncio.to_thread(file_sha256, path)
        except tr.UnsafeFileName as exc:
            self.post(ev.FileUpdate(transfer_id, "refused", by="server", reason=exc.reason,
                                    name=path.name))
            return
        except OSError:
            logger.info("cannot read %s", path, exc_info=True)
            self.post(ev.FileUpdate(transfer_id, "failed", by="person",
                                    reason=tr.REASON_READ, name=path.name))
            return
        offer = m.FileOffer(transfer_id, path.name, size, sha256)
        self.running[transfer_id] = Running(offer, tr.TO_TECHNICIAN, path=path)
        self.post(ev.FileStarted(transfer_id, path.name, size, tr.TO_TECHNICIAN, ""))
        await self.send(offer)

    async def cancel(self, transfer_id: str) -> None:
        running = self.running.get(transfer_id)
        if running is None:
            return
        running.cancelled.set()
        if running.task is None:
            self._drop(transfer_id)
            self.post(ev.FileUpdate(transfer_id, "cancelled", by="person"))
        await self.send(m.FileCancel(transfer_id))

    def close(self) -> None:
        """The session is over: stop every transfer; half-written files are deleted."""
        for running in self.running.values():
            running.cancelled.set()

    # --- the bytes ---------------------------------------------------------------

    async def _move(self, running: Running, token: str, sha256: str) -> None:
        loop = asyncio.get_running_loop()
        ident, size = running.offer.id, running.offer.size
        started = time.monotonic()

        def progress(done: int) -> None:
            loop.call_soon_threadsafe(self._progress, running, done, started)

        mover = self.make_mover(self.url(ident), token, progress=progress,
                                cancelled=running.cancelled)
        part: Path | None = None
        try:
            if running.direction == tr.TO_PERSON:
                assert running.folder is not None
                part = running.folder / f"{running.offer.name}.part"
                await asyncio.to_thread(mover.download, part, size, sha256)
                final = await asyncio.to_thread(finish_download, part, running.folder,
                                                running.offer.name)
                await self.send(m.FileResult(ident, True, "", sha256))
                self.post(ev.FileUpdate(ident, "delivered", path=str(final)))
                logger.info("file %s saved as %s", ident, final)
            else:
                assert running.path is not None
                await asyncio.to_thread(mover.upload, running.path, size)
                return  # the server's "ready" status ends it
        except asyncio.CancelledError:
            # The session is over: the worker thread stops at its next piece.
            running.cancelled.set()
            if part is not None:
                with contextlib.suppress(OSError):
                    part.unlink()
            raise
        except TransferCancelled:
            if part is not None:
                with contextlib.suppress(OSError):
                    part.unlink()
            state, by, reason = running.stopped
            self.post(ev.FileUpdate(ident, state, by=by, reason=reason))
        except TransferFailed as exc:
            logger.warning("file %s failed: %s", ident, exc)
            if part is not None:
                with contextlib.suppress(OSError):
                    part.unlink()
            if running.direction == tr.TO_PERSON:
                await self.send(m.FileResult(ident, False, exc.reason))
            else:
                await self.send(m.FileCancel(ident))
            self.post(ev.FileUpdate(ident, "failed", by="person", reason=exc.reason))
        except Exception:
            logger.exception("file %s failed", ident)
            self.post(ev.FileUpdate(ident, "failed", by="person", reason=tr.REASON_WRITE))
        self._drop(ident)

    def _progress(self, running: Running, done: int, started: float) -> None:
        now = time.monotonic()
        if done < running.offer.size and now - running.last_report < PROGRESS_EVERY:
            return
        running.last_report = now
        self.post(ev.FileProgress(running.offer.id, done, now - started))
        asyncio.ensure_future(self.send(m.FileProgress(running.offer.id, done)))

    def _drop(self, transfer_id: str) -> None:
        self.running.pop(transfer_id, None)
