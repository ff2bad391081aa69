"""Pairs the agent and the viewer of a session and copies frames between them.

The relay never reads what it copies: it knows two sockets by a session id,
a gate the rendezvous opens while the person shares their screen, and a
size limit. That is what lets end-to-end encryption come later without
touching it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger("coupdemain.relay")


class ByteSink(Protocol):
    async def send_bytes(self, data: bytes) -> None: ...


@dataclass(slots=True)
class RelayCounters:
    frames: int = 0
    bytes: int = 0
    dropped: int = 0   # frames that arrived while the gate was closed


class Relay:
    """Forwards the agent's binary messages to the viewer of the same session."""

    def __init__(self, max_message_bytes: int) -> None:
        self.max_message_bytes = max_message_bytes
        self._viewers: dict[str, ByteSink] = {}
        self._open: set[str] = set()
        self.counters: dict[str, RelayCounters] = {}
        self._taps: dict[str, Callable[[bytes], None]] = {}

    def attach_viewer(self, session_id: str, sink: ByteSink) -> None:
        self._viewers[session_id] = sink
        self.counters.setdefault(session_id, RelayCounters())

    def detach_viewer(self, session_id: str, sink: ByteSink) -> None:
        if self._viewers.get(session_id) is sink:
            del self._viewers[session_id]

    def set_gate(self, session_id: str, open_: bool) -> None:
        """Opens the way for frames (the person shares) or closes it (paused, ended)."""
        if open_:
            self._open.add(session_id)
        else:
            self._open.discard(session_id)

    def attach_tap(self, session_id: str, tap: Callable[[bytes], None]) -> None:
        """Gives ``tap`` a copy of every message let through to the viewer (a recording);
        the tap never raises."""
        self._taps[session_id] = tap

    def detach_tap(self, session_id: str) -> None:
        self._taps.pop(session_id, None)

    def forget(self, session_id: str) -> None:
        self._taps.pop(session_id, None)
        self._viewers.pop(session_id, None)
        self._open.discard(session_id)
        self.counters.pop(session_id, None)

    def accepts(self, size: int) -> bool:
        return size <= self.max_message_bytes

    async def forward(self, session_id: str, data: bytes) -> None:
        """Copies one frame message to the session's viewer, if the gate is open."""
        counters = self.counters.setdefault(session_id, RelayCounters())
        viewer = self._viewers.get(session_id)
        if viewer is None or session_id not in self._open:
            counters.dropped += 1
            return
        tap = self._taps.get(session_id)
        if tap is not None:
            tap(data)
        try:
            await viewer.send_bytes(data)
        except Exception:  # noqa: BLE001 - a viewer that went away; its own handler reports it
            counters.dropped += 1
            logger.debug("viewer of %s went away mid-frame", session_id, exc_info=True)
            return
        counters.frames += 1
        counters.bytes += len(data)
