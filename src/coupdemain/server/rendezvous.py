"""Support codes and the live sessions they open: who meets whom.

The rendezvous issues codes, redeems them, keeps one ``LiveSession`` per
session that has a connected side, feeds the protocol state machine, and
writes what it decides to the database and the audit log. It never reads
frames: those go through the relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..protocol import messages as m
from ..protocol.errors import (
    CloseReason,
    SupportCodeExpired,
    SupportCodeInvalid,
    SupportCodeUsed,
    TooManyAttempts,
)
from ..protocol.session import (
    BY_PERSON,
    BY_TECHNICIAN,
    AuditRecord,
    Person,
    Role,
    State,
    Technician,
)
from ..protocol.session import SupportSession as SessionMachine
from ..protocol.support_code import SupportCode
from ..protocol.transfer import FileLimits
from .audit import AuditLog
from .ratelimit import FailureLimiter
from .relay import Relay
from .store.models import SupportSession, User, utcnow

logger = logging.getLogger("coupdemain.rendezvous")


class Socket(Protocol):
    """What the rendezvous needs of a WebSocket."""

    async def send_text(self, data: str) -> None: ...
    async def send_bytes(self, data: bytes) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class IssuedCode:
    session_id: str
    code: SupportCode
    expires_at: datetime


@dataclass(eq=False)
class LiveSession:
    """A session with its state machine and whichever sides are connected."""

    machine: SessionMachine
    technician_id: int
    organisation_id: int
    code: SupportCode | None = None      # kept in memory only, to show it to its technician
    agent: Socket | None = None
    viewer: Socket | None = None
    viewer_lost_at: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    persisted_state: str = ""

    @property
    def session_id(self) -> str:
        return self.machine.session_id


def _to_unix(moment: datetime) -> float:
    return moment.timestamp()


class Rendezvous:
    """Issues and redeems codes and drives the live sessions."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        audit: AuditLog,
        relay: Relay,
        *,
        secret: bytes,
        code_ttl: timedelta,
        code_limiter: FailureLimiter,
        viewer_grace_seconds: float,
    ) -> None:
        self._db = sessions
        self._audit = audit
        self.relay = relay
        self._secret = secret
        self._code_ttl = code_ttl
        self.code_limiter = code_limiter
        self._viewer_grace = viewer_grace_seconds
        self._live: dict[str, LiveSession] = {}
        self._load_lock = asyncio.Lock()
        # File transfer: the settings each session applies, and where ended
        # transfers' bytes are deleted (server/transfers.py sets both).
        self.file_limits = FileLimits()
        self.discard_files: Callable[[str, list[str], bool], None] = lambda *_: None

    # --- codes -------------------------------------------------------------

    def _digest(self, code: SupportCode) -> str:
        return hmac.new(self._secret, code.digits.encode(), hashlib.sha256).hexdigest()

    async def issue_code(self, technician: User) -> IssuedCode:
        """Opens a session waiting for the person, with a fresh code."""
        now = utcnow()
        expires = now + self._code_ttl
        async with self._db.begin() as db:
            while True:
                code = SupportCode.generate()
                digest = self._digest(code)
                clash = await db.scalar(
                    select(SupportSession.id).where(
                        SupportSession.code_digest == digest,
                        SupportSession.code_used_at.is_(None),
                        SupportSession.code_expires_at > now,
                    )
                )
                if clash is None:
                    break
            row = SupportSession(
                id=uuid.uuid4().hex, technician_id=technician.id, code_digest=digest,
                code_hint=code.digits[6:], code_expires_at=expires, code_used_at=None,
                state=State.WAITING_FOR_PERSON.value, created_at=now,
            )
            db.add(row)
        live = LiveSession(
            machine=SessionMachine(
                row.id, technician.display_name, technician.organisation.name, _to_unix(expires),
                technician_id=technician.id,
            ),
            technician_id=technician.id,
            organisation_id=technician.organisation_id,
            code=code,
            persisted_state=row.state,
        )
        live.machine.issue_code(code.masked())
        self._live[row.id] = live
        await self._commit(live)
        return IssuedCode(row.id, code, expires)

    async def redeem_code(self, text: str, address: str, person: Person) -> LiveSession:
        """Matches a code typed by the person to its session and marks it used.

        Raises:
            TooManyAttempts: this address failed too often lately.
            SupportCodeInvalid / SupportCodeExpired / SupportCodeUsed: as named.
        """
        if self.code_limiter.is_blocked(address):
            raise TooManyAttempts()
        try:
            code = SupportCode.parse(text)
        except ValueError:
            self.code_limiter.record_failure(address)
            raise SupportCodeInvalid() from None
        now = utcnow()
        async with self._db.begin() as db:
            row = await db.scalar(
                select(SupportSession)
                .where(SupportSession.code_digest == self._digest(code))
                .order_by(SupportSession.created_at.desc())
                .limit(1)
            )
            if row is None:
                self.code_limiter.record_failure(address)
                raise SupportCodeInvalid()
            if row.code_used_at is not None:
                self.code_limiter.record_failure(address)
                raise SupportCodeUsed()
            if row.code_expires_at <= now or row.state != State.WAITING_FOR_PERSON.value:
                self.code_limiter.record_failure(address)
                raise SupportCodeExpired()
            # The condition makes two agents racing for one code get one winner.
            result = await db.execute(
                update(SupportSession)
                .where(SupportSession.id == row.id, SupportSession.code_used_at.is_(None))
                .values(
                    code_used_at=now, person_hostname=person.hostname[:200],
                    person_user=person.user[:200], person_os=person.os[:200],
                    person_address=address[:64],
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise SupportCodeUsed()
            session_id = row.id
        live = await self.load(session_id)
        if live is None:
            raise SupportCodeExpired()
        live.code = None
        return live

    # --- live sessions -----------------------------------------------------

    def live(self, session_id: str) -> LiveSession | None:
        return self._live.get(session_id)

    async def load(self, session_id: str) -> LiveSession | None:
        """The live session, rebuilt from the database if the server restarted."""
        async with self._load_lock:
            live = self._live.get(session_id)
            if live is not None:
                return live
            async with self._db() as db:
                row = await db.get(SupportSession, session_id)
            if row is None or row.state == State.ENDED.value:
                return None
            if row.state != State.WAITING_FOR_PERSON.value:
                # A session that was live when the server stopped cannot resume:
                # the agent has exited.
                return None
            live = LiveSession(
                machine=SessionMachine(
                    row.id, row.technician.display_name,
                    row.technician.organisation.name, _to_unix(row.code_expires_at),
                    technician_id=row.technician_id,
                ),
                technician_id=row.technician_id,
                organisation_id=row.technician.organisation_id,
                persisted_state=row.state,
            )
            self._live[row.id] = live
            return live

    async def _commit(self, live: LiveSession) -> None:
        """Sends what the machine decided, stores its audit records and state.

        Call with ``live.lock`` held, so that messages leave in order.
        """
        machine = live.machine
        self.relay.set_gate(live.session_id, machine.frames_flow)
        for out in machine.data_to_send():
            sock = live.agent if out.to is Role.AGENT else live.viewer
            if sock is None:
                continue
            try:
                await sock.send_text(m.serialize(out.message))
                logger.debug("> %s %s", out.to.value, out.message.type)
            except Exception:  # noqa: BLE001 - that side's handler sees the loss itself
                logger.debug("could not send %s to %s", out.message.type, out.to.value)
        for record in machine.audit_records():
            # The server's log: one line per session event (details stay in the audit log).
            logger.info("session %s: %s by %s", live.session_id, record.action, record.actor)
            detail = record.detail
            if record.technician is not None:
                # The technician's user id: two may share a display name.
                detail = {**detail, "technician_id": record.technician.id}
            await self._audit.append(
                record.action, actor=record.actor, actor_name=self._actor_name(live, record),
                session_id=live.session_id, detail=detail,
            )
        discarded = machine.files.take_discarded()
        if discarded or machine.state is State.ENDED:
            self.discard_files(live.session_id, discarded, machine.state is State.ENDED)
        if machine.state.value != live.persisted_state:
            live.persisted_state = machine.state.value
            values: dict[str, object] = {"state": machine.state.value}
            if machine.state is State.ENDED:
                values.update(
                    ended_at=utcnow(), ended_by=machine.ended_by,
                    end_reason=(machine.end_reason or CloseReason.NORMAL).name.lower(),
                )
            async with self._db.begin() as db:
                await db.execute(
                    update(SupportSession)
                    .where(SupportSession.id == live.session_id)
                    .values(**values)
                )
        if machine.state is State.ENDED:
            await self._close_sockets(live)

    def _actor_name(self, live: LiveSession, record: AuditRecord) -> str:
        if record.technician is not None:
            return record.technician.name
        if record.actor == BY_TECHNICIAN:
            return live.machine.technician_name
        if record.actor == BY_PERSON:
            person = live.machine.person
            return f"{person.user}@{person.hostname}" if person.user else person.hostname
        return ""

    async def _close_sockets(self, live: LiveSession) -> None:
        reason = live.machine.end_reason or CloseReason.NORMAL
        agent, viewer = live.agent, live.viewer
        live.agent = live.viewer = None
        self._live.pop(live.session_id, None)
        self.relay.forget(live.session_id)
        for sock, code in ((agent, int(reason)), (viewer, int(CloseReason.NORMAL))):
            if sock is not None:
                with contextlib.suppress(Exception):  # already closed
                    await sock.close(code)

    async def act(self, live: LiveSession, change: Callable[[SessionMachine], None]) -> None:
        """Applies one input to the machine under the session's lock, then commits.

        Args:
            change: what happened, e.g. ``lambda s: s.receive_from_agent(message)``.
        """
        async with live.lock:
            change(live.machine)
            await self._commit(live)

    # --- sides joining and leaving ----------------------------------------

    async def attach_agent(self, live: LiveSession, sock: Socket, person: Person) -> None:
        async with live.lock:
            live.agent = sock
            live.machine.files.limits = self.file_limits
            live.machine.agent_joined(person)
            await self._commit(live)

    async def detach_agent(self, live: LiveSession, sock: Socket) -> None:
        async with live.lock:
            if live.agent is not sock:
                return
            live.agent = None
            live.machine.agent_lost()
            await self._commit(live)

    async def attach_viewer(self, live: LiveSession, sock: Socket, technician: Technician) -> None:
        """A technician's viewer opens the session; it replaces the one connected.

        The same technician in another tab replaces their own viewer
        (``REPLACED``); another technician takes over, and the viewer replaced
        is told who did (``Watching``, then ``TAKEN_OVER``).
        """
        async with live.lock:
            previous, live.viewer = live.viewer, sock
            if previous is not None:
                watcher = live.machine.watcher
                reason = CloseReason.REPLACED
                with contextlib.suppress(Exception):  # already gone
                    if watcher is not None and watcher.id != technician.id:
                        reason = CloseReason.TAKEN_OVER
                        await previous.send_text(
                            m.serialize(m.Watching([technician.as_wire()])))
                    await previous.close(int(reason))
            live.viewer_lost_at = None
            self.relay.attach_viewer(live.session_id, sock)
            live.machine.viewer_joined(technician)
            await self._commit(live)

    async def from_viewer(self, live: LiveSession, sock: Socket, message: m.Message) -> None:
        """One message from a viewer's socket; dropped if that viewer was replaced meanwhile.

        What a viewer sends is recorded under the technician who watches:
        a message read before a takeover must not reach the machine after it.
        """
        async with live.lock:
            if live.viewer is not sock:
                return
            live.machine.receive_from_viewer(message)
            await self._commit(live)

    async def detach_viewer(self, live: LiveSession, sock: Socket) -> None:
        async with live.lock:
            if live.viewer is not sock:
                return
            live.viewer = None
            self.relay.detach_viewer(live.session_id, sock)
            live.viewer_lost_at = time.monotonic()
            live.machine.viewer_lost()
            await self._commit(live)

    # --- time --------------------------------------------------------------

    async def sweep(self) -> None:
        """Ends sessions whose code expired or whose technician did not come back."""
        now_unix = datetime.now(UTC).timestamp()
        now = time.monotonic()
        for live in list(self._live.values()):
            machine = live.machine
            if machine.state is State.WAITING_FOR_PERSON and now_unix >= machine.code_expires_at:
                await self.act(live, lambda s: s.expire(now_unix))
            elif (
                live.viewer is None
                and live.viewer_lost_at is not None
                and machine.state is not State.WAITING_FOR_PERSON
                and now - live.viewer_lost_at >= self._viewer_grace
            ):
                await self.act(live, lambda s: s.server_end(CloseReason.PEER_LOST))

    async def run_sweeper(self, interval: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:
                logger.exception("session sweep failed")

    async def shut_down(self) -> None:
        """Ends every live session: the server is stopping."""
        for live in list(self._live.values()):
            if live.machine.state is not State.WAITING_FOR_PERSON:
                await self.act(live, lambda s: s.server_end(CloseReason.SERVER_SHUTDOWN))

    async def end_orphans(self) -> None:
        """At start-up: sessions that were live when the server stopped are over."""
        async with self._db.begin() as db:
            await db.execute(
                update(SupportSession)
                .where(SupportSession.state.notin_(
                    [State.WAITING_FOR_PERSON.value, State.ENDED.value]
                ))
                .values(state=State.ENDED.value, ended_at=utcnow(), ended_by="server",
                        end_reason=CloseReason.SERVER_SHUTDOWN.name.lower())
            )


__all__ = [
    "IssuedCode", "LiveSession", "Rendezvous", "SupportCodeExpired", "SupportCodeInvalid",
    "SupportCodeUsed", "TooManyAttempts",
]
