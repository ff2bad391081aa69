"""The tables of the coupdemain database (SQLAlchemy 2 declarative mapping).

Any change here comes with an Alembic migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
    true,
)
from sqlalchemy import DateTime as _DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class DateTime(TypeDecorator[datetime]):
    """A UTC timestamp that comes back timezone-aware, even from SQLite."""

    impl = _DateTime(timezone=True)
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:
        super().__init__()

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    """A team of technicians; the person being helped sees its name."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Whether every session needs a mandate signed by the person; where it
    # does not, a session without one is possible and its record says so.
    mandate_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false())
    # Branding (server/branding.py): "#rrggbb" or "", and a small PNG, checked when set.
    brand_colour: Mapped[str] = mapped_column(String(7), default="", server_default="")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Whether its sessions are recorded: "never", "ask" (the person chooses) or
    # "always" (the person is told); recordings are deleted after this many days.
    recording_policy: Mapped[str] = mapped_column(
        String(10), default="never", server_default="never")
    recording_retention_days: Mapped[int] = mapped_column(
        Integer, default=30, server_default="30")


class User(Base):
    """A technician or an admin who signs into the console."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, PHC string
    role: Mapped[str] = mapped_column(String(20))             # "admin" or "technician"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A disabled user cannot sign in, and their sign-ins stop working.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    last_signed_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class LoginSession(Base):
    """A signed-in browser; the cookie holds a token whose SHA-256 is the key."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")


class SupportSession(Base):
    """One quick-help session, from the code to its end."""

    __tablename__ = "support_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The code itself is never stored: only a keyed digest to find it, and its
    # last three digits to tell codes apart in the console.
    code_digest: Mapped[str] = mapped_column(String(64), index=True)
    code_hint: Mapped[str] = mapped_column(String(3))
    code_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    code_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(32))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of the agent's resume secret (protocol: welcome.resume), to
    # resume after a drop or a server restart; the secret is never stored.
    resume_digest: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    person_hostname: Mapped[str] = mapped_column(String(200), default="")
    person_user: Mapped[str] = mapped_column(String(200), default="")
    person_os: Mapped[str] = mapped_column(String(200), default="")
    person_address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str] = mapped_column(String(20), default="")
    end_reason: Mapped[str] = mapped_column(String(40), default="")
    # The mandate that binds this session (None: a session without one), and
    # when its time runs out: set by the person's signature, moved by an extension.
    mandate_id: Mapped[int | None] = mapped_column(
        ForeignKey("mandates.id"), index=True, default=None)
    mandate_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # The managed device this session was started on (Start remote control), if any.
    device_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)

    technician: Mapped[User] = relationship(lazy="joined")


class MandateTemplate(Base):
    """Terms an organisation's admins prepared, for technicians to pick and adjust."""

    __tablename__ = "mandate_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    terms: Mapped[dict[str, object]] = mapped_column(JSON)  # protocol.mandate.Terms.to_json()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Mandate(Base):
    """What a technician will do, with which tools, for how long: ``protocol.mandate.Terms``.

    Written before the code is given. One session's mandate, or a standing
    one that covers every session of the same person until ``standing_until``.
    """

    __tablename__ = "mandates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    terms: Mapped[dict[str, object]] = mapped_column(JSON)  # protocol.mandate.Terms.to_json()
    standing_until: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    technician: Mapped[User] = relationship(lazy="joined")


