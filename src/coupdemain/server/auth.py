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
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from .ratelimit import Backoff, FailureLimiter
from .store.models import LoginSession, User, utcnow

SESSION_COOKIE = "cdm_session"
LOGIN_CSRF_COOKIE = "cdm_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
DEVICE_COOKIE = "cdm_device"


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


# --- how often a password may be tried ------------------------------------


@dataclass(frozen=True, slots=True)
class SignInRefusal:
    """Why a sign-in is refused before its password is checked, and for how long."""

    by_account: bool      # False: the address is limited
    retry_after: float    # seconds

    @property
    def minutes(self) -> int:
        """The wait, rounded up to whole minutes, as the sentence says it."""
        return max(1, math.ceil(self.retry_after / 60))


class SignInGuard:
    """Limits password guessing per address and per account, without locking the owner out.

    Per address: ``by_address`` (a sliding window). Per account:
    ``by_account``, an exponential backoff shared by every address, so a
    botnet gains nothing by spreading its guesses. While an account waits,
    every attempt, the right password included, is refused unchecked.

    An attacker could keep an account waiting for ever by trying a wrong
    password each time its wait ends. The owner is spared: a successful
    sign-in leaves a device cookie (``cdm_device``, an HMAC of the
    username and a random nonce under the server's secret), and attempts
    that carry a valid one for the account are counted under that browser,
    not under the account. An attacker cannot make such a cookie without
    the password.
    """

    def __init__(self, secret: bytes, by_address: FailureLimiter, by_account: Backoff) -> None:
        self._key = hmac.new(secret, b"coupdemain device cookie", hashlib.sha256).digest()
        self.by_address = by_address
        self.by_account = by_account

    def _mac(self, username: str, nonce: str) -> str:
        message = f"{username}\0{nonce}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def device_cookie(self, username: str) -> str:
        """A fresh device cookie for the account that just signed in."""
        nonce = secrets.token_urlsafe(12)
        return f"{nonce}.{self._mac(_account(username), nonce)}"

    def _backoff_key(self, username: str, device: str | None) -> str:
        account = _account(username)
        nonce, _, mac = (device or "").partition(".")
        if nonce and tokens_match(mac, self._mac(account, nonce)):
            return f"{account}\0{nonce}"  # a browser the account signed in from
        return account

    def check(self, address: str, username: str, device: str | None) -> SignInRefusal | None:
        """None if this attempt's password may be checked now."""
        if self.by_address.is_blocked(address):
            return SignInRefusal(False, self.by_address.retry_after(address))
        wait = self.by_account.retry_after(self._backoff_key(username, device))
        if wait > 0:
            return SignInRefusal(True, wait)
        return None

    def failed(self, address: str, username: str, device: str | None) -> None:
        self.by_address.record_failure(address)
        self.by_account.record_failure(self._backoff_key(username, device))

    def succeeded(self, username: str, device: str | None) -> None:
        self.by_account.forget(self._backoff_key(username, device))


def _account(username: str) -> str:
    # As accounts.authenticate reads it, so "Alice " and "alice" share one count.
    return username.strip().lower()
