"""Technicians, admins and their organisations; argon2id passwords."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .store.models import Organisation, User, utcnow

ROLES = ("admin", "technician")

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so that a wrong
# username costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A user could not be created as asked; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def generate_password() -> str:
    """A password for a first admin: 4 groups of letters and digits, easy to type."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


async def create_user(
    sessions: async_sessionmaker[AsyncSession],
    *,
    username: str,
    display_name: str,
    organisation: str,
    password: str,
    role: str = "technician",
) -> User:
    """Creates a user, and its organisation if it is new.

    Raises:
        AccountError: the username is taken, a field is empty, the role is
            unknown, or the password is shorter than 10 characters.
    """
    username = username.strip().lower()
    if not username or not display_name.strip() or not organisation.strip():
        raise AccountError("Username, display name and organisation must not be empty.")
    if role not in ROLES:
        raise AccountError(f"Role {role!r} is not one of: {', '.join(ROLES)}.")
    if len(password) < 10:
        raise AccountError("The password must have at least 10 characters.")
    async with sessions.begin() as db:
        if await db.scalar(select(User).where(User.username == username)) is not None:
            raise AccountError(f"A user named {username!r} already exists.")
        org = await db.scalar(select(Organisation).where(Organisation.name == organisation.strip()))
        if org is None:
            org = Organisation(name=organisation.strip(), created_at=utcnow())
            db.add(org)
            await db.flush()
        user = User(
            username=username, display_name=display_name.strip(),
            password_hash=hash_password(password), role=role,
            organisation_id=org.id, created_at=utcnow(),
        )
        db.add(user)
        await db.flush()
        user.organisation = org
    return user


async def count_users(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as db:
        return int(await db.scalar(select(func.count(User.id))) or 0)


async def authenticate(
    sessions: async_sessionmaker[AsyncSession], username: str, password: str
) -> User | None:
    """The user whose username and password these are, or None."""
    async with sessions() as db:
        user = await db.scalar(select(User).where(User.username == username.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        async with sessions.begin() as db:
            stored = await db.get(User, user.id)
            if stored is not None:
                stored.password_hash = hash_password(password)
    return user


async def set_password(
    sessions: async_sessionmaker[AsyncSession], username: str, password: str
) -> bool:
    """Replaces a user's password; False if there is no such user."""
    async with sessions.begin() as db:
        user = await db.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            return False
        user.password_hash = hash_password(password)
    return True
