"""File transfer, both ways, without any I/O: safe names, limits, and each transfer's state.

The server's ``SupportSession`` owns one ``FileTransfers``. The bytes never
cross the control channel: the sender uploads them to the server over HTTP
in pieces that each start at an offset the server confirms, the receiver
downloads them with HTTP ranges (docs/reference/protocol.md, "File
transfer"). This module decides who may move which file when, and says so
on the control channel and in the audit log.

A transfer's states::

    to the person:      offered ─▶ accepted ─▶ sending ─▶ delivered
    to the technician:  sending ─▶ ready
    any that is not final ─▶ refused | cancelled | failed

``to_person`` files wait on the server until the person accepts *and* the
technician's upload is complete; the agent then gets a ticket to download.
``to_technician`` files need no acceptance: the technician downloads them
when they choose, for as long as the session lasts.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import messages as m
from .enums import By, Direction, Role
from .enums import TransferState as TransferState
from .errors import LocalError

# TransferState is re-exported: this module gives a transfer's states their
# meaning (TRANSITIONS below); it is defined in enums.py so that messages.py
# can type FileStatus.state.
TO_PERSON = Direction.TO_PERSON
TO_TECHNICIAN = Direction.TO_TECHNICIAN
DIRECTIONS = tuple(Direction)
# The file_transfer_directions setting: which ways files may go.
DIRECTION_SETTINGS: dict[str, frozenset[Direction]] = {
    "both": frozenset(DIRECTIONS),
    "to_person": frozenset({TO_PERSON}),
    "to_technician": frozenset({TO_TECHNICIAN}),
    "none": frozenset(),
}

MAX_NAME_BYTES = 255        # what ext4, NTFS and APFS allow for one name
MAX_OPEN_TRANSFERS = 8      # per session, not final yet
TRANSFER_ID = re.compile(r"[0-9a-f]{32}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# Why a transfer was refused or failed, as the wire, the audit log and the
# catalogs (viewer "files.reason.<code>", agent "files.reason.<code>") name it.
REASON_DECLINED = "declined"            # the person said no
REASON_DIRECTION = "direction"          # the server's settings forbid this way
REASON_TOO_LARGE = "too_large"
REASON_TOO_MANY = "too_many"
REASON_DUPLICATE = "duplicate"
REASON_NAME_EMPTY = "name_empty"
REASON_NAME_PATH = "name_path"          # "../x", "a/b", "/etc/passwd", "C:\\x"
REASON_NAME_RESERVED = "name_reserved"  # "CON", "nul.txt", ".", ".."
REASON_NAME_CHARACTERS = "name_characters"  # control characters, < > : " | ? *
REASON_NAME_LONG = "name_long"
REASON_CHECKSUM = "checksum"            # the bytes do not match their SHA-256
REASON_DISK_FULL = "disk_full"
REASON_WRITE = "write_error"            # any other error writing the file
REASON_READ = "read_error"              # the agent could not read the file it sends
REASON_NETWORK = "network"              # the transfer could not be resumed in time
REASON_SESSION = "session_ended"
REASONS = frozenset({
    REASON_DECLINED, REASON_DIRECTION, REASON_TOO_LARGE, REASON_TOO_MANY, REASON_DUPLICATE,
    REASON_NAME_EMPTY, REASON_NAME_PATH, REASON_NAME_RESERVED, REASON_NAME_CHARACTERS,
    REASON_NAME_LONG, REASON_CHECKSUM, REASON_DISK_FULL, REASON_WRITE, REASON_READ,
    REASON_NETWORK, REASON_SESSION,
})

# Windows refuses these names with any extension, in any case; refusing them
# everywhere keeps a file sent from Linux openable on the person's Windows.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
_FORBIDDEN_CHARACTERS = frozenset('<>:"|?*')
# Unicode categories refused in a name: controls (C0 and C1), surrogates (an
# undecodable byte of a Linux name), line and paragraph separators, and the
# invisible "format" characters. These include the bidirectional overrides
# and isolates (U+202A-U+202E, U+2066-U+2069), the marks (U+200E, U+200F,
# U+061C), zero-width spaces and the BOM: "report\u202etxt.exe" shows as
# "reportexe.txt" and is a program.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp", "Cf"})
# ...but for the two joiners, which Persian, Arabic and the Indic scripts
# need to spell words (ZWNJ) and emoji sequences use (ZWJ); they do not
# reorder anything.
_JOINERS = frozenset({"\u200c", "\u200d"})


class UnsafeFileName(LocalError, ValueError):
    """A file name that would leave the chosen folder, or that no system can store.

    Attributes:
        reason: one of the ``REASON_NAME_*`` codes.
    """

    sentence = "agent:files.reason.name_characters"  # each instance names its own reason

    def __init__(self, reason: str, name: str) -> None:
        super().__init__(f"unsafe file name {name[:80]!r}: {reason}")
        self.reason = reason
        self.sentence = f"agent:files.reason.{reason}"


def check_file_name(name: str) -> str:
    """The name as it will be written, or ``UnsafeFileName`` with the reason.

    A name is refused rather than silently changed, so that both people
    see which file was meant. Refused: empty names, any path ("../x",
    "a/b", "/abs", "C:\\x", "\\\\server\\share"), "." and "..", reserved
    device names ("CON", "nul.txt"), Windows-forbidden characters, control
    and invisible characters (bidirectional overrides first: see
    ``_INVISIBLE_CATEGORIES``), names ending with a dot or a space, and
    names over 255 bytes. The name is NFC-normalised.
    """
    text = unicodedata.normalize("NFC", name)
    if not text.strip():
        raise UnsafeFileName(REASON_NAME_EMPTY, name)
    if "/" in text or "\\" in text or (len(text) >= 2 and text[1] == ":" and text[0].isalpha()):
        raise UnsafeFileName(REASON_NAME_PATH, name)
    if text in (".", ".."):
        raise UnsafeFileName(REASON_NAME_RESERVED, name)
    if any(ch in _FORBIDDEN_CHARACTERS or _invisible(ch) for ch in text):
        raise UnsafeFileName(REASON_NAME_CHARACTERS, name)
    stem = text.split(".", 1)[0].rstrip(" ").lower()
    if stem in _RESERVED or text.endswith((".", " ")):
        raise UnsafeFileName(REASON_NAME_RESERVED, name)
    if len(text.encode("utf-8")) > MAX_NAME_BYTES:
        raise UnsafeFileName(REASON_NAME_LONG, name)
    return text


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES and ch not in _JOINERS


def new_transfer_id() -> str:
    """A fresh transfer id: 32 random hex digits, chosen by the side that offers."""
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class FileLimits:
    """The server's file transfer settings, as one session applies them."""

    max_bytes: int = 4 * 1024**3
    directions: frozenset[Direction] = frozenset(DIRECTIONS)

    @classmethod
    def from_settings(cls, max_bytes: int, directions: str) -> FileLimits:
        """Raises ValueError for a directions setting that is not one of DIRECTION_SETTINGS."""
        try:
            allowed = DIRECTION_SETTINGS[directions]
        except KeyError:
            choices = ", ".join(DIRECTION_SETTINGS)
            raise ValueError(
                f"--file-transfer-directions {directions!r} must be one of: {choices}."
            ) from None
        return cls(max(0, max_bytes), allowed)


