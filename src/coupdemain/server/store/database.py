"""The engine, the session factory, and schema migrations at start-up."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

logger = logging.getLogger("coupdemain.store")

MIGRATIONS = Path(__file__).parent / "migrations"


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database or one in memory."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def create_engine(database_url: str) -> AsyncEngine:
    """Opens the database; SQLite gets WAL and foreign keys.

    A new SQLite file is made readable by its owner only (0600), in a
    folder made for it with mode 0700: it holds the password hashes and
    the record of every session. SQLite gives its -wal and -shm files the
    database file's mode.
    """
    url = make_url(database_url)
    path = sqlite_path(database_url)
    if path is not None:
        private_file(path)
    engine = create_async_engine(url)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def private_file(path: Path) -> None:
    """Makes an empty file only its owner may read, in a 0700 folder, unless it exists."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Brings the schema to the newest migration (Alembic ``upgrade head``)."""
    def upgrade(connection: object) -> None:
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)
    logger.info("database schema is up to date")


__all__ = ["Engine", "create_engine", "migrate", "session_factory", "sqlite_path"]
