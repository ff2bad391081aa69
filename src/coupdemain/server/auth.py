"""Console sign-in: session cookies, CSRF tokens, and the current user.

The cookie carries a random token; the database keeps only its SHA-256,
so a leaked database does not sign anyone in. Every state-changing request
carries the session's CSRF token (a hidden form field or the
``X-CSRF-Token`` header). The sign-in form, before any session exists,
uses a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from .store.models import LoginSession, User, utcnow

SESSION_COOKIE = "cdm_session"
LOGIN_CSRF_COOKIE = "cdm_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison that is False when either side is missing."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


async def open_session(
    sessions: async_sessionmaker[AsyncSession], user: User, hours: int
) -> tuple[str, LoginSession]:
    """Signs a user in; returns the cookie token and the stored session."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    login = LoginSession(
        token_hash=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
        created_at=now, expires_at=now + timedelta(hours=hours),
    )
    async with sessions.begin() as db:
        db.add(login)
        # Expired sign-ins are swept here rather than by a timer.
        await db.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    return token, login


async def find_session(
    sessions: async_sessionmaker[AsyncSession], connection: HTTPConnection
) -> LoginSession | None:
    """The live sign-in behind this request's cookie, with its user, or None."""
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    async with sessions() as db:
        login = await db.scalar(
            select(LoginSession).where(LoginSession.token_hash == _digest(token))
        )
    if login is None or login.expires_at <= utcnow():
        return None
    if not login.user.enabled:  # disabled since this sign-in
        return None
    return login


async def close_session(sessions: async_sessionmaker[AsyncSession], token: str) -> None:
    async with sessions.begin() as db:
        await db.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))