class MandateSignature(Base):
    """What the person signed: the exact text, its SHA-256, who, when, and how.

    ``kind`` is "mandate" for the terms themselves, "extension" for more
    time or another tool asked during a session.
    """

    __tablename__ = "mandate_signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mandate_id: Mapped[int] = mapped_column(
        ForeignKey("mandates.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="mandate")
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    signer_name: Mapped[str] = mapped_column(String(200))
    # The signature drawn with the mouse, as a PNG; None when the person only typed their name.
    drawing_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """One step of the record, chained to the previous one by a SHA-256 hash.

    Changing or deleting a stored event breaks the chain from there on, which
    ``coupdemain admin verify-audit`` reports.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str | None] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(20))     # "technician", "person", "server", "admin"
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class SessionReport(Base):
    """The report of a session (the recap): what the technician says was done, and its fate.

    The timeline it shows is read from the session's audit events while it
    is a draft (``server/recap.py``); sending it keeps that timeline here,
    as the person received it.
    """

    __tablename__ = "session_reports"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("support_sessions.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")   # "draft" or "sent"
    done: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(20), default="")   # solved, partly, not_solved
    # [{"text": "...", "new_mandate": true}, ...]
    follow_ups: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    timeline: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # The language the person's agent asked for the report in, once it did.
    person_language: Mapped[str] = mapped_column(String(8), default="")


class ReportNote(Base):
    """What the person answered to "Is there anything else you need?", for the technician."""

    __tablename__ = "report_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("support_sessions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(Text)


# --- managed devices (docs/howto/devices.md) --------------------------------------

# How a device is reached: the person is asked (no answer in time means no),
# or nobody is (a banner still shows, everything is audited).
POLICY_ASK = "ask"
POLICY_NO_PROMPT = "no_prompt"
POLICIES = (POLICY_ASK, POLICY_NO_PROMPT)


class DeviceGroup(Base):
    """Devices of an organisation that share a policy."""

    __tablename__ = "device_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    policy: Mapped[str] = mapped_column(String(20), default=POLICY_ASK)
    prompt_timeout_seconds: Mapped[int] = mapped_column(Integer, default=60)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Which technicians may reach its devices: all of the organisation's, or
    # only those in device_group_technicians (admins reach every group).
    all_technicians: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class EnrolmentToken(Base):
    """Lets devices enrol into an organisation; only a keyed digest of it is stored."""

    __tablename__ = "enrolment_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))          # its last characters, to tell them apart
    group_id: Mapped[int | None] = mapped_column(ForeignKey("device_groups.id"), default=None)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uses_left: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    group: Mapped[DeviceGroup | None] = relationship(lazy="joined")
    creator: Mapped[User] = relationship(lazy="joined")


class Device(Base):
    """A computer enrolled once, reached by its service; it proves itself with its key."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("device_groups.id"), default=None)
    name: Mapped[str] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    os: Mapped[str] = mapped_column(String(200), default="")
    logged_in_user: Mapped[str] = mapped_column(String(200), default="")
    hardware: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # Ed25519, the 32 raw bytes in base64 (44 characters).
    public_key: Mapped[str] = mapped_column(String(64))
    # None: the group's policy applies.
    policy: Mapped[str | None] = mapped_column(String(20), default=None)
    prompt_timeout_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    group: Mapped[DeviceGroup | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def effective_policy(self) -> str:
        return self.policy or (self.group.policy if self.group else POLICY_ASK)

    @property
    def effective_prompt_timeout(self) -> int:
        if self.prompt_timeout_seconds is not None:
            return self.prompt_timeout_seconds
        return self.group.prompt_timeout_seconds if self.group else 60


class DeviceGroupTechnician(Base):
    """A technician who may reach the devices of a group that is not open to all."""

    __tablename__ = "device_group_technicians"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("device_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)


HELP_OPEN, HELP_TAKEN, HELP_CANCELLED, HELP_ENDED = "open", "taken", "cancelled", "ended"


class HelpRequest(Base):
    """The person on a managed device asked for help in one click (server/help_requests.py)."""

    __tablename__ = "help_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    words: Mapped[str] = mapped_column(Text, default="")
    user: Mapped[str] = mapped_column(String(200), default="")  # signed in on the device
    state: Mapped[str] = mapped_column(String(20), default=HELP_OPEN)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # cancelled by the person, the device went offline, taken by a technician…
    end_reason: Mapped[str] = mapped_column(String(40), default="")
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    session_id: Mapped[str | None] = mapped_column(String(32), default=None)

    device: Mapped[Device] = relationship(lazy="joined")
    technician: Mapped[User | None] = relationship(lazy="joined")
