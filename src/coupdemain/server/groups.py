"""Device groups: their policy, each device's override, and which technicians reach them.

The rule of reach is written once, in ``may_reach``: a user reaches a
device of their own organisation if they are an admin, if the device is in
no group, if its group is open to all technicians, or if they are listed
for its group (``device_group_technicians``). Every route that names a
device goes through it: Start remote control (``device_links.py``), the
device's page, the lists, and taking a help request.

A device out of reach is answered as one that does not exist (404, "There
is no such device."), as ``access.py`` does for sessions: its id then tells
a stranger nothing, not even that the device exists in another group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .audit import AuditLog
from .devices import MAX_NAME, DeviceError
from .store.models import (
    POLICIES,
    Device,
    DeviceGroup,
    DeviceGroupTechnician,
    User,
    utcnow,
)

NO_SUCH_DEVICE = "There is no such device."
NO_SUCH_GROUP = "There is no such group."
ADMINS_ONLY = "Only an admin may do this."
MAX_PROMPT_SECONDS = 3600


class NotFound(DeviceError):
    status = 404


class Forbidden(DeviceError):
    status = 403


async def may_reach(db: async_sessionmaker[AsyncSession], user: User, device: Device) -> bool:
    """Whether this user may reach this device (the module's rule)."""
    if device.organisation_id != user.organisation_id:
        return False
    if user.role == "admin":
        return True
    group = device.group
    if group is None or group.all_technicians:
        return True
    async with db() as s:
        listed = await s.get(DeviceGroupTechnician, (group.id, user.id))
    return listed is not None


async def reachable(db: async_sessionmaker[AsyncSession], user: User,
                    devices: Sequence[Device]) -> list[Device]:
    """The devices of the list this user may reach, in the same order."""
    if user.role == "admin":
        return [d for d in devices if d.organisation_id == user.organisation_id]
    async with db() as s:
        listed = set(await s.scalars(select(DeviceGroupTechnician.group_id).where(
            DeviceGroupTechnician.user_id == user.id)))
    return [d for d in devices if d.organisation_id == user.organisation_id
            and (d.group is None or d.group.all_technicians or d.group.id in listed)]


MANDATE_NEEDED_ON_DEVICE = (
    "Your organisation needs a mandate signed by the person for every session. Sessions "
    "on managed devices start without one: give the person a code from Help someone, "
    "with a mandate, instead.")


MAX_TAGS = 20
MAX_TAG_CHARS = 40


def checked_tags(tags: Sequence[str]) -> list[str]:
    """Tags as kept: trimmed, without empties or repeats, in their order.

    Raises:
        DeviceError: too many, or one too long.
    """
    kept: list[str] = []
    for tag in (" ".join(str(t).split()) for t in tags):
        if tag and tag not in kept:
            kept.append(tag)
    if len(kept) > MAX_TAGS:
        raise DeviceError(f"A device has at most {MAX_TAGS} tags.")
    if any(len(tag) > MAX_TAG_CHARS for tag in kept):
        raise DeviceError(f"A tag has at most {MAX_TAG_CHARS} characters.")
    return kept


def check_mandate(technician: User, device: Device, *, help_request: str | None) -> None:
    """The mandate rules for a session on a managed device, before anything is issued.

    Such a session starts without a mandate (nobody may be at an unattended
    computer to sign one), and its record says so (``session_without_mandate``).
    Where the organisation needs a mandate for every session, it is refused,
    even when the person asked for help: the organisation's rule is theirs.

    Raises:
        DeviceError: the organisation needs a mandate for every session.
    """
    del help_request
    if device.organisation.mandate_required:
        raise DeviceError(MANDATE_NEEDED_ON_DEVICE)
    del technician


@dataclass(frozen=True, slots=True)
class GroupView:
    """A group as the console's Groups page shows it."""

    id: int
    name: str
    policy: str
    prompt_seconds: int
    all_technicians: bool
    technician_ids: frozenset[int]
    devices: int


class GroupRules:
    """What admins change: groups, their policy and reach, each device's group and override."""

    def __init__(self, db: async_sessionmaker[AsyncSession], audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    async def may_reach(self, user: User, device: Device) -> bool:
        return await may_reach(self._db, user, device)

    async def device_for(self, user: User, device_id: str) -> Device:
        """The device, if this user may reach it.

        Raises:
            NotFound: no such device, or out of the user's reach (the same answer).
        """
        async with self._db() as s:
            row = await s.get(Device, device_id[:32])
        if row is None or not await may_reach(self._db, user, row):
            raise NotFound(NO_SUCH_DEVICE)
        return row

    async def groups(self, admin: User) -> list[GroupView]:
        async with self._db() as s:
            groups = list(await s.scalars(select(DeviceGroup).where(
                DeviceGroup.organisation_id == admin.organisation_id).order_by(DeviceGroup.name)))
            pairs = list(await s.execute(select(
                DeviceGroupTechnician.group_id, DeviceGroupTechnician.user_id)))
            devices = list(await s.scalars(select(Device.group_id).where(
                Device.organisation_id == admin.organisation_id, Device.revoked_at.is_(None))))
        return [GroupView(g.id, g.name, g.policy, g.prompt_timeout_seconds, g.all_technicians,
                          frozenset(u for gid, u in pairs if gid == g.id),
                          sum(1 for gid in devices if gid == g.id)) for g in groups]

    async def technicians(self, admin: User) -> list[User]:
        """The organisation's technicians (admins reach every group and are not listed)."""
        async with self._db() as s:
            return list(await s.scalars(select(User).where(
                User.organisation_id == admin.organisation_id, User.role != "admin",
                User.enabled.is_(True)).order_by(User.display_name)))

    @staticmethod
    def _checked(user: User, policy: str, prompt_seconds: int) -> None:
        if user.role != "admin":
            raise Forbidden(ADMINS_ONLY)
        if policy not in POLICIES:
            raise DeviceError(f"Policy {policy!r} must be one of {', '.join(POLICIES)}.")
        if not 1 <= prompt_seconds <= MAX_PROMPT_SECONDS:
            raise DeviceError(f"The prompt's time {prompt_seconds} s must be between 1 and "
                              f"{MAX_PROMPT_SECONDS}.")

    async def create_group(self, admin: User, name: str, policy: str,
                           prompt_seconds: int) -> int:
        """Makes a group open to all technicians; its id.

        Raises:
            DeviceError: a name empty, too long or taken, or a value out of range.
        """
        self._checked(admin, policy, prompt_seconds)
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise DeviceError(f"A group's name has 1 to {MAX_NAME} characters.")
        async with self._db.begin() as s:
            if await s.scalar(select(DeviceGroup.id).where(
                    DeviceGroup.organisation_id == admin.organisation_id,
                    DeviceGroup.name == name)) is not None:
                raise DeviceError(f"There is already a group named {name!r}.")
            row = DeviceGroup(organisation_id=admin.organisation_id, name=name, policy=policy,
                              prompt_timeout_seconds=prompt_seconds, all_technicians=True,
                              created_at=utcnow())
            s.add(row)
        await self._audit.append("device_group_created", actor="admin",
                                 actor_name=admin.display_name,
                                 detail={"group": name, "policy": policy})
        return row.id

    async def set_group(self, admin: User, group_id: int, *, policy: str, prompt_seconds: int,
                        all_technicians: bool, technician_ids: Sequence[int]) -> None:
        """Sets a group's policy and who reaches it.

        Raises:
            NotFound: no such group in the admin's organisation.
            DeviceError: a value out of range, or a technician of another organisation.
        """
        self._checked(admin, policy, prompt_seconds)
        chosen = set(technician_ids)
        async with self._db.begin() as s:
            row = await s.get(DeviceGroup, group_id)
            if row is None or row.organisation_id != admin.organisation_id:
                raise NotFound(NO_SUCH_GROUP)
            ours = set(await s.scalars(select(User.id).where(
                User.organisation_id == admin.organisation_id)))
            if not chosen <= ours:
                raise DeviceError("Only technicians of this organisation may be chosen.")
            row.policy, row.prompt_timeout_seconds = policy, prompt_seconds
            row.all_technicians = all_technicians
            await s.execute(delete(DeviceGroupTechnician).where(
                DeviceGroupTechnician.group_id == group_id))
            s.add_all(DeviceGroupTechnician(group_id=group_id, user_id=u) for u in sorted(chosen))
            name = row.name
        await self._audit.append(
            "device_group_changed", actor="admin", actor_name=admin.display_name,
            detail={"group": name, "policy": policy, "prompt_seconds": prompt_seconds,
                    "all_technicians": all_technicians, "technicians": sorted(chosen)})

    async def set_device(self, admin: User, device_id: str, *, group_id: int,
                         policy: str | None, prompt_seconds: int | None,
                         tags: Sequence[str] | None = None) -> None:
        """Moves a device to a group and sets its own policy (None: the group's), and its
        tags when given (the Devices page shows and searches them).

        Raises:
            NotFound: no such device or group in the admin's organisation.
            DeviceError: a value out of range.
        """
        self._checked(admin, policy or POLICIES[0], prompt_seconds or 1)
        async with self._db.begin() as s:
            device = await s.get(Device, device_id[:32])
            if device is None or device.organisation_id != admin.organisation_id:
                raise NotFound(NO_SUCH_DEVICE)
            group = await s.get(DeviceGroup, group_id)
            if group is None or group.organisation_id != admin.organisation_id:
                raise NotFound(NO_SUCH_GROUP)
            device.group_id = group.id
            device.policy = policy
            device.prompt_timeout_seconds = prompt_seconds
            if tags is not None:
                device.tags = checked_tags(tags)
            name, kept = group.name, list(device.tags or [])
        await self._audit.append(
            "device_settings_changed", actor="admin", actor_name=admin.display_name,
            detail={"device_id": device_id, "group": name, "policy": policy,
                    "prompt_seconds": prompt_seconds, "tags": kept})
