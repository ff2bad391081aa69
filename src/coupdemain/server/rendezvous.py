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
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import methodcaller
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..protocol import messages as m
from ..protocol.enums import AgentKind, Author, By, RecordingPolicy, Tool
from ..protocol.errors import (
    CloseReason,
    CodeChecksPaused,
    MalformedMessage,
    ResumeRefused,
    SupportCodeExpired,
    SupportCodeInvalid,
    SupportCodeUsed,
    TooManyAttempts,
)
from ..protocol.session import (
    AuditRecord,
    Person,
    Role,
    State,
    Technician,
)
from ..protocol.session import SupportSession as SessionMachine
from ..protocol.support_code import CODE_SPACE, SupportCode
from ..protocol.transfer import FileLimits
from .audit import AuditLog
from .branding import brand_of
from .mandates import binding_of
from .ratelimit import FailureLimiter, GuessBudget
from .recording.recordings import Recordings, recording_allowed
from .recording.sealed import RecordingWriteFailed
from .relay import Relay
from .store.models import AuditEvent, MandateSignature, SupportSession, User, utcnow
from .turn import IceServers

logger = logging.getLogger("coupdemain.rendezvous")

# A guesser's chance of hitting any live code during its life stays under
# one in this many (--code-guess-odds).
DEFAULT_CODE_GUESS_ODDS = 1_000_000


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
    # When the agent's connection dropped (or the server restarted), and how
    # the session ends if it does not come back within the grace period.
    agent_lost_at: float | None = None
    agent_lost_reason: CloseReason = CloseReason.PEER_LOST
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    persisted_state: str = ""
    persisted_paused: bool = False
    mandate_id: int | None = None        # the mandate that binds the session, once known
    persisted_ends_at: float = 0.0       # its end as the database has it

    @property
    def session_id(self) -> str:
        return self.machine.session_id


def _to_unix(moment: datetime) -> float:
    return moment.timestamp()


