"""Technicians, admins and their organisations; argon2id passwords."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..protocol.errors import LocalError
from .store.models import LoginSession, Organisation, User, utcnow

ROLES = ("admin", "technician")

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so that a wrong
# username costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(LocalError, ValueError):
    """An account could not be changed as asked; the message says why."""

    sentence = "console:error.generic"


class UnknownUser(AccountError):
    """No user has this username."""

    def __init__(self, username: str) -> None:
        super().__init__(
            f"No user named {username!r}. `coupdemain admin list` shows the users."
        )

    sentence = "console:login.error.wrong"


class AccountDisabled(AccountError):
    """The username and password are right, but an admin disabled the account."""

    sentence = "console:login.error.disabled"


MAX_NAME = 200  # the columns' width: display names and organisation names


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
    _check_name(display_name, "display name")
    _check_name(organisation, "organisation's name")
    _check_role(role)
    _check_password(password)
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
    """The user whose username and password these are, or None.

    A successful sign-in is remembered as the user's last one.

    Raises:
        AccountDisabled: the password is right, but the account is disabled.
    """
    async with sessions() as db:
        user = await db.scalar(select(User).where(User.username == username.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if not user.enabled:
        raise AccountDisabled(f"The account {user.username!r} is disabled.")
    async with sessions.begin() as db:
        stored = await db.get(User, user.id)
        if stored is not None:
            stored.last_signed_in_at = user.last_signed_in_at = utcnow()
            if _hasher.check_needs_rehash(stored.password_hash):
                stored.password_hash = hash_password(password)
    return user


async def list_users(sessions: async_sessionmaker[AsyncSession]) -> list[User]:
    """Every user, by organisation, then username."""
    async with sessions() as db:
        query = select(User).join(User.organisation).order_by(Organisation.name, User.username)
        return list(await db.scalars(query))


async def _user(db: AsyncSession, username: str) -> User:
    user = await db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise UnknownUser(username)
    return user


async def _sign_out(db: AsyncSession, user: User) -> None:
    await db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


async def set_password(
    sessions: async_sessionmaker[AsyncSession], username: str, password: str
) -> User:
    """Replaces a user's password and ends their sign-ins.

    Raises:
        UnknownUser: no user has this username.
        AccountError: the password is shorter than 10 characters.
    """
    _check_password(password)
    async with sessions.begin() as db:
        user = await _user(db, username)
        user.password_hash = hash_password(password)
        await _sign_out(db, user)
    return user


async def set_enabled(
    sessions: async_sessionmaker[AsyncSession], username: str, enabled: bool
) -> User:
    """Enables or disables a user; disabling ends their sign-ins at once.

    Raises:
        UnknownUser: no user has this username.
    """
    async with sessions.begin() as db:
        user = await _user(db, username)
        user.enabled = enabled
        if not enabled:
            await _sign_out(db, user)
    return user


async def rename_user(
    sessions: async_sessionmaker[AsyncSession], username: str, display_name: str
) -> User:
    """Changes the name the person being helped sees.

    Raises:
        UnknownUser: no user has this username.
        AccountError: the name is empty or too long.
    """
    _check_name(display_name, "display name")
    async with sessions.begin() as db:
        user = await _user(db, username)
        user.display_name = display_name.strip()
    return user


async def set_role(sessions: async_sessionmaker[AsyncSession], username: str, role: str) -> User:
    """Makes a user an admin or a technician; it applies to their next page.

    Raises:
        UnknownUser: no user has this username.
        AccountError: the role is unknown.
    """
    _check_role(role)
    async with sessions.begin() as db:
        user = await _user(db, username)
        user.role = role
    return user


async def enabled_admins(sessions: async_sessionmaker[AsyncSession], organisation_id: int) -> int:
    """How many enabled admins an organisation has."""
    async with sessions() as db:
        query = select(func.count(User.id)).where(
            User.organisation_id == organisation_id, User.role == "admin", User.enabled.is_(True)
        )
        return int(await db.scalar(query) or 0)


async def rename_organisation(
    sessions: async_sessionmaker[AsyncSession], old: str, new: str
) -> Organisation:
    """Changes the organisation's name, which the person being helped sees.

    Raises:
        AccountError: no organisation has the old name, the new name is
            empty or too long, or another organisation has it already.
    """
    _check_name(new, "organisation's name")
    async with sessions.begin() as db:
        org = await db.scalar(select(Organisation).where(Organisation.name == old.strip()))
        if org is None:
            raise AccountError(
                f"No organisation named {old.strip()!r}. "
                "`coupdemain admin list` shows the organisations."
            )
        clash = await db.scalar(select(Organisation).where(Organisation.name == new.strip()))
        if clash is not None and clash.id != org.id:
            raise AccountError(f"An organisation named {new.strip()!r} already exists.")
        org.name = new.strip()
    return org


def _check_name(name: str, what: str) -> None:
    if not name.strip():
        raise AccountError(f"The {what} must not be empty.")
    if len(name.strip()) > MAX_NAME:
        raise AccountError(f"The {what} must have at most {MAX_NAME} characters.")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"Role {role!r} is not one of: {', '.join(ROLES)}.")


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise AccountError("The password must have at least 10 characters.")
