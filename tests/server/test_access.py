"""Which sessions a user may see: the one rule every page, API route and socket applies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coupdemain.server.access import may_see, sessions_seen_by, visible_session
from coupdemain.server.store.models import SupportSession, User, utcnow
from tests.support.store import People, add_people, memory_database


@pytest.fixture
async def db() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with memory_database() as db:
        yield db


async def alice_session(db: async_sessionmaker[AsyncSession], alice: User) -> str:
    async with db.begin() as s:
        s.add(SupportSession(
            id="s1", technician_id=alice.id, code_digest="d", code_hint="705",
            code_expires_at=utcnow(), code_used_at=None, state="ended", created_at=utcnow(),
        ))
    return "s1"


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        ("alice", True),   # the technician who issued the code
        ("root", True),    # an admin of the same organisation
        ("bob", False),    # another technician of the same organisation
        ("other", False),  # an admin of another organisation
    ],
)
async def test_who_may_see_alices_session(
    db: async_sessionmaker[AsyncSession], viewer: str, sees: bool
) -> None:
    people: People = await add_people(db)
    session_id = await alice_session(db, people.alice)
    user = getattr(people, viewer)
    row = await visible_session(db, user, session_id)
    assert (row is not None) == sees
    if row is not None:
        assert row.id == session_id
        assert may_see(user, row)
    # The console's list says the same.
    async with db() as s:
        listed = list(await s.scalars(sessions_seen_by(user)))
    assert [r.id for r in listed] == ([session_id] if sees else [])


async def test_a_session_that_does_not_exist_is_seen_by_nobody(
    db: async_sessionmaker[AsyncSession],
) -> None:
    people = await add_people(db)
    assert await visible_session(db, people.root, "no-such-session") is None
