"""The database: its file's permissions, and the migrations that change it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from coupdemain.server import accounts
from coupdemain.server.store.database import (
    alembic_config,
    create_engine,
    migrate,
    session_factory,
)
from tests.support.server import PASSWORD, ServerProcess


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_server_creates_its_database_readable_by_its_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    server = ServerProcess(data, log_path=tmp_path / "server.log")
    server.start()
    try:
        assert mode(data) == 0o700
        assert mode(data / "coupdemain.sqlite3") == 0o600
        assert mode(data / "secret.key") == 0o600
        # SQLite gives its journal files the database's mode.
        for journal in ("coupdemain.sqlite3-wal", "coupdemain.sqlite3-shm"):
            if (data / journal).exists():
                assert mode(data / journal) == 0o600
    finally:
        server.stop()


async def upgrade(url: str, revision: str) -> None:
    engine = create_engine(url)

    def run(connection: object) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def test_users_of_a_database_made_by_revision_0001_stay_enabled(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    await upgrade(url, "0001")
    engine = create_engine(url)
    try:
        async with engine.begin() as db:
            await db.execute(text(
                "INSERT INTO organisations (id, name, created_at) "
                "VALUES (1, 'Entraide Numérique', '2026-11-23 10:00:00+00:00')"
            ))
            await db.execute(
                text("INSERT INTO users (username, display_name, password_hash, role, "
                     "organisation_id, created_at) VALUES ('alice', 'Alice Martin', :hash, "
                     "'admin', 1, '2026-11-23 10:00:00+00:00')"),
                {"hash": accounts.hash_password(PASSWORD)},
            )
        await migrate(engine)
        sessions = session_factory(engine)
        [alice] = await accounts.list_users(sessions)
        assert (alice.username, alice.enabled, alice.last_signed_in_at) == ("alice", True, None)
        signed_in = await accounts.authenticate(sessions, "alice", PASSWORD)
        assert signed_in is not None and signed_in.last_signed_in_at is not None
        await accounts.set_enabled(sessions, "alice", False)
        with pytest.raises(accounts.AccountDisabled):
            await accounts.authenticate(sessions, "alice", PASSWORD)
    finally:
        await engine.dispose()


async def test_migration_0002_goes_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    await upgrade(url, "head")
    engine = create_engine(url)

    def downgrade(connection: object) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")

    try:
        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
            columns = (await connection.execute(text("PRAGMA table_info(users)"))).all()
            assert "enabled" not in {column[1] for column in columns}
        await migrate(engine)
        async with engine.connect() as connection:
            columns = (await connection.execute(text("PRAGMA table_info(users)"))).all()
            assert {"enabled", "last_signed_in_at"} <= {column[1] for column in columns}
    finally:
        await engine.dispose()
