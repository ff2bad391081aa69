"""A recording's file: its plaintext compressed, then sealed with AES-GCM in chunks.

Layout (docs/topics/security.md, "Recordings")::

    header  b"CDMREC1\\n" | u8 kind | u8 0 | u16 n | session id (n bytes, ASCII)
            | f64 started at (Unix time)
    chunk   u32 length | 12-byte random nonce | AES-GCM(zlib(plaintext piece))

Each chunk has its own nonce. Its associated data is the header, then its
index (u64) and whether it is the last one (u8): a chunk moved, dropped from
the middle, or taken from another recording does not open, and a file whose
last chunk is missing (the server stopped, the disk filled up) reads as far
as it goes and says it was cut short.

A recording of frames (``KIND_FRAMES``) holds records: u32 milliseconds
since the start | u32 length | one binary message as the relay copied it
(protocol/frames.py). A browser share's recording (``KIND_WEBM``) holds the
WebM bytes the technician's console uploaded, in order.

The key is 32 bytes (``derive_key``). Files are made 0600 in a 0700 folder.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ...protocol.errors import LocalError

MAGIC = b"CDMREC1\n"
KIND_FRAMES = 1
KIND_WEBM = 2
_HEADER_TAIL = struct.Struct(">BBH")
_STARTED = struct.Struct(">d")
_CHUNK_LENGTH = struct.Struct(">I")
_CHUNK_AAD = struct.Struct(">QB")
RECORD_HEADER = struct.Struct(">II")  # milliseconds since the start, length
NONCE_BYTES = 12
# A chunk is sealed once this much plaintext waits, or after CHUNK_SECONDS:
# what a crash can lose, against the cost of one tag and nonce per chunk.
CHUNK_BYTES = 256 * 1024
CHUNK_SECONDS = 1.0
MAX_CHUNK_BYTES = 64 * 1024 * 1024
ZLIB_LEVEL = 1  # the frames are PNG, JPEG or H.264 already: a fast level gains as much
KEY_INFO = b"coupdemain recording v1"


class RecordingError(LocalError):
    """The recording could not be read: wrong key, or a damaged file."""


class RecordingWriteFailed(LocalError):
    """The recording could not be written; ``reason`` says why, for the audit log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def derive_key(material: bytes) -> bytes:
    """The recordings' AES-256 key, from the server's secret key or ``--recording-key``."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(material)


def make_private_folder(folder: Path) -> None:
    """Makes the folder (0700) if needed, and takes it back to 0700 if it was wider."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def _header(kind: int, session_id: str, started_at: float) -> bytes:
    ident = session_id.encode("ascii")
    return MAGIC + _HEADER_TAIL.pack(kind, 0, len(ident)) + ident + _STARTED.pack(started_at)


def _reason(exc: OSError) -> str:
    return "disk_full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "write_failed"


@dataclass(frozen=True, slots=True)
class Sealed:
    """A recording closed: its file's SHA-256 and size."""

    sha256: str
    size: int


