"""Managed devices in the store: enrolment tokens, enrolment, licences, revocation.

An admin makes an enrolment token (shown once; only a keyed digest is
kept); ``coupdemain agent enroll`` previews it (which organisation, which
policy), then enrols with the device's Ed25519 public key. Each enrolled,
not revoked device takes one licence (``--device-licences``, 0: no limit).
The live side — the services' connections, Start remote control — is in
``device_links.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..protocol.device import public_key_from_text
from .audit import AuditLog
from .store.models import (
    POLICIES,
    POLICY_ASK,
    Device,
    DeviceGroup,
    EnrolmentToken,
    Organisation,
    User,
    utcnow,
)

TOKEN_PREFIX = "cdm-"
MAX_TOKEN_USES = 100_000
MAX_TOKEN_HOURS = 24 * 365
MAX_NAME = 200


class DeviceError(Exception):
    """A request about devices that cannot be done; the message is the sentence to show.

    Attributes:
        reason: a word for the agent, which says the sentence in its own language.
        params: the numbers in the sentence.
    """

    status = 400

    def __init__(self, sentence: str, reason: str = "", **params: int) -> None:
        super().__init__(sentence)
        self.reason = reason
        self.params = params


class EnrolmentRefused(DeviceError):
    status = 403


TOKEN_UNKNOWN = ("This enrolment token is not valid. "
                 "Check it, or ask your administrator for a new one.")
TOKEN_EXPIRED = "This enrolment token has expired. Ask your administrator for a new one."
TOKEN_USED_UP = ("This enrolment token has been used as many times as it allows. "
                 "Ask your administrator for a new one.")


def licences_exhausted(total: int) -> str:
    return (f"All device licences of this server are in use ({total} of {total}). Revoke a "
            "device that is no longer managed, or raise --device-licences.")


@dataclass(frozen=True, slots=True)
class Preview:
    """What enrolling with a token means, before the person confirms."""

    organisation: str
    group: str
    policy: str
    prompt_seconds: int


@dataclass(frozen=True, slots=True)
class Licences:
    used: int
    total: int  # 0: no limit


class DeviceRegistry:
    """The devices' rows: tokens, enrolment, lists, revocation."""

    def __init__(self, db: async_sessionmaker[AsyncSession], audit: AuditLog, *,
                 secret: bytes, licences: int) -> None:
        self._db = db
        self._audit = audit
        self._secret = secret
        self.licence_total = licences

    def _digest(self, token: str) -> str:
        return hmac.new(self._secret, b"enrolment-token\x00" + token.strip().encode(),
                        hashlib.sha256).hexdigest()

    # --- tokens ----------------------------------------------------------------

    async def create_token(
        self, admin: User, *, group: str, policy: str = POLICY_ASK,
        prompt_seconds: int = 60, uses: int = 1, hours: float = 24.0,
    ) -> tuple[EnrolmentToken, str]:
        """Makes a token for the admin's organisation; returns it and its text, shown once.

        The group is made with ``policy`` if the organisation has none of that name.

        Raises:
            DeviceError: a value out of range, named in the sentence.
        """
        group = group.strip() or "Default"
        if len(group) > MAX_NAME:
            raise DeviceError(f"A group's name has at most {MAX_NAME} characters.")
        if policy not in POLICIES:
            raise DeviceError(f"Policy {policy!r} must be one of {', '.join(POLICIES)}.")
        if not 1 <= uses <= MAX_TOKEN_USES:
            raise DeviceError(f"Uses {uses} must be between 1 and {MAX_TOKEN_USES}.")
        if not 0 < hours <= MAX_TOKEN_HOURS:
            raise DeviceError(f"Validity {hours:g} hours must be between 0 and {MAX_TOKEN_HOURS}.")
        if not 1 <= prompt_seconds <= 3600:
            raise DeviceError(f"The prompt's time {prompt_seconds} s must be between 1 and 3600.")
        text = TOKEN_PREFIX + secrets.token_urlsafe(24)
        now = utcnow()
        async with self._db.begin() as db:
            row_group = await db.scalar(select(DeviceGroup).where(
                DeviceGroup.organisation_id == admin.organisation_id, DeviceGroup.name == group))
            if row_group is None:
                row_group = DeviceGroup(organisation_id=admin.organisation_id, name=group,
                                        policy=policy, prompt_timeout_seconds=prompt_seconds,
                                        created_at=now)
                db.add(row_group)
                await db.flush()
            row = EnrolmentToken(
                organisation_id=admin.organisation_id, created_by=admin.id,
                digest=self._digest(text), hint=text[-4:], group_id=row_group.id,
                expires_at=now + timedelta(hours=hours), uses_left=uses, created_at=now)
            db.add(row)
        await self._audit.append("enrolment_token_created", actor="admin",
                                 actor_name=admin.display_name,
                                 detail={"token": row.id, "group": group, "uses": uses,
                                         "hint": row.hint})
        return row, text

    async def tokens_of(self, organisation_id: int) -> list[EnrolmentToken]:
        async with self._db() as db:
            return list(await db.scalars(
                select(EnrolmentToken).where(EnrolmentToken.organisation_id == organisation_id)
                .order_by(EnrolmentToken.created_at.desc())))

    async def delete_token(self, admin: User, token_id: int) -> bool:
        async with self._db.begin() as db:
            row = await db.get(EnrolmentToken, token_id)
            if row is None or row.organisation_id != admin.organisation_id:
                return False
            await db.delete(row)
        await self._audit.append("enrolment_token_deleted", actor="admin",
                                 actor_name=admin.display_name, detail={"token": token_id})
        return True

    # --- enrolment ---------------------------------------------------------------

    async def licences(self) -> Licences:
        async with self._db() as db:
            used = await db.scalar(
                select(func.count(Device.id)).where(Device.revoked_at.is_(None)))
        return Licences(int(used or 0), self.licence_total)

    async def _usable(self, db: AsyncSession, token: str, now: datetime) -> EnrolmentToken:
        row = await db.scalar(select(EnrolmentToken).where(
            EnrolmentToken.digest == self._digest(token)))
        if row is None:
            raise EnrolmentRefused(TOKEN_UNKNOWN, "token_unknown")
        if row.expires_at <= now:
            raise EnrolmentRefused(TOKEN_EXPIRED, "token_expired")
        if row.uses_left <= 0:
            raise EnrolmentRefused(TOKEN_USED_UP, "token_used_up")
        licences = await self.licences()
        if licences.total and licences.used >= licences.total:
            raise EnrolmentRefused(licences_exhausted(licences.total), "no_licence",
                                   total=licences.total)
        return row

    async def preview(self, token: str) -> Preview:
        """What the token would do, without using it.

        Raises:
            EnrolmentRefused: unknown, expired, used up, or no licence left.
        """
        async with self._db() as db:
            row = await self._usable(db, token, utcnow())
            organisation = await db.get(Organisation, row.organisation_id)
        group = row.group
        return Preview(organisation.name if organisation else "",
                       group.name if group else "", group.policy if group else POLICY_ASK,
                       group.prompt_timeout_seconds if group else 60)

    async def enrol(self, token: str, *, public_key: str, name: str, os: str, user: str,
                    hardware: dict[str, Any], address: str) -> Device:
        """Enrols a device with the token; uses one of its uses.

        Raises:
            EnrolmentRefused: as ``preview``.
            DeviceError: a public key that is not 32 bytes in base64.
        """
        try:
            public_key_from_text(public_key)
        except ValueError as exc:
            raise DeviceError(str(exc), "bad_public_key") from None
        now = utcnow()
        async with self._db.begin() as db:
            row = await self._usable(db, token, now)
            # The condition makes two devices racing for the last use get one winner.
            used = await db.execute(
                update(EnrolmentToken)
                .where(EnrolmentToken.id == row.id, EnrolmentToken.uses_left > 0)
                .values(uses_left=EnrolmentToken.uses_left - 1))
            if used.rowcount != 1:  # type: ignore[attr-defined]
                raise EnrolmentRefused(TOKEN_USED_UP, "token_used_up")
            device = Device(
                id=uuid.uuid4().hex, organisation_id=row.organisation_id, group_id=row.group_id,
                name=(name.strip() or "computer")[:MAX_NAME], tags=[], os=os[:MAX_NAME],
                logged_in_user=user[:MAX_NAME], hardware=hardware, public_key=public_key,
                enrolled_at=now)
            db.add(device)
        await self._audit.append("device_enrolled", actor="server", actor_name=device.name,
                                 detail={"device_id": device.id, "token": row.id,
                                         "address": address[:64]})
        loaded = await self.get(device.id)
        assert loaded is not None
        return loaded

    # --- devices -----------------------------------------------------------------

    async def get(self, device_id: str) -> Device | None:
        async with self._db() as db:
            return await db.get(Device, device_id)

    async def of_organisation(self, organisation_id: int) -> list[Device]:
        async with self._db() as db:
            return list(await db.scalars(
                select(Device).where(Device.organisation_id == organisation_id)
                .order_by(Device.name)))

    async def groups_of(self, organisation_id: int) -> list[DeviceGroup]:
        async with self._db() as db:
            return list(await db.scalars(
                select(DeviceGroup).where(DeviceGroup.organisation_id == organisation_id)
                .order_by(DeviceGroup.name)))

    async def seen(self, device_id: str, **changes: Any) -> datetime:
        """Records that the device spoke now, with what its inventory says."""
        now = utcnow()
        async with self._db.begin() as db:
            await db.execute(update(Device).where(Device.id == device_id)
                             .values(last_seen=now, **changes))
        return now

    async def revoke(self, admin: User, device_id: str) -> Device | None:
        """Marks the device revoked; the caller cuts its connection."""
        async with self._db.begin() as db:
            row = await db.get(Device, device_id)
            if row is None or row.organisation_id != admin.organisation_id:
                return None
            if row.revoked_at is None:
                row.revoked_at = utcnow()
        await self._audit.append("device_revoked", actor="admin", actor_name=admin.display_name,
                                 detail={"device_id": device_id})
        return await self.get(device_id)
