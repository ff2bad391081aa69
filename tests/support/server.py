"""Runs the real ``coupdemain serve`` in a subprocess for tests, and talks to it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PASSWORD = "correct-horse-battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    scheme: str = "http"
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.scheme == 'https' else 'ws'}://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(COUPDEMAIN_DATA_DIR=str(self.data_dir), COUPDEMAIN_PORT=str(self.port),
                   COUPDEMAIN_HOST="127.0.0.1", **self.extra_env)
        return env

    def create_user(self, username: str, name: str, organisation: str,
                    role: str = "technician") -> None:
        subprocess.run(
            [sys.executable, "-m", "coupdemain", "admin", "create-user", "--username", username,
             "--name", name, "--organisation", organisation, "--role", role, "--password-stdin"],
            input=(PASSWORD + "\n").encode(), env=self.env(), check=True,
            capture_output=True,
        )

    def start(self) -> ServerProcess:
        if self.log_path is None:
            self.log_path = self.data_dir / "server.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coupdemain", "serve"], env=self.env(),
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()}")
            try:
                # Only reachability matters here; the TLS test checks the certificate.
                if httpx.get(self.url + "/healthz", timeout=1, verify=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


@contextmanager
def serving(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """A real server with technician alice of Entraide Numérique, stopped on leaving."""
    process = ServerProcess(data_dir, extra_env=extra_env or {})
    process.create_user("alice", "Alice Martin", "Entraide Numérique")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


@contextmanager
def signed_in_client(server: ServerProcess, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        page = client.get("/login").text
        response = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page)},
        )
        assert response.status_code == 303, response.text
        yield client


def issue_code(client: httpx.Client) -> dict[str, str]:
    csrf = csrf_of(client.get("/").text)
    response = client.post("/api/sessions", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    data: dict[str, str] = response.json()
    return data