class SealedWriter:
    """Writes one recording, chunk by chunk.

    Args:
        opener: opens the file for writing (tests pass one that fails).
        clock: seconds, for the records' times and the chunks' age.
    """

    def __init__(
        self, path: Path, key: bytes, session_id: str, kind: int, started_at: float, *,
        clock: Callable[[], float] = time.monotonic,
        opener: Callable[[Path], BinaryIO] | None = None,
    ) -> None:
        self.path = path
        self.kind = kind
        self._aead = AESGCM(key)
        self._clock = clock
        self._start = clock()
        self._header = _header(kind, session_id, started_at)
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._sealed_at = self._start
        self._index = 0
        self._hash = hashlib.sha256()
        self.size = 0
        self.closed = False
        try:
            self._file = (opener or _open_private)(path)
            self._write(self._header)
        except OSError as exc:
            raise RecordingWriteFailed(_reason(exc)) from exc

    def elapsed_ms(self) -> int:
        return max(0, round((self._clock() - self._start) * 1000))

    def write_record(self, data: bytes) -> None:
        """Adds one binary message, stamped with the time since the start.

        Raises:
            RecordingWriteFailed: the disk is full, or the file cannot be written.
        """
        self.append(RECORD_HEADER.pack(self.elapsed_ms() & 0xFFFFFFFF, len(data)) + data)

    def append(self, data: bytes) -> None:
        """Adds plaintext as it is (a browser share's WebM bytes).

        Raises:
            RecordingWriteFailed: the disk is full, or the file cannot be written.
        """
        self._pending.append(data)
        self._pending_bytes += len(data)
        if (self._pending_bytes >= CHUNK_BYTES
                or self._clock() - self._sealed_at >= CHUNK_SECONDS):
            self._seal(last=False)

    def close(self) -> Sealed:
        """Seals what waits as the last chunk, and closes the file.

        Raises:
            RecordingWriteFailed: the last chunk could not be written.
        """
        try:
            self._seal(last=True)
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            self.abandon()
            raise RecordingWriteFailed(_reason(exc)) from exc
        self._file.close()
        self.closed = True
        return Sealed(self._hash.hexdigest(), self.size)

    def abandon(self) -> Sealed:
        """Closes the file as it is, after a failure: what it holds still reads."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):  # the disk that failed may fail again
                self._file.close()
        return Sealed(self._hash.hexdigest(), self.size)

    def _seal(self, *, last: bool) -> None:
        if not self._pending and not last:
            return
        plain = b"".join(self._pending)
        self._pending, self._pending_bytes = [], 0
        self._sealed_at = self._clock()
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = self._header + _CHUNK_AAD.pack(self._index, 1 if last else 0)
        sealed = nonce + self._aead.encrypt(nonce, zlib.compress(plain, ZLIB_LEVEL), aad)
        self._index += 1
        try:
            self._write(_CHUNK_LENGTH.pack(len(sealed)) + sealed)
        except OSError as exc:
            raise RecordingWriteFailed(_reason(exc)) from exc

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self._file.flush()
        self._hash.update(data)
        self.size += len(data)


def _open_private(path: Path) -> BinaryIO:
    make_private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb", buffering=0)


@dataclass(frozen=True, slots=True)
class Opened:
    """A recording read back: what it is, and its plaintext."""

    kind: int
    session_id: str
    started_at: float
    plaintext: bytes
    complete: bool   # its last chunk was there


def open_sealed(path: Path, key: bytes) -> Opened:
    """Reads and opens a whole recording.

    Raises:
        RecordingError: not a recording, the wrong key, or a chunk damaged.
        OSError: the file cannot be read.
    """
    data = path.read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _HEADER_TAIL.size:
        raise RecordingError(f"{path.name} is not a coupdemain recording")
    kind, _, length = _HEADER_TAIL.unpack_from(data, len(MAGIC))
    offset = len(MAGIC) + _HEADER_TAIL.size
    session_id = data[offset:offset + length].decode("ascii", "replace")
    offset += length
    if len(data) < offset + _STARTED.size:
        raise RecordingError(f"{path.name} is cut short in its header")
    (started_at,) = _STARTED.unpack_from(data, offset)
    offset += _STARTED.size
    header = data[:offset]
    aead = AESGCM(key)
    pieces: list[bytes] = []
    index, complete = 0, False
    while offset + _CHUNK_LENGTH.size <= len(data) and not complete:
        (size,) = _CHUNK_LENGTH.unpack_from(data, offset)
        offset += _CHUNK_LENGTH.size
        if size > MAX_CHUNK_BYTES or offset + size > len(data):
            break  # the end of a chunk the writer could not finish
        sealed = data[offset:offset + size]
        offset += size
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        for last in (0, 1):
            try:
                plain = aead.decrypt(nonce, body, header + _CHUNK_AAD.pack(index, last))
            except InvalidTag:
                continue
            complete = bool(last)
            break
        else:
            raise RecordingError(
                f"chunk {index} of {path.name} does not open: another key, or damaged")
        pieces.append(zlib.decompress(plain))
        index += 1
    return Opened(kind, session_id, started_at, b"".join(pieces), complete)


def records(plaintext: bytes) -> Iterator[tuple[int, bytes]]:
    """The records of a frames recording: (milliseconds since the start, message)."""
    offset = 0
    while offset + RECORD_HEADER.size <= len(plaintext):
        at, length = RECORD_HEADER.unpack_from(plaintext, offset)
        offset += RECORD_HEADER.size
        if offset + length > len(plaintext):
            return
        yield at, plaintext[offset:offset + length]
        offset += length