FINAL = frozenset({TransferState.DELIVERED, TransferState.REFUSED, TransferState.CANCELLED,
                   TransferState.FAILED})

TRANSITIONS: dict[TransferState, set[TransferState]] = {
    TransferState.OFFERED: {TransferState.ACCEPTED, TransferState.REFUSED,
                            TransferState.CANCELLED, TransferState.FAILED},
    TransferState.ACCEPTED: {TransferState.SENDING, TransferState.CANCELLED,
                             TransferState.FAILED},
    TransferState.SENDING: {TransferState.DELIVERED, TransferState.READY,
                            TransferState.CANCELLED, TransferState.FAILED},
    TransferState.READY: {TransferState.CANCELLED},
    TransferState.DELIVERED: set(),
    TransferState.REFUSED: set(),
    TransferState.CANCELLED: set(),
    TransferState.FAILED: set(),
}


@dataclass(slots=True)
class Transfer:
    """One file on its way, as the server knows it."""

    id: str
    direction: Direction
    name: str
    size: int
    sender: str                 # who sends it, as the receiver sees them
    token: str                  # the agent's HTTP credential for this file's bytes
    sha256: str = ""            # declared by the agent, or computed by the server
    state: TransferState = TransferState.OFFERED
    uploaded: bool = False      # the server holds every byte
    done: int = 0               # the agent's last progress report
    by: By | Literal[""] = ""   # who ended it (refused, cancelled, failed)
    reason: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def uploader(self) -> By:
        """Who puts the bytes on the server: the technician or the person."""
        return By.TECHNICIAN if self.direction is TO_PERSON else By.PERSON

    def offer(self) -> m.FileOffer:
        return m.FileOffer(self.id, self.name, self.size, self.sha256, self.direction,
                           self.sender)

    def status(self) -> m.FileStatus:
        return m.FileStatus(self.id, self.state, self.by, self.reason, self.sha256)


