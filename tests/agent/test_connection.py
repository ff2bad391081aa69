from __future__ import annotations

import socket
from pathlib import Path
from typing import cast

import pytest

from coupdemain.agent.connection import (
    AgentConnection,
    Backoff,
    CodeRefused,
    InsecureServer,
    ServerNotTrusted,
    ServerUnreachable,
    dropped,
    reconnect,
    websocket_url,
)
from coupdemain.protocol import messages as m
from coupdemain.protocol.errors import CloseReason
from tests.agent.fake_server import FakeServer
from tests.support.server import ServerProcess


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("https://help.example.org", "wss://help.example.org/ws/agent"),
        ("https://help.example.org:8443/", "wss://help.example.org:8443/ws/agent"),
        ("https://example.org/coupdemain", "wss://example.org/coupdemain/ws/agent"),
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws/agent"),
        ("http://127.8.9.10:8000", "ws://127.8.9.10:8000/ws/agent"),
        ("http://localhost:8000", "ws://localhost:8000/ws/agent"),
        ("http://[::1]:8000", "ws://[::1]:8000/ws/agent"),
    ],
)
def test_websocket_url(server: str, expected: str) -> None:
    assert websocket_url(server) == expected


@pytest.mark.parametrize(
    "server", ["http://help.example.org", "http://192.168.1.5:8000", "http://[2001:db8::1]"]
)
def test_plain_http_elsewhere_is_refused(server: str) -> None:
    with pytest.raises(InsecureServer):
        websocket_url(server)


def test_plain_http_elsewhere_when_allowed() -> None:
    assert websocket_url("http://192.168.1.5:8000", True) == "ws://192.168.1.5:8000/ws/agent"


@pytest.mark.parametrize("server", ["ftp://example.org", "example.org", ""])
def test_not_a_server_address(server: str) -> None:
    with pytest.raises(ValueError, match="must start with https://"):
        websocket_url(server)


async def test_a_broken_proxy_does_not_keep_help_away(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy on a loopback port where nothing listens, as a broken setting would be.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    for variable in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("all_proxy", f"http://127.0.0.1:{dead}")
    async with FakeServer() as server:
        hello = m.Hello(protocol=1, role="agent", code="482913705")
        connection, welcome = await AgentConnection.open(websocket_url(server.url), hello)
        await connection.close()
    assert welcome.technician_name == "Alice Martin"


# --- resuming after a drop -------------------------------------------------------


def test_the_backoff_doubles_up_to_ten_seconds_for_a_minute() -> None:
    assert Backoff().waits() == [1, 2, 4, 8, 10, 10, 10, 10, 5]
    assert sum(Backoff(total=7).waits()) == 7
    assert Backoff(total=0).waits() == []


@pytest.mark.parametrize(("close_code", "resumes"), [
    (None, True), (1006, True), (1005, True), (1012, True),
    (1000, False), (int(CloseReason.SERVER_RESTARTED), False),
    (int(CloseReason.ENDED_BY_TECHNICIAN), False),
])
def test_only_a_drop_is_resumed(close_code: int | None, resumes: bool) -> None:
    assert dropped(close_code) is resumes


class Attempts:
    """Scripted outcomes of the attempts; the waits and attempt numbers, recorded."""

    def __init__(self, *outcomes: BaseException | None) -> None:
        self.outcomes = list(outcomes)
        self.waits: list[float] = []
        self.told: list[int] = []
        self.hellos: list[m.Hello] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def open(self, url: str, hello: m.Hello) -> tuple[AgentConnection, m.Welcome]:
        self.hellos.append(hello)
        outcome = self.outcomes.pop(0) if self.outcomes else ServerUnreachable("down")
        if outcome is not None:
            raise outcome
        return cast(AgentConnection, None), m.Welcome("s1", "Alice Martin", "Entraide")

    async def run(self, total: float = 60.0) -> tuple[AgentConnection, m.Welcome]:
        hello = m.Hello(protocol=1, role="agent", resume="secret")
        return await reconnect("ws://127.0.0.1:1/ws/agent", hello, Backoff(total=total),
                               on_attempt=self.told.append, sleep=self.sleep,
                               open_connection=self.open)


async def test_the_agent_resumes_on_the_third_attempt() -> None:
    attempts = Attempts(ServerUnreachable("refused"), CodeRefused(None), None)
    _, welcome = await attempts.run()
    assert welcome.session_id == "s1"
    assert attempts.told == [1, 2, 3] and attempts.waits == [1, 2, 4]
    assert {h.resume for h in attempts.hellos} == {"secret"}
    assert {h.code for h in attempts.hellos} == {""}


async def test_the_agent_gives_up_after_a_minute() -> None:
    attempts = Attempts()
    with pytest.raises(ServerUnreachable) as gave_up:
        await attempts.run()
    assert sum(attempts.waits) == 60 and attempts.told == list(range(1, 10))
    assert str(gave_up.value) == (
        "no answer from ws://127.0.0.1:1/ws/agent after 9 attempts to resume")


async def test_the_server_saying_the_session_is_over_stops_the_attempts() -> None:
    attempts = Attempts(ServerUnreachable("refused"),
                        CodeRefused(CloseReason.SERVER_RESTARTED), None)
    with pytest.raises(CodeRefused) as refused:
        await attempts.run()
    assert refused.value.reason == CloseReason.SERVER_RESTARTED
    assert attempts.told == [1, 2]
HELLO = m.Hello(protocol=m.PROTOCOL_VERSION, role="agent", code="482913705")


async def test_a_certificate_this_computer_does_not_trust_is_not_a_network_problem(
    untrusted_server: tuple[ServerProcess, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _cert = untrusted_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ServerNotTrusted, match="certificate"):
        await AgentConnection.open(websocket_url(server.url), HELLO)


async def test_the_same_server_trusted_gets_to_the_code(
    untrusted_server: tuple[ServerProcess, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, cert = untrusted_server
    # The certificate as this computer's own authority: the code is what fails.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with pytest.raises(CodeRefused) as refused:
        await AgentConnection.open(websocket_url(server.url), HELLO)
    assert refused.value.reason == CloseReason.CODE_INVALID
