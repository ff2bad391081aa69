"""What the server's routes share: the store, the audit log, the rendezvous, the relay, the spool.

``Services.build(settings)`` makes them once; ``create_app`` keeps them in
``app.state.services``, and a route asks for them with the ``Shared``
dependency (``services: Shared``).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, cast

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from ..config import Settings
from ..protocol import frames
from ..protocol.support_code import CODE_SPACE
from ..protocol.transfer import FileLimits
from . import auth
from .agent_download import AgentBinary
from .audit import AuditLog
from .device_links import DeviceHub
from .devices import DeviceRegistry
from .groups import GroupRules
from .help_requests import HelpDesk
from .ratelimit import Backoff, FailureLimiter, GuessBudget
from .recap import Reports
from .recording.recordings import Recordings
from .recording.sealed import derive_key
from .relay import Relay
from .rendezvous import Rendezvous
from .store.database import create_engine, session_factory
from .transfers import FileSpool
from .turn import IceServers


def load_secret(data_dir: Path) -> bytes:
    """The server's secret key (keys the code digests), made once with mode 0600."""
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    return path.read_bytes()


@dataclass(frozen=True, slots=True)
class Services:
    """One server's shared objects, built from its settings."""

    settings: Settings
    engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]
    audit: AuditLog
    relay: Relay
    rendezvous: Rendezvous
    spool: FileSpool
    sign_in_guard: auth.SignInGuard
    agent_binary: AgentBinary
    reports: Reports
    recordings: Recordings
    devices: DeviceHub
    help_desk: HelpDesk
    groups: GroupRules

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Opens the database (migrated later, at start-up) and makes the rest around it."""
        data_dir = settings.resolved_data_dir
        engine = create_engine(settings.resolved_database_url)
        db = session_factory(engine)
        audit = AuditLog(db)
        relay = Relay(frames.MAX_FRAME_MESSAGE_BYTES)
        secret = load_secret(data_dir)
        sign_in_guard = auth.SignInGuard(
            secret, FailureLimiter(settings.code_attempts, settings.code_attempt_window),
            Backoff(settings.login_account_attempts, settings.login_backoff_seconds,
                    settings.login_backoff_max_seconds),
        )
        rendezvous = Rendezvous(
            db, audit, relay,
            secret=secret,
            code_ttl=timedelta(seconds=settings.code_ttl_seconds),
            code_limiter=FailureLimiter(settings.code_attempts, settings.code_attempt_window),
            viewer_grace_seconds=settings.viewer_grace_seconds,
            guess_budget=GuessBudget(
                settings.code_guess_odds, CODE_SPACE, settings.code_ttl_seconds),
            agent_grace_seconds=settings.agent_grace_seconds,
            mandate_minute_seconds=settings.mandate_minute_seconds,
        )
        spool = FileSpool(data_dir / "spool")
        rendezvous.file_limits = FileLimits.from_settings(
            settings.file_transfer_max_bytes, settings.file_transfer_directions)
        rendezvous.discard_files = spool.discard
        rendezvous.ice_servers = IceServers.from_settings(settings)
        recordings = Recordings(
            data_dir / "recordings",
            derive_key(settings.recording_key.encode() if settings.recording_key else secret),
            db, audit,
        )
        rendezvous.use_recordings(recordings)
        devices = DeviceHub(
            DeviceRegistry(db, audit, secret=secret, licences=settings.device_licences),
            rendezvous)
        help_desk = HelpDesk(db, audit, devices)
        devices.help_desk = help_desk
        return cls(settings, engine, db, audit, relay, rendezvous, spool, sign_in_guard,
                   AgentBinary(settings), Reports(db, audit), recordings, devices, help_desk,
                   GroupRules(db, audit))


def services(connection: HTTPConnection) -> Services:
    """The dependency: the services of the application this request or socket reached."""
    return cast(Services, connection.app.state.services)


Shared = Annotated[Services, Depends(services)]
