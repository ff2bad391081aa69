"""The real application in the test's process: Starlette's test client, no port, no subprocess."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.testclient import TestClient, WebSocketTestSession

from coupdemain.config import Settings
from coupdemain.server import auth
from coupdemain.server.app import create_app
from coupdemain.server.store.database import create_engine, migrate, session_factory
from tests.support.store import add_people


@dataclass(frozen=True)
class SignIn:
    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"cookie": f"{auth.SESSION_COOKIE}={self.cookie}"}


async def prepare(settings: Settings) -> dict[str, SignIn]:
    """The database of a server that has its people, each signed in once."""
    engine = create_engine(settings.resolved_database_url)
    try:
        await migrate(engine)
        db = session_factory(engine)
        people = await add_people(db)
        sign_ins = {}
        for name in ("alice", "bob", "root", "other"):
            token, login = await auth.open_session(db, getattr(people, name), 1)
            sign_ins[name] = SignIn(token, login.csrf_token)
        return sign_ins
    finally:
        await engine.dispose()


@dataclass
class InProcessServer:
    client: TestClient
    people: dict[str, SignIn]

    def issue_code(self, who: str = "alice") -> dict[str, str]:
        sign_in = self.people[who]
        response = self.client.post(
            "/api/sessions", headers={**sign_in.headers, "X-CSRF-Token": sign_in.csrf})
        assert response.status_code == 200, response.text
        issued: dict[str, str] = response.json()
        return issued

    def viewer(self, session_id: str, who: str = "alice",
               **headers: str) -> WebSocketTestSession:
        extra = self.people[who].headers if who else {}
        return self.client.websocket_connect(
            f"/ws/viewer/{session_id}", headers={**extra, **headers})


@contextmanager
def in_process_server(data_dir: Path) -> Iterator[InProcessServer]:
    """``create_app`` on a new data folder, started, with the people of ``add_people``
    signed in (``people["alice"]`` and so on)."""
    settings = Settings(data_dir=str(data_dir))
    people = asyncio.run(prepare(settings))
    with TestClient(create_app(settings, sign_in_hint=False)) as client:
        yield InProcessServer(client, people)