Send = Callable[[Role, m.Message], None]
Record = Callable[..., None]                  # (actor, action, **detail)


@dataclass
class FileTransfers:
    """Every transfer of one session; the session machine feeds it and routes what it says.

    Args:
        send: queues a message for the agent or the viewer.
        record: queues an audit record (actor, action, **detail).
        limits: the server's settings.
        make_token: the agents' HTTP credentials (random by default; tests fix them).
    """

    send: Send
    record: Record
    limits: FileLimits = field(default_factory=FileLimits)
    make_token: Callable[[], str] = lambda: secrets.token_urlsafe(32)
    transfers: dict[str, Transfer] = field(default_factory=dict)
    _discarded: list[str] = field(default_factory=list)

    # --- queries -------------------------------------------------------------

    def get(self, transfer_id: str) -> Transfer | None:
        return self.transfers.get(transfer_id)

    def take_discarded(self) -> list[str]:
        """The ids whose bytes the server may delete now (the transfer ended)."""
        out, self._discarded = self._discarded, []
        return out

    def replay(self) -> list[m.Message]:
        """What a viewer that (re)joins needs to show every transfer as it stands."""
        out: list[m.Message] = []
        for transfer in self.transfers.values():
            out += [transfer.offer(), transfer.status()]
        return out

    # --- the technician --------------------------------------------------------

    def offer_from_technician(self, offer: m.FileOffer, technician: str) -> None:
        """The technician offers a file; the person is asked, or the viewer told why not."""
        reason = self._refusal(offer, TO_PERSON)
        if reason:
            self.record(By.TECHNICIAN, "file_refused", id=offer.id[:32], name=offer.name[:300],
                        size=offer.size, direction=TO_PERSON, why=reason)
            self.send(Role.VIEWER, m.FileStatus(offer.id[:64], TransferState.REFUSED,
                                             By.SERVER, reason))
            return
        transfer = Transfer(offer.id, TO_PERSON, offer.name, offer.size, technician,
                            self.make_token())
        self.transfers[transfer.id] = transfer
        self.record(By.TECHNICIAN, "file_offered", id=transfer.id, name=transfer.name,
                    size=transfer.size, direction=TO_PERSON)
        self.send(Role.AGENT, transfer.offer())
        self.send(Role.VIEWER, transfer.offer())
        self.send(Role.VIEWER, transfer.status())

    def cancel(self, transfer_id: str, by: By) -> None:
        """Either side stops a transfer that is not over; the bytes are deleted."""
        transfer = self.transfers.get(transfer_id)
        if transfer is None or transfer.final:
            return  # crossed the end, or an id the sender made up
        self._finish(transfer, TransferState.CANCELLED, by, "")

    # --- the person ------------------------------------------------------------

    def offer_from_person(self, offer: m.FileOffer, person: str) -> None:
        """The person sends a file: the agent gets its ticket to upload, the viewer the offer."""
        reason = self._refusal(offer, TO_TECHNICIAN)
        if not reason and not SHA256_HEX.fullmatch(offer.sha256):
            reason = REASON_CHECKSUM
        if reason:
            self.record(By.PERSON, "file_refused", id=offer.id[:32], name=offer.name[:300],
                        size=offer.size, direction=TO_TECHNICIAN, why=reason)
            self.send(Role.AGENT, m.FileStatus(offer.id[:64], TransferState.REFUSED,
                                            By.SERVER, reason))
            return
        transfer = Transfer(offer.id, TO_TECHNICIAN, offer.name, offer.size, person,
                            self.make_token(), sha256=offer.sha256, state=TransferState.SENDING)
        self.transfers[transfer.id] = transfer
        self.record(By.PERSON, "file_offered", id=transfer.id, name=transfer.name,
                    size=transfer.size, direction=TO_TECHNICIAN, sha256=transfer.sha256)
        self.send(Role.VIEWER, transfer.offer())
        self.send(Role.VIEWER, transfer.status())
        self.send(Role.AGENT, transfer.status())
        self.send(Role.AGENT, m.FileTicket(transfer.id, transfer.token, transfer.sha256))

    def answer(self, message: m.FileAnswer) -> None:
        """The person accepts or refuses a file from the technician."""
        transfer = self.transfers.get(message.id)
        if transfer is None or transfer.state is not TransferState.OFFERED:
            return
        if message.accept:
            self._move(transfer, TransferState.ACCEPTED)
            self.record(By.PERSON, "file_accepted", id=transfer.id, name=transfer.name)
            self.send(Role.VIEWER, transfer.status())
            self._release(transfer)
        else:
            reason = message.reason if message.reason in REASONS else REASON_DECLINED
            self._finish(transfer, TransferState.REFUSED, By.PERSON, reason)

    def progress(self, message: m.FileProgress) -> None:
        """The agent's count of bytes moved, passed to the viewer."""
        transfer = self.transfers.get(message.id)
        if transfer is None or transfer.state is not TransferState.SENDING:
            return
        transfer.done = max(0, min(message.done, transfer.size))
        self.send(Role.VIEWER, m.FileProgress(transfer.id, transfer.done))

    def result(self, message: m.FileResult) -> None:
        """The agent has the file in the person's folder, verified; or could not.

        Only a file on its way to the person, whose ticket the agent holds
        (``sending``), has a result. Any other (a file from the person, one
        already over, ready, or not sent yet, an id made up) is refused on
        its own: ignored like a late message, and the session goes on.
        """
        transfer = self.transfers.get(message.id)
        if (transfer is None or transfer.direction != TO_PERSON
                or transfer.state is not TransferState.SENDING):
            return
        if message.ok and message.sha256 == transfer.sha256:
            self._finish(transfer, TransferState.DELIVERED, By.PERSON, "")
        elif not message.ok:
            reason = message.reason if message.reason in REASONS else REASON_WRITE
            self._finish(transfer, TransferState.FAILED, By.PERSON, reason)
        else:
            self._finish(transfer, TransferState.FAILED, By.PERSON, REASON_CHECKSUM)

    # --- the server's HTTP side ------------------------------------------------

    def uploaded(self, transfer_id: str, sha256: str) -> None:
        """Every byte is on the server; ``sha256`` is what the server computed."""
        transfer = self.transfers.get(transfer_id)
        if transfer is None or transfer.final or transfer.uploaded:
            return
        transfer.uploaded = True
        if transfer.direction == TO_TECHNICIAN:
            if sha256 != transfer.sha256:
                self._finish(transfer, TransferState.FAILED, By.SERVER, REASON_CHECKSUM)
                return
            self._move(transfer, TransferState.READY)
            transfer.done = transfer.size
            self.record(By.PERSON, "file_sent", id=transfer.id, name=transfer.name,
                        size=transfer.size, sha256=sha256)
            self.send(Role.VIEWER, transfer.status())
            self.send(Role.AGENT, transfer.status())
            return
        transfer.sha256 = sha256
        self.record(By.TECHNICIAN, "file_uploaded", id=transfer.id, size=transfer.size,
                    sha256=sha256)
        self._release(transfer)

    def upload_failed(self, transfer_id: str, reason: str) -> None:
        """The server could not store the bytes (its disk is full)."""
        transfer = self.transfers.get(transfer_id)
        # A second upload racing one that completed: the file is whole already.
        if transfer is not None and not transfer.final and not transfer.uploaded:
            self._finish(transfer, TransferState.FAILED, By.SERVER, reason)

    def downloaded(self, transfer_id: str) -> None:
        """The technician's browser fetched a file from the person, to the last byte."""
        transfer = self.transfers.get(transfer_id)
        if transfer is not None and transfer.state is TransferState.READY:
            self.record(By.TECHNICIAN, "file_downloaded", id=transfer.id, name=transfer.name)

    def end_all(self) -> None:
        """The session is over: every transfer stops and every spooled file goes."""
        for transfer in self.transfers.values():
            if not transfer.final:
                transfer.state, transfer.by = TransferState.CANCELLED, By.SERVER
                transfer.reason = REASON_SESSION
            self._discarded.append(transfer.id)

    # --- internals -------------------------------------------------------------

    def _refusal(self, offer: m.FileOffer, direction: Direction) -> str:
        """Why this offer cannot go ahead, or ""."""
        if direction not in self.limits.directions:
            return REASON_DIRECTION
        if not TRANSFER_ID.fullmatch(offer.id):
            return REASON_DUPLICATE  # not an id we can use: as good as taken
        if offer.id in self.transfers:
            return REASON_DUPLICATE
        try:
            check_file_name(offer.name)
        except UnsafeFileName as exc:
            return exc.reason
        if offer.size < 0 or offer.size > self.limits.max_bytes:
            return REASON_TOO_LARGE
        if sum(not t.final for t in self.transfers.values()) >= MAX_OPEN_TRANSFERS:
            return REASON_TOO_MANY
        return ""

    def _release(self, transfer: Transfer) -> None:
        """A file for the person goes once they accepted and the server has it all."""
        if transfer.state is TransferState.ACCEPTED and transfer.uploaded:
            self._move(transfer, TransferState.SENDING)
            self.send(Role.AGENT, m.FileTicket(transfer.id, transfer.token, transfer.sha256))
            self.send(Role.VIEWER, transfer.status())

    def _move(self, transfer: Transfer, new: TransferState) -> None:
        if new not in TRANSITIONS[transfer.state]:
            raise ValueError(f"transfer {transfer.state.value} -> {new.value}")
        transfer.state = new

    def _finish(self, transfer: Transfer, state: TransferState, by: By, reason: str) -> None:
        self._move(transfer, state)
        transfer.by, transfer.reason = by, reason
        detail: dict[str, Any] = {"id": transfer.id, "name": transfer.name}
        if reason:
            detail["why"] = reason  # "reason" is the session's end reason in the history
        if state is TransferState.DELIVERED:
            detail["sha256"] = transfer.sha256
        self.record(by, f"file_{state.value}", **detail)
        self.send(Role.VIEWER, transfer.status())
        self.send(Role.AGENT, transfer.status())
        self._discarded.append(transfer.id)
