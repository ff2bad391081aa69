"""The bytes of file transfers: a spool on the server's disk, filled and read over HTTP.

The control channel says who may move which file (``protocol/transfer.py``);
this module moves the bytes, never holding more than one piece in memory:

- ``PUT /api/sessions/{session}/files/{file}?offset=N`` appends the request
  body to ``<data dir>/spool/<session>/<file>.part``. The offset must be
  what the server already holds, else 409 answers that count, so a sender
  whose connection dropped resumes where the server stopped. SHA-256 is
  computed as the bytes arrive.
- ``GET /api/sessions/{session}/files/{file}/upload`` says how many bytes
  the server holds (where to resume).
- ``GET /api/sessions/{session}/files/{file}`` streams a complete file,
  honouring ``Range: bytes=N-`` so that a download resumes.

Who may call: the technician's console (sign-in cookie; CSRF header on PUT)
for the side it plays, and the agent with ``Authorization: Bearer <token>``,
the token the server gave it for that one file in a ``file_ticket`` over
its WebSocket. A file's bytes are deleted as soon as its transfer ends
badly or the session ends, and the whole spool at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import hmac
import logging
import os
import re
import shutil
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.requests import ClientDisconnect

from ..protocol import transfer as tr
from .rendezvous import LiveSession, Rendezvous

logger = logging.getLogger("coupdemain.transfers")

# Bytes written or read per step: the most the server holds of one transfer.
PIECE_BYTES = 1024 * 1024
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

# The console's question: may this request act for the technician of this session?
ConsoleCheck = Callable[[Request, str, bool], Awaitable[bool]]


@dataclass(eq=False)
class SpoolFile:
    """What the server holds of one file: its path, its length so far, its running hash."""

    path: Path
    received: int = 0
    hasher: Any = field(default_factory=hashlib.sha256)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    discarded: bool = False


class FileSpool:
    """The spool folder: one subfolder per session, one ``.part`` file per transfer."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[tuple[str, str], SpoolFile] = {}

    def clear(self) -> None:
        """Deletes whatever a previous run left (its sessions have ended)."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def file(self, session_id: str, transfer_id: str) -> SpoolFile:
        key = (session_id, transfer_id)
        spooled = self._files.get(key)
        if spooled is None:
            folder = self.root / session_id
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            spooled = SpoolFile(folder / f"{transfer_id}.part")
            self._files[key] = spooled
        return spooled

    def discard(self, session_id: str, transfer_ids: list[str], session_ended: bool) -> None:
        """Deletes the bytes of ended transfers, or of the whole session once it ended."""
        for transfer_id in transfer_ids:
            spooled = self._files.pop((session_id, transfer_id), None)
            if spooled is not None:
                spooled.discarded = True
            with contextlib.suppress(FileNotFoundError):
                (self.root / session_id / f"{transfer_id}.part").unlink()
        if session_ended:
            for key in [k for k in self._files if k[0] == session_id]:
                self._files.pop(key).discarded = True
            shutil.rmtree(self.root / session_id, ignore_errors=True)


def _error(status: int, reason: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": reason, **extra}, status_code=status)


def _bearer(request: Request) -> str:
    value = request.headers.get("authorization", "")
    return value[7:].strip() if value.lower().startswith("bearer ") else ""


def content_disposition(name: str) -> str:
    """``attachment`` with the name in RFC 6266's UTF-8 form, and an ASCII fallback."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\%' else "_"
                       for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(name)}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``Range: bytes=N-[M]`` as (start, end exclusive); None without a header.

    Raises:
        ValueError: a range this server does not serve (several, suffix, past the end).
    """
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        raise ValueError(header)
    start = int(match.group(1))
    end = int(match.group(2)) + 1 if match.group(2) else size
    if start > size or end > size or start > end:
        raise ValueError(header)
    return start, end


def file_router(rendezvous: Rendezvous, spool: FileSpool, console_may: ConsoleCheck) -> APIRouter:
    """The three file routes; ``console_may`` checks a console request's sign-in and CSRF."""
    router = APIRouter()

    async def find(
        request: Request, session_id: str, transfer_id: str, *, upload: bool
    ) -> tuple[LiveSession, tr.Transfer] | JSONResponse:
        live = rendezvous.live(session_id)
        transfer = live.machine.files.get(transfer_id) if live is not None else None
        if live is None or transfer is None:
            return _error(404, "not_found")
        # The uploader of a file to the person is the console; its downloader the agent.
        console_side = (transfer.direction == tr.TO_PERSON) == upload
        if console_side:
            if not await console_may(request, session_id, request.method != "GET"):
                return _error(403, "forbidden")
        elif not hmac.compare_digest(_bearer(request).encode(), transfer.token.encode()):
            return _error(403, "forbidden")
        return live, transfer

    @router.get("/api/sessions/{session_id}/files/{transfer_id}/upload")
    async def upload_status(request: Request, session_id: str, transfer_id: str) -> Response:
        """How many bytes of the file the server holds: where the sender resumes."""
        found = await find(request, session_id, transfer_id, upload=True)
        if isinstance(found, JSONResponse):
            return found
        _, transfer = found
        spooled = spool.file(session_id, transfer_id)
        return JSONResponse({"received": spooled.received, "size": transfer.size,
                             "state": transfer.state.value})

    @router.put("/api/sessions/{session_id}/files/{transfer_id}")
    async def upload(request: Request, session_id: str, transfer_id: str,
                     offset: int = -1) -> Response:
        """Appends the body at ``offset``, which must be the count the server holds."""
        found = await find(request, session_id, transfer_id, upload=True)
        if isinstance(found, JSONResponse):
            return found
        live, transfer = found
        if transfer.final or transfer.uploaded:
            return _error(409, transfer.reason or transfer.state.value,
                          state=transfer.state.value)
        spooled = spool.file(session_id, transfer_id)
        async with spooled.lock:
            if offset != spooled.received:
                return _error(409, "offset", received=spooled.received)
            failure = await _receive(request, spooled, transfer)
            if failure in (tr.REASON_DISK_FULL, tr.REASON_WRITE):
                await rendezvous.act(live, lambda s: s.files.upload_failed(transfer_id, failure))
                return _error(507 if failure == tr.REASON_DISK_FULL else 500, failure)
            if failure:
                return _error(409 if failure != tr.REASON_TOO_LARGE else 413, failure,
                              received=spooled.received)
            if spooled.received == transfer.size:
                digest = spooled.hasher.hexdigest()
                await rendezvous.act(live, lambda s: s.files.uploaded(transfer_id, digest))
        return JSONResponse({"received": spooled.received, "size": transfer.size})

    @router.get("/api/sessions/{session_id}/files/{transfer_id}")
    async def download(request: Request, session_id: str, transfer_id: str) -> Response:
        """Streams the whole file, or from ``Range: bytes=N-``, once the server has it all."""
        found = await find(request, session_id, transfer_id, upload=False)
        if isinstance(found, JSONResponse):
            return found
        live, transfer = found
        wanted = tr.TransferState.SENDING if transfer.direction == tr.TO_PERSON else (
            tr.TransferState.READY)
        if transfer.state is not wanted or not transfer.uploaded:
            return _error(409, transfer.reason or transfer.state.value,
                          state=transfer.state.value)
        path = spool.file(session_id, transfer_id).path
        try:
            span = parse_range(request.headers.get("range"), transfer.size)
        except ValueError:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{transfer.size}"})
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            return _error(410, "gone")
        start, end = span if span is not None else (0, transfer.size)
        headers = {
            "Content-Disposition": content_disposition(transfer.name),
            "Content-Length": str(end - start), "Accept-Ranges": "bytes",
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        }
        if span is not None:
            headers["Content-Range"] = f"bytes {start}-{max(start, end - 1)}/{transfer.size}"

        async def finished() -> None:
            if transfer.direction == tr.TO_TECHNICIAN:
                await rendezvous.act(live, lambda s: s.files.downloaded(transfer_id))

        return StreamingResponse(
            _read(handle, start, end, finished), status_code=206 if span is not None else 200,
            headers=headers, media_type="application/octet-stream",
        )

    return router


