"""The server's start and stop: migrations, sessions taken back, the first admin, the sweepers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from . import accounts
from .services import Services
from .store.database import migrate

logger = logging.getLogger("coupdemain.server")


def lifespan(
    services: Services, *, sign_in_hint: bool = True
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The application's lifespan: the database is migrated at start-up.

    Args:
        sign_in_hint: print where to sign in at start-up; the demo prints its own.
    """
    settings, rendezvous = services.settings, services.rendezvous

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        await migrate(services.engine)
        # Sessions the server was killed during: they resume if their agent comes back.
        await rendezvous.recover()
        await asyncio.to_thread(services.spool.clear)  # files of sessions that are over
        if await accounts.count_users(services.db) == 0:
            await _create_first_admin(services)
        elif sign_in_hint:
            print(f"  Sign in at {settings.resolved_public_url}/ with your account "
                  "(new accounts: coupdemain admin create-user).", flush=True)
        sweeper = asyncio.create_task(rendezvous.run_sweeper())
        # Recordings older than their organisation's retention are deleted, and audited.
        await asyncio.to_thread(services.recordings.prepare)
        recordings_sweeper = asyncio.create_task(
            services.recordings.run_sweeper(settings.recording_sweep_seconds))
        logger.info("console at %s", settings.resolved_public_url)
        try:
            yield
        finally:
            sweeper.cancel()
            recordings_sweeper.cancel()
            await rendezvous.shut_down()
            await services.engine.dispose()

    return run


async def _create_first_admin(services: Services) -> None:
    password = accounts.generate_password()
    await accounts.create_user(
        services.db, username="admin", display_name="Administrator",
        organisation="My organisation", password=password, role="admin",
    )
    # Printed once, on purpose: there is no other way to learn it.
    print(
        "\n  First start: an admin account was created.\n"
        f"    username: admin\n    password: {password}\n"
        "  Sign in and keep this password safe; it is not shown again.\n"
        "  The people you help see your organisation's name, now \"My organisation\",\n"
        "  and your name, now \"Administrator\". Give the real ones:\n"
        "    coupdemain admin rename-organisation \"My organisation\" \"Your organisation\"\n"
        "    coupdemain admin rename admin \"Your name\"\n",
        flush=True,
    )
