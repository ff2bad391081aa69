"""Who may do what: the signed-in user, the CSRF check, and which sessions a user may see.

The rule for sessions is written once, in ``may_see`` (and beside it as
the list's query, ``sessions_seen_by``), and applied with the loading in
``visible_session``; every route that names a session goes
through it: the console's pages and the REST API (the ``ConsoleSession``
and ``ApiSession`` dependencies), the viewer's WebSocket, and the file
transfers' console side. A session a user may not see is answered as one
that does not exist, so its id tells a stranger nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection, Request

from . import auth
from .services import Services, Shared, services
from .store.models import LoginSession, SupportSession, User


def may_see(user: User, row: SupportSession) -> bool:
    """Whether this user may see this session: its own technician, or an admin of its
    technician's organisation."""
    if row.technician_id == user.id:
        return True
    return user.role == "admin" and row.technician.organisation_id == user.organisation_id


def sessions_seen_by(user: User) -> Select[SupportSession]:
    """The same rule as a query: the sessions this user may see, newest first (the list)."""
    query = select(SupportSession).order_by(SupportSession.created_at.desc())
    if user.role == "admin":
        return query.join(User, SupportSession.technician_id == User.id).where(
            User.organisation_id == user.organisation_id)
    return query.where(SupportSession.technician_id == user.id)


async def visible_session(
    db: async_sessionmaker[AsyncSession], user: User, session_id: str
) -> SupportSession | None:
    """The session, if it exists and this user may see it (``may_see``); else None."""
    async with db() as s:
        row = await s.get(SupportSession, session_id)
    if row is None or not may_see(user, row):
        return None
    return row


# --- the signed-in user -------------------------------------------------------


async def signed_in(connection: HTTPConnection, shared: Shared) -> LoginSession | None:
    """The dependency: this request's or socket's live sign-in, or None."""
    return await auth.find_session(shared.db, connection)


async def console_login(
    login: Annotated[LoginSession | None, Depends(signed_in)],
) -> LoginSession:
    """The dependency of the console's pages: the sign-in, else a redirect to /login."""
    if login is None:
        raise HTTPException(status_code=303, headers={"Location": "/login"})
    return login


async def api_login(login: Annotated[LoginSession | None, Depends(signed_in)]) -> LoginSession:
    """The dependency of the API: the sign-in, else 401."""
    if login is None:
        raise HTTPException(status_code=401, detail="sign in first")
    return login


ConsoleLogin = Annotated[LoginSession, Depends(console_login)]
ApiLogin = Annotated[LoginSession, Depends(api_login)]


def check_csrf(login: LoginSession, given: str | None) -> None:
    """Refuses (403) a change whose CSRF token is not the sign-in's."""
    if not auth.tokens_match(given, login.csrf_token):
        raise HTTPException(status_code=403, detail="csrf")


# --- the session in the path ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeenSession:
    """The session a route names, and the sign-in that may see it."""

    login: LoginSession
    row: SupportSession

    @property
    def user(self) -> User:
        return self.login.user


async def _seen(shared: Services, login: LoginSession, session_id: str) -> SeenSession:
    row = await visible_session(shared.db, login.user, session_id)
    if row is None:
        raise HTTPException(status_code=404, detail="no such session")
    return SeenSession(login, row)


async def console_session(session_id: str, shared: Shared, login: ConsoleLogin) -> SeenSession:
    """The dependency of a page about the session ``{session_id}``: it, else 404."""
    return await _seen(shared, login, session_id)


async def api_session(session_id: str, shared: Shared, login: ApiLogin) -> SeenSession:
    """The dependency of an API route about the session ``{session_id}``: it, else 404."""
    return await _seen(shared, login, session_id)


ConsoleSession = Annotated[SeenSession, Depends(console_session)]
ApiSession = Annotated[SeenSession, Depends(api_session)]


async def console_may_move_files(request: Request, session_id: str, writes: bool) -> bool:
    """The file transfers' question: may this console request act in this session?

    Args:
        writes: the request changes something, so it needs the CSRF header.
    """
    shared = services(request)
    login = await auth.find_session(shared.db, request)
    if login is None:
        return False
    if writes and not auth.tokens_match(request.headers.get(auth.CSRF_HEADER),
                                        login.csrf_token):
        return False
    return await visible_session(shared.db, login.user, session_id) is not None