def resume_digest(secret: str) -> str:
    """What the database keeps of a resume secret: 32 random bytes need no key or salt."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _reason_named(name: str, default: CloseReason) -> CloseReason:
    try:
        return CloseReason[name.upper()]
    except KeyError:
        return default


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
        guess_budget: GuessBudget | None = None,
        agent_grace_seconds: float = 60.0,
        mandate_minute_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = sessions
        self._audit = audit
        self.relay = relay
        self._secret = secret
        self._code_ttl = code_ttl
        self.code_limiter = code_limiter
        self.guess_budget = guess_budget or GuessBudget(
            DEFAULT_CODE_GUESS_ODDS, CODE_SPACE, code_ttl.total_seconds())
        self._paused_logged = False
        self._viewer_grace = viewer_grace_seconds
        self._agent_grace = agent_grace_seconds
        # A mandate's time: how long its minute lasts (--mandate-minute-seconds),
        # and the wall clock (Unix time) the machines and the sweeper read.
        self._mandate_minute = mandate_minute_seconds
        self._clock = clock
        self._live: dict[str, LiveSession] = {}
        self._load_lock = asyncio.Lock()
        # File transfer: the settings each session applies, and where ended
        # transfers' bytes are deleted (server/services.py sets both).
        self.file_limits = FileLimits()
        self.discard_files: Callable[[str, list[str], bool], None] = lambda *_: None
        # A browser share's TURN server and credentials (server/turn.py; services.py sets it).
        self.ice_servers = IceServers()
        # Session recordings (server/recording/); none: nothing is ever recorded.
        self.recordings: Recordings | None = None

    def use_recordings(self, recordings: Recordings) -> None:
        """Records the sessions whose policy and person allow it, into ``recordings``."""
        self.recordings = recordings
        recordings.on_failed = self._recording_failed

    async def _recording_failed(self, session_id: str, reason: str) -> None:
        live = self._live.get(session_id)
        if live is not None:
            await self.act(live, methodcaller("recording_stopped", reason))

    def _machine(self, session_id: str, technician: str, organisation: str,
                 code_expires_at: float, *, technician_id: int) -> SessionMachine:
        machine = SessionMachine(session_id, technician, organisation, code_expires_at,
                                 technician_id=technician_id, clock=self._clock)
        machine.mandate_minute = self._mandate_minute
        return machine

    # --- codes -------------------------------------------------------------

    def _digest(self, code: SupportCode) -> str:
        return hmac.new(self._secret, code.digits.encode(), hashlib.sha256).hexdigest()

    async def issue_code(self, technician: User, *, device_id: str | None = None) -> IssuedCode:
        """Opens a session waiting for the person, with a fresh code.

        Args:
            device_id: the managed device the code is sent to (Start remote control).
        """
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
                state=State.WAITING_FOR_PERSON.value, created_at=now, device_id=device_id,
            )
            db.add(row)
        live = LiveSession(
            machine=self._machine(
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

        Two limits apply before a code is looked up: the address's own
        (``code_limiter``), and the server's budget of wrong codes
        (``guess_budget``, docs/topics/security.md), which holds however
        many addresses the guesses come from.

        Raises:
            TooManyAttempts: this address failed too often lately.
            CodeChecksPaused: the server's budget of wrong codes is spent.
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
        live_codes, oldest_age = await self._live_codes(now)
        charge = self.guess_budget.try_spend(live_codes, oldest_age)
        if charge is None:
            if not self._paused_logged:
                logger.warning(
                    "support codes are not checked for now: too many wrong codes lately "
                    "(%d live codes); see docs/topics/security.md", live_codes)
                self._paused_logged = True
            raise CodeChecksPaused()
        self._paused_logged = False
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
            # The code was live and right: it was no guess.
            self.guess_budget.refund(charge)
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

    async def _live_codes(self, now: datetime) -> tuple[int, float]:
        """How many codes a lookup could match now, and the oldest one's age in seconds."""
        async with self._db() as db:
            count, oldest = (await db.execute(
                select(func.count(SupportSession.id), func.min(SupportSession.created_at))
                .where(
                    SupportSession.code_used_at.is_(None),
                    SupportSession.code_expires_at > now,
                    SupportSession.state == State.WAITING_FOR_PERSON.value,
                )
            )).one()
        if not count or oldest is None:
            return 0, 0.0
        if oldest.tzinfo is None:  # func.min() skips the column's type on some engines
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), (now - oldest).total_seconds()

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
                # Live sessions were taken back at start-up (``recover``); one
                # that is not in memory has ended since.
                return None
            live = self._waiting_from_row(row)
            self._live[row.id] = live
            return live

    async def _commit(self, live: LiveSession) -> None:
        """Sends what the machine decided, stores its audit records and state.

        Call with ``live.lock`` held, so that messages leave in order.
        """
        machine = live.machine
        # A signature is stored before the state that announces it leaves: the
        # side that reads it may ask for its PDF at once.
        await self._store_mandate(live)
        await self._follow_recording(live)
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
        if (
            machine.state.value != live.persisted_state
            or machine.paused != live.persisted_paused
        ):
            live.persisted_state, live.persisted_paused = machine.state.value, machine.paused
            values: dict[str, object] = {"state": machine.state.value, "paused": machine.paused}
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

    async def _store_mandate(self, live: LiveSession) -> None:
        """The signatures the machine took, and the mandate's end as it moved."""
        machine = live.machine
        signatures = machine.signatures()
        ends_at = machine.mandate.ends_at if machine.mandate is not None else 0.0
        if not signatures and ends_at == live.persisted_ends_at:
            return
        async with self._db.begin() as db:
            if live.mandate_id is not None:
                db.add_all(
                    MandateSignature(
                        mandate_id=live.mandate_id, session_id=live.session_id, kind=sig.kind,
                        text=sig.text, sha256=sig.sha256, language=sig.language,
                        signer_name=sig.signer_name, drawing_png=sig.drawing_png,
                        signed_at=datetime.fromtimestamp(sig.signed_at, UTC),
                    )
                    for sig in signatures
                )
            if ends_at != live.persisted_ends_at:
                await db.execute(
                    update(SupportSession).where(SupportSession.id == live.session_id)
                    .values(mandate_ends_at=datetime.fromtimestamp(ends_at, UTC)
                            if ends_at else None))
        live.persisted_ends_at = ends_at

    async def _follow_recording(self, live: LiveSession) -> None:
        """Starts the recording the machine wants, or closes it at the end (with its SHA-256)."""
        recordings, machine = self.recordings, live.machine
        if recordings is None:
            return
        if machine.wants_recording:
            try:
                recordings.start(live.session_id)
            except RecordingWriteFailed as exc:
                machine.recording_stopped(exc.reason)
            else:
                self.relay.attach_tap(live.session_id, recordings.tap(live.session_id))
                machine.recording_started()
                if machine.viewer_connected:
                    # The recording begins with the whole screen.
                    machine.request_keyframe()
        elif machine.browser_recording_allowed and not machine.recording:
            # A browser share: the technician's console records what it receives, and
            # uploads it (recording/routes.py); the state tells it to.
            machine.recording_started()
        if machine.state is State.ENDED and recordings.is_open(live.session_id):
            self.relay.detach_tap(live.session_id)
            await recordings.finish(live.session_id)

    def _actor_name(self, live: LiveSession, record: AuditRecord) -> str:
        if record.technician is not None:
            return record.technician.name
        if record.actor is By.TECHNICIAN:
            return live.machine.technician_name
        if record.actor is By.PERSON:
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
            try:
                change(live.machine)
            finally:
                # A refusal raised after a record (``tool_refused``) keeps it.
                await self._commit(live)

    # --- sides joining and leaving ----------------------------------------

    def _give_ice_servers(self, live: LiveSession) -> None:
        """Lets the machine mint this session's TURN credentials when it sends them."""
        session_id, ice = live.session_id, self.ice_servers
        live.machine.rtc_config = lambda role: ice.config(session_id, role)

    async def attach_agent(
        self, live: LiveSession, sock: Socket, person: Person, kind: AgentKind = AgentKind.APP,
        language: str = "",
    ) -> None:
        """The person's agent joined with the code: it gets a resume secret in its welcome.

        A session bound by a mandate (``mandates.bind_mandate``) offers it
        first, in the person's language.

        Args:
            kind: the agent, or the join page's browser share (which cannot resume).
            language: the person's (``Hello.language``).
        """
        binding = await binding_of(self._db, live.session_id)
        secret = secrets.token_urlsafe(32)
        async with self._db.begin() as db:
            await db.execute(
                update(SupportSession).where(SupportSession.id == live.session_id)
                .values(resume_digest=resume_digest(secret))
            )
        brand = await brand_of(self._db, live.organisation_id)
        policy, days = RecordingPolicy.NEVER, 0
        if self.recordings is not None and recording_allowed(
                binding.terms if binding is not None else None):
            policy, days = await self.recordings.policy_of(live.organisation_id)
        async with live.lock:
            live.agent = sock
            live.machine.files.limits = self.file_limits
            live.machine.brand = (brand.colour, brand.logo_base64)
            live.machine.recording_policy, live.machine.recording_days = policy, days
            self._give_ice_servers(live)
            if binding is not None:
                live.mandate_id = binding.mandate_id
                live.machine.bind_mandate(binding.terms, technician=binding.author,
                                          signed_by=binding.signed_by, sha256=binding.sha256)
            live.machine.agent_joined(person, resume=secret, kind=kind, language=language)
            await self._commit(live)

    async def find_resumable(self, secret: str) -> LiveSession:
        """The session an agent's resume secret opens.

        Raises:
            ResumeRefused: no session has this secret (``SESSION_NOT_FOUND``),
                or it has ended (the reason it ended with).
        """
        if not secret:
            raise ResumeRefused(CloseReason.SESSION_NOT_FOUND)
        async with self._db() as db:
            row = await db.scalar(
                select(SupportSession).where(SupportSession.resume_digest == resume_digest(secret))
            )
        if row is None:
            raise ResumeRefused(CloseReason.SESSION_NOT_FOUND)
        live = self._live.get(row.id)
        if live is None or live.machine.state is State.ENDED:
            raise ResumeRefused(_reason_named(row.end_reason, CloseReason.PEER_LOST))
        return live

    async def resume_agent(self, live: LiveSession, sock: Socket) -> None:
        """The agent came back with its secret: the session goes on, without control.

        Raises:
            ResumeRefused: the session ended while the agent was on its way.
        """
        async with live.lock:
            machine = live.machine
            if machine.state is State.ENDED:
                raise ResumeRefused(machine.end_reason or CloseReason.PEER_LOST)
            previous, live.agent = live.agent, sock
            live.agent_lost_at = None
            if previous is not None:
                with contextlib.suppress(Exception):  # already gone
                    await previous.close(int(CloseReason.REPLACED))
            machine.files.limits = self.file_limits
            machine.agent_resumed()
            await self._commit(live)
        logger.info("the agent of session %s reconnected", live.session_id)

    async def detach_agent(self, live: LiveSession, sock: Socket, *, may_return: bool) -> None:
        """The agent's connection is gone; ``may_return``: it dropped, rather than closed."""
        async with live.lock:
            if live.agent is not sock:
                return
            live.agent = None
            live.agent_lost_at = time.monotonic()
            live.agent_lost_reason = CloseReason.PEER_LOST
            live.machine.agent_lost(may_return=may_return)
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
            self._give_ice_servers(live)
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
            try:
                live.machine.receive_from_viewer(message)
            finally:
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
        """Ends sessions whose code expired, or whose agent or technician did not come back."""
        now_unix = datetime.now(UTC).timestamp()
        now = time.monotonic()
        wall = self._clock()
        for live in list(self._live.values()):
            machine = live.machine
            if machine.mandate is not None and machine.mandate.signed:
                # The mandate's warning, then its end (the machine decides which is due).
                await self.act(live, methodcaller("tick", wall))
                if machine.state is State.ENDED:
                    continue
            if machine.state is State.WAITING_FOR_PERSON and now_unix >= machine.code_expires_at:
                await self.act(live, lambda s: s.expire(now_unix))
            elif (
                live.agent is None
                and live.agent_lost_at is not None
                and machine.state not in (State.WAITING_FOR_PERSON, State.ENDED)
                and now - live.agent_lost_at >= self._agent_grace
            ):
                await self.act(live, methodcaller("server_end", live.agent_lost_reason))
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

    async def recover(self) -> None:
        """At start-up: takes back the sessions the database still has as live.

        The server may have been killed: nothing ended them. A session the
        person had joined is recorded as ``server_restarted`` and waits the
        agent's grace period for the agent to resume it; the sweeper then
        ends it with ``SERVER_RESTARTED``. A code that was never used waits
        as before, and one that has expired ends now as ``code_expired``.
        """
        now = utcnow()
        async with self._db() as db:
            rows = list(await db.scalars(
                select(SupportSession).where(SupportSession.state != State.ENDED.value)
                .order_by(SupportSession.created_at)
            ))
        for row in rows:
            if row.id in self._live:
                continue
            if row.state == State.WAITING_FOR_PERSON.value:
                live = self._waiting_from_row(row)
                self._live[row.id] = live
                if row.code_expires_at <= now:
                    await self.act(live, lambda s: s.expire(now.timestamp()))
                continue
            live = await self._recovered_from_row(row)
            self._live[row.id] = live
            await self.act(live, lambda s: None)  # stores server_restarted and the state
            logger.info("session %s waits for its agent after the restart", row.id)

    def _waiting_from_row(self, row: SupportSession) -> LiveSession:
        return LiveSession(
            machine=self._machine(
                row.id, row.technician.display_name,
                row.technician.organisation.name, _to_unix(row.code_expires_at),
                technician_id=row.technician_id,
            ),
            technician_id=row.technician_id,
            organisation_id=row.technician.organisation_id,
            persisted_state=row.state,
            persisted_paused=row.paused,
        )

    async def _recovered_from_row(self, row: SupportSession) -> LiveSession:
        technician = row.technician.display_name
        person = Person(row.person_hostname, row.person_os, row.person_user)
        # The transcript goes on with its numbers: a viewer skips ids it shows already.
        events = await self._audit.events_of(row.id)
        chat = [
            m.ChatMessage(
                int(str(event.detail.get("id", 0))), _to_unix(event.at), Author(event.actor),
                technician if event.actor == By.TECHNICIAN else (person.user or person.hostname),
                str(event.detail.get("text", "")),
            )
            for event in events
            if event.action == "chat_message"
        ]
        # Announcements and steps go on with their numbers too.
        timeline_ids = max((int(str(event.detail.get("id", 0))) for event in events
                            if event.action in ("action_announced", "step_written")), default=0)
        try:
            state = State(row.state)
        except ValueError:
            state = State.WAITING_FOR_CONSENT  # a state this version does not know: ask again
        machine = SessionMachine.recovered(
            row.id, technician, row.technician.organisation.name,
            state=state, paused=row.paused, person=person, chat=chat,
            technician_id=row.technician_id, timeline_ids=timeline_ids, clock=self._clock,
        )
        machine.mandate_minute = self._mandate_minute
        ends_at = _to_unix(row.mandate_ends_at) if row.mandate_ends_at is not None else 0.0
        if row.mandate_id is not None:
            await self._restore_mandate(machine, row.mandate_id, events, ends_at)
        now = time.monotonic()
        return LiveSession(
            machine=machine,
            technician_id=row.technician_id,
            organisation_id=row.technician.organisation_id,
            persisted_state=row.state,
            persisted_paused=row.paused,
            agent_lost_at=now,
            agent_lost_reason=CloseReason.SERVER_RESTARTED,
            viewer_lost_at=now,
            mandate_id=row.mandate_id,
            persisted_ends_at=ends_at,
        )

    async def _restore_mandate(
        self, machine: SessionMachine, mandate_id: int, events: list[AuditEvent], ends_at: float,
    ) -> None:
        """The mandate of a session live when the server stopped, from the database.

        Signed: its signer and hash from the last signature stored in this
        session (stored before anyone was told of it), or a standing mandate's
        earlier one; its tools as the extensions recorded left them; its end,
        which the sweeper keeps. Not yet signed: the agent that resumes is
        offered it again, in the language it was offered in. An extension
        offered and not answered is forgotten.
        """
        try:
            binding = await binding_of(self._db, machine.session_id)
        except MalformedMessage:
            logger.exception("the mandate %d of session %s cannot be read", mandate_id,
                             machine.session_id)
            return
        if binding is None or binding.mandate_id != mandate_id:
            return
        async with self._db() as db:
            last = await db.scalar(
                select(MandateSignature).where(MandateSignature.session_id == machine.session_id)
                .order_by(MandateSignature.signed_at.desc(), MandateSignature.id.desc()).limit(1))
        signed_by, sha256 = binding.signed_by, binding.sha256
        if last is not None:
            signed_by, sha256 = last.signer_name, last.sha256
        tools = set(binding.terms.tools)
        for event in events:
            added = event.detail.get("tools")
            if event.action == "mandate_extended" and isinstance(added, list):
                tools.update(Tool(tool) for tool in added if tool in set(Tool))
            if event.action == "mandate_offered":
                machine.language = str(event.detail.get("language", ""))
        machine.bind_mandate(
            binding.terms, technician=binding.author, signed_by=signed_by, sha256=sha256,
            tools=frozenset(tools), ends_at=ends_at if signed_by else 0.0)


__all__ = [
    "IssuedCode", "LiveSession", "Rendezvous", "SupportCodeExpired", "SupportCodeInvalid",
    "SupportCodeUsed", "TooManyAttempts",
]
