"""The tamper-evident audit log: every step of every session, chained by SHA-256.

Each event's hash covers its own fields and the previous event's hash, so
editing or deleting a stored event breaks the chain from that point on.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .store.models import AuditEvent, utcnow

GENESIS = "0" * 64


def event_hash(prev_hash: str, session_id: str | None, at: str, actor: str,
               actor_name: str, action: str, detail: dict[str, Any]) -> str:
    canonical = json.dumps(
        [prev_hash, session_id, at, actor, actor_name, action, detail],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    # The wire parser refuses lone surrogates (protocol/messages.py); should
    # one still reach a detail, "surrogatepass" hashes it instead of failing,
    # and gives the same bytes as plain UTF-8 for every other string, so
    # stored chains keep verifying.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _hash_of(event: AuditEvent) -> str:
    return event_hash(
        event.prev_hash, event.session_id, event.at.isoformat(), event.actor,
        event.actor_name, event.action, event.detail,
    )


class AuditLog:
    """Appends events in order; one writer at a time keeps the chain linear."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._lock = asyncio.Lock()

    async def append(
        self,
        action: str,
        *,
        actor: str,
        actor_name: str = "",
        session_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Stores one event at the end of the chain."""
        async with self._lock, self._sessions.begin() as db:
            last = await db.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
            prev = last.hash if last is not None else GENESIS
            # Microseconds are dropped so the timestamp reads back identically
            # from every database engine.
            at = utcnow().replace(microsecond=0)
            event = AuditEvent(
                session_id=session_id, at=at, actor=actor, actor_name=actor_name,
                action=action, detail=detail or {}, prev_hash=prev,
            )
            event.hash = _hash_of(event)
            db.add(event)
        return event

    async def events_of(self, session_id: str) -> list[AuditEvent]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(AuditEvent).where(AuditEvent.session_id == session_id)
                .order_by(AuditEvent.id)
            )
            return list(rows)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where the chain stops holding."""

    event_id: int
    problem: str


async def verify_chain(sessions: async_sessionmaker[AsyncSession]) -> list[ChainBreak]:
    """Re-computes every hash; returns where the chain is broken (empty: intact)."""
    problems: list[ChainBreak] = []
    prev = GENESIS
    async with sessions() as db:
        for event in await db.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            if event.prev_hash != prev:
                problems.append(ChainBreak(event.id, "does not follow the previous event"))
            if _hash_of(event) != event.hash:
                problems.append(ChainBreak(event.id, "was changed after it was written"))
            prev = event.hash
    return problems