async def _receive(request: Request, spooled: SpoolFile, transfer: tr.Transfer) -> str:
    """Writes the request body after what is held; returns "" or why it stopped.

    Bytes are counted and hashed only once written, so that a body cut in
    the middle leaves the count, the hash and the file in step.
    """
    handle = await asyncio.to_thread(spooled.path.open, "ab")
    pending: list[bytes] = []
    pending_bytes = 0

    async def flush() -> None:
        nonlocal pending, pending_bytes
        if not pending:
            return
        piece = b"".join(pending)
        pending, pending_bytes = [], 0
        await asyncio.to_thread(_write, handle, piece)
        spooled.hasher.update(piece)
        spooled.received += len(piece)

    try:
        async for chunk in request.stream():
            if spooled.discarded or transfer.final:
                return transfer.reason or tr.REASON_SESSION
            if spooled.received + pending_bytes + len(chunk) > transfer.size:
                await flush()
                return tr.REASON_TOO_LARGE
            pending.append(chunk)
            pending_bytes += len(chunk)
            if pending_bytes >= PIECE_BYTES:
                await flush()
        await flush()
    except ClientDisconnect:
        logger.info("upload of %s cut at %d bytes; it can resume", transfer.id, spooled.received)
        with contextlib.suppress(OSError):
            await flush()
    except OSError as exc:
        logger.warning("cannot write the spool file %s", spooled.path, exc_info=True)
        with contextlib.suppress(OSError):  # a piece half written is not kept
            os.truncate(spooled.path, spooled.received)
        return tr.REASON_DISK_FULL if exc.errno in DISK_FULL_ERRNOS else tr.REASON_WRITE
    finally:
        await asyncio.to_thread(_close_quietly, handle)
    return ""


def _write(handle: BinaryIO, piece: bytes) -> None:
    handle.write(piece)
    handle.flush()


def _close_quietly(handle: BinaryIO) -> None:
    with contextlib.suppress(OSError):
        handle.close()


async def _read(
    handle: BinaryIO, start: int, end: int, finished: Callable[[], Awaitable[None]]
) -> AsyncIterator[bytes]:
    try:
        await asyncio.to_thread(handle.seek, start)
        position = start
        while position < end:
            piece = await asyncio.to_thread(handle.read, min(PIECE_BYTES, end - position))
            if not piece:
                return
            position += len(piece)
            yield piece
        if start == 0:
            await finished()
    finally:
        await asyncio.to_thread(_close_quietly, handle)
