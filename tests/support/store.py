"""An in-memory database for the server's in-process tests, with its people."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coupdemain.server.store.database import create_engine, migrate, session_factory
from coupdemain.server.store.models import Organisation, User, utcnow


@dataclass(frozen=True)
class People:
    """Two organisations: alice and bob are technicians of the first, root its admin;
    other is the admin of the second."""

    alice: User
    bob: User
    root: User
    other: User


@asynccontextmanager
async def memory_database() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated SQLite database in memory, for the length of the block."""
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    await migrate(engine)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def add_people(db: async_sessionmaker[AsyncSession]) -> People:
    """Adds the people; they sign in through ``auth.open_session`` (no password is checked,
    so none is hashed: argon2 costs a tenth of a second a hash)."""
    async with db.begin() as s:
        ours = Organisation(name="Entraide Numérique", created_at=utcnow())
        theirs = Organisation(name="Autre Association", created_at=utcnow())
        users = [
            User(username=username, display_name=name, password_hash="!", role=role,
                 organisation=organisation, created_at=utcnow())
            for username, name, organisation, role in (
                ("alice", "Alice Martin", ours, "technician"),
                ("bob", "Bob Durand", ours, "technician"),
                ("root", "Rose Admin", ours, "admin"),
                ("other", "Oscar Autre", theirs, "admin"),
            )
        ]
        s.add_all(users)
    return People(*users)
