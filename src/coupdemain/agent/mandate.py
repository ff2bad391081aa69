"""The mandate as this computer holds it: the tools it allows, until when, and its PDF copy.

The agent trusts no one with the mandate: it keeps the tools of the last
``MandateState`` and refuses, by itself, every message that needs a tool
outside them, whatever the server says. ``tool_needed`` is that rule, in
one place: the tool a message from the server (or a click of the person)
needs, or None for what every session does (chat, frames, the state).

The person can keep a copy of what they signed: the server makes the PDF
(``GET /api/agent/mandate.pdf``, with the session's resume secret as the
bearer token); ``fetch_copy`` gets it with the same TLS trust as the
agent's connection.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..protocol import messages as m
from ..protocol import transfer as tr
from ..protocol.enums import ControlAnswer, Tool
from ..protocol.errors import LocalError
from .connection import tls_context
from .folders import user_folder
from .ui import events as ev

logger = logging.getLogger("coupdemain.agent.mandate")

# The server ends the session at ``ends_at``; the agent ends it itself this much later.
EXPIRY_GRACE_SECONDS = 10.0
COPY_PATH = "/api/agent/mandate.pdf"
COPY_TIMEOUT = 30.0
MAX_COPY_BYTES = 16 * 1024**2  # a few pages and a signature: far less than this

# Why a copy could not be saved, as the banner explains it.
COPY_NETWORK = "network"     # the server could not be reached
COPY_REFUSED = "refused"     # the server answered, without a PDF
COPY_WRITE = "write"         # the file could not be written there


def tool_needed(item: m.Message | ev.UserAction) -> Tool | None:
    """The mandate's tool that a server message or a person's click needs; None: no tool."""
    match item:
        case m.ControlRequest() | m.Key() | m.Pointer() | m.Wheel():
            return Tool.CONTROL
        case ev.ControlAnswer(allow=True):
            return Tool.CONTROL
        case m.FileOffer():  # from the server, an offer is always a file for the person
            return Tool.FILES_TO_PERSON
        case ev.AnswerFile(accept=True):
            return Tool.FILES_TO_PERSON
        case ev.SendFile():
            return Tool.FILES_TO_TECHNICIAN
        case m.Clipboard() | ev.ClipboardCopied():
            return Tool.CLIPBOARD
        case m.DiagnosticsRequest() | ev.DiagnosticsAnswer(allow=True):
            return Tool.DIAGNOSTICS
    return None


def refusal(message: m.Message) -> m.Message | None:
    """What the agent answers to a request it refuses, so that nobody waits; None: nothing."""
    match message:
        case m.ControlRequest():
            return m.ControlDecision(ControlAnswer.KEEP_VIEW_ONLY)
        case m.DiagnosticsRequest():
            return m.DiagnosticsDeclined()
        case m.FileOffer(id=ident):
            return m.FileAnswer(ident, False, tr.REASON_DECLINED)
    return None


def tools_of(names: list[str]) -> frozenset[Tool]:
    """The tools named in a message; an unknown name allows nothing."""
    tools = set()
    for name in names:
        try:
            tools.add(Tool(name))
        except ValueError:
            logger.warning("unknown tool %r in the mandate: ignored", name)
    return frozenset(tools)


@dataclass(frozen=True, slots=True)
class Binding:
    """What the mandate allows on this computer now.

    Before the person signs, nothing: not even viewing.
    """

    tools: frozenset[Tool] = frozenset()
    ends_at: float = 0.0          # Unix time; 0 while not signed
    sha256: str = ""
    signed_by: str = ""

    @property
    def signed(self) -> bool:
        return bool(self.signed_by)

    def allows(self, item: m.Message | ev.UserAction | Tool) -> bool:
        tool = item if isinstance(item, Tool) else tool_needed(item)
        return tool is None or tool in self.tools

    @classmethod
    def from_state(cls, state: m.MandateState, local_now: float) -> Binding:
        """The state as this computer keeps it: ``ends_at`` moved onto its own clock
        (``local_now``: its time on receipt), which may be minutes off the server's."""
        if not state.signed_by:
            return cls(sha256=state.sha256)  # not in force: nothing allowed
        skew = state.now - local_now if state.now else 0.0
        ends_at = state.ends_at - skew if state.ends_at else 0.0
        return cls(tools_of(state.tools), ends_at, state.sha256, state.signed_by)


class CopyFailed(LocalError):
    """The copy of the mandate could not be saved; ``reason`` is one of ``COPY_*``."""

    sentence = "agent:mandate.copy_failed.network"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


def fetch_copy(base_url: str, secret: str, *, timeout: float = COPY_TIMEOUT) -> bytes:
    """The PDF of the mandate signed in this session, from the server (blocking).

    Args:
        base_url: the server's HTTP address (``transfer.http_base``).
        secret: the welcome's resume secret, which names the session.

    Raises:
        CopyFailed: ``COPY_NETWORK`` or ``COPY_REFUSED``.
    """
    request = urllib.request.Request(
        base_url.rstrip("/") + COPY_PATH, headers={"Authorization": f"Bearer {secret}"})
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls_context()))
    try:
        with opener.open(request, timeout=timeout) as response:
            data: bytes = response.read(MAX_COPY_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise CopyFailed(COPY_REFUSED, f"the server answered {exc.code}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise CopyFailed(COPY_NETWORK, f"cannot fetch the mandate's copy: {exc}") from exc
    if not data.startswith(b"%PDF-") or len(data) > MAX_COPY_BYTES:
        raise CopyFailed(COPY_REFUSED, "the server's answer is not a PDF")
    return data


def write_copy(path: Path, data: bytes) -> None:
    """Writes the copy whole, or leaves nothing (a temporary file, then a rename).

    Raises:
        CopyFailed: ``COPY_WRITE``.
    """
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(data)
        part.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        raise CopyFailed(COPY_WRITE, f"cannot write {path}: {exc}") from exc


def documents_folder(home: Path | None = None) -> Path:
    """Where the copy goes unless the person chooses: XDG's documents folder, else home."""
    home = home or Path.home()
    named = user_folder("XDG_DOCUMENTS_DIR", home)
    if named is not None and named.is_dir():
        return named
    documents = home / "Documents"
    return documents if documents.is_dir() else home
